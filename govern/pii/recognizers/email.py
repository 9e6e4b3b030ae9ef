"""Email addresses, validated against the public-suffix list bundled with tldextract, offline."""

from __future__ import annotations

import tldextract
from presidio_analyzer.predefined_recognizers import EmailRecognizer

from govern.pii.recognizers import register

# No suffix_list_urls and no cache dir: tldextract uses its bundled snapshot and never fetches.
_EXTRACT = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True)


@register
class OfflineEmailRecognizer(EmailRecognizer):
    """Presidio's email recognizer without the network fetch of the public-suffix list."""

    NAME = "OfflineEmailRecognizer"
    ENTITY = "EMAIL_ADDRESS"

    def __init__(self, supported_language: str = "en") -> None:
        super().__init__(supported_language=supported_language, name=self.NAME)

    def validate_result(self, pattern_text: str) -> bool:
        return _EXTRACT(pattern_text).fqdn != ""
