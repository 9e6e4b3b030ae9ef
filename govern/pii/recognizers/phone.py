"""Phone numbers Presidio's stock recognizer misses: extensions, 001/+1 prefixes, dotted and
bare ten-digit North American numbers, international numbers written with + or 00, and local
numbers right after a word that asks for a phone."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from govern.pii.recognizers import register, register_factory
from govern.pii.recognizers.base import SpanRecognizer
from govern.pii.recognizers.cards import luhn_valid

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

_EXT = r"(?:\s*(?:[xX]|[eE]xt\.?|[eE]xtension|#)\s*\d{1,6})?"
_NANP = re.compile(
    r"(?<![\w+])(?:(?:\+1|001|1)[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}"
    + _EXT
    + r"(?![\w-])"
)
_BARE = re.compile(r"(?<![\w+.-])[2-9]\d{2}[2-9]\d{6}" + _EXT + r"(?![\w.-])")
_INTL = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9]\d{0,2}[\s.-]?(?:\(0?\d{1,4}\)[\s.-]?)?\d{1,5}(?:[\s.-]?\d{2,5}){1,5}"
    + _EXT
    + r"(?![\w-])"
)
_TRUNK = re.compile(
    r"(?<![\w+.-])(?:0\d{2,4}[\s-]|\(0\d{1,4}\)\s?)\d{3,4}[\s-]?\d{3,4}" + _EXT + r"(?![\w-]|\.\d)"
)
# A seven-digit local number (555 0134) right after a word that asks for a phone number.
_LOCAL = re.compile(
    r"(?i)\b(?:call|phone|tel|ph|mobile|mob|cell|ring|text|on|number|no|contact|reach)\b[:.]?\s+(\d{3,4}[ -]\d{4})(?![\w-])"
)
# Seven or eight digits, undivided or split by one dot, right after a word that can only mean a
# phone (ph 8212.5809, phone 75912868, call me on 2879149); after "no" or "number" such a run
# is as likely an account or a ticket, so those cues keep the spaced form above.
_LOCAL_RUN = re.compile(
    r"(?i)\b(?:call|phone|tel|ph|mobile|mob|cell|ring|text|whatsapp)\b[:.]?\s+(?:(?:me|us|him|her|them)\s+)?(?:on\s+)?(\d{3,4}\.?\d{4})(?![\w-]|\.\d)"
)
_DIGITS = re.compile(r"\d")


def _digits(text: str) -> int:
    return len(_DIGITS.findall(text.split("x")[0].split("X")[0].split("#")[0]))


@register
class NorthAmericanPhoneRecognizer(SpanRecognizer):
    """NANP numbers in every common spelling, with an optional x/ext extension."""

    NAME = "NorthAmericanPhoneRecognizer"
    ENTITY = "PHONE_NUMBER"
    CONTEXT: ClassVar[list[str]] = [
        "phone",
        "call",
        "tel",
        "mobile",
        "cell",
        "fax",
        "reach",
        "contact",
        "text",
        "number",
    ]

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        for match in _NANP.finditer(text):
            yield match.start(), match.end(), 0.6
        for match in _BARE.finditer(text):
            yield match.start(), match.end(), 0.4


@register
class InternationalPhoneRecognizer(SpanRecognizer):
    """Numbers with a + or 00 country prefix, and trunk-prefixed national numbers (020 7946 0958)."""

    NAME = "InternationalPhoneRecognizer"
    ENTITY = "PHONE_NUMBER"
    CONTEXT: ClassVar[list[str]] = [
        "phone",
        "call",
        "tel",
        "mobile",
        "cell",
        "fax",
        "reach",
        "contact",
        "whatsapp",
    ]

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        for match in _INTL.finditer(text):
            if 8 <= _digits(match.group()) <= 15:
                yield match.start(), match.end(), 0.6
        for match in _TRUNK.finditer(text):
            if 9 <= _digits(match.group()) <= 11:
                yield match.start(), match.end(), 0.4
        for match in _LOCAL.finditer(text):
            yield match.start(1), match.end(1), 0.5
        for match in _LOCAL_RUN.finditer(text):
            yield match.start(1), match.end(1), 0.5


def _national_phone_class() -> type:
    from presidio_analyzer.predefined_recognizers import PhoneRecognizer

    class NationalPhoneRecognizer(PhoneRecognizer):
        """Presidio's libphonenumber matcher for national formats outside North America.

        It runs only on texts holding a run of eight or more digits, which saves most of its
        cost; North American numbers are left to the regex recognizer above.
        """

        NAME = "NationalPhoneRecognizer"
        ENTITY = "PHONE_NUMBER"

        def __init__(self, supported_language: str = "en") -> None:
            super().__init__(
                supported_language=supported_language,
                supported_regions=("GB", "DE", "FR", "IL", "IN", "BR", "AU", "ES", "IT", "NL"),
                name=self.NAME,
            )

        def analyze(
            self, text: str, entities: list[str], nlp_artifacts: object = None
        ) -> list[Any]:
            results = []
            for start, end in _unexplained_digit_runs(text):
                # PhoneRecognizer reads no NLP artifacts: None is what it is given
                for result in super().analyze(text[start:end], entities, None):  # type: ignore[arg-type]
                    result.start += start
                    result.end += start
                    results.append(result)
            return results

    return NationalPhoneRecognizer


_DIGIT_RUN = re.compile(r"(?<![A-Za-z\d])\+?\(?\d(?:[\s().-]{0,2}\d){7,}(?![A-Za-z])")
_EXPLAINED = (
    re.compile(r"\d{3}-\d{2}-\d{4}"),  # SSN
    re.compile(r"\d{1,3}(?:\.\d{1,3}){3}"),  # IPv4
    re.compile(r"\d{1,2}([./-])\d{1,2}\1(?:19|20)?\d{2}"),  # a date: 08.07.2022, 03/04/21
    re.compile(r"(?:19|20)\d{2}-\d{1,2}-\d{1,2}"),  # an ISO date
)


def _unexplained_digit_runs(text: str) -> list[tuple[int, int]]:
    """Windows around runs of 8+ digits that no cheaper recognizer already accounts for.

    libphonenumber is slow, so it only looks at numbers the NANP, international, card, SSN and
    IP patterns leave unexplained, and only at a window around each.
    """
    explained: list[tuple[int, int]] | None = None  # found once a text has a run at all
    windows: list[tuple[int, int]] = []
    for match in _DIGIT_RUN.finditer(text):
        start, end = match.span()
        run = match.group()
        digits = "".join(c for c in run if c.isdigit())
        if explained is None:
            explained = [m.span() for p in (_NANP, _BARE, _INTL, _TRUNK) for m in p.finditer(text)]
        if any(s <= start and end <= e for s, e in explained) or any(
            p.fullmatch(run) for p in _EXPLAINED
        ):
            continue
        if re.search(r"[A-Za-z][-/]$", text[max(0, start - 2) : start]):
            continue  # the tail of a code: CV-2024-647893, REF/0175-7371
        if 12 <= len(digits) <= 19 and luhn_valid(digits):
            continue
        # A national number is written with its trunk 0, a + or an area code in brackets; a bare
        # run of eight or nine digits is an identifier, an order or a serial number, and ten or
        # eleven bare digits a mobile (India, Italy, Brazil). Sparing libphonenumber the rest
        # halves its share of the scan time.
        if run[0] not in "+(0" and not 10 <= len(digits) <= 11:
            continue
        window = (max(0, start - 8), min(len(text), end + 16))
        if windows and window[0] <= windows[-1][1]:
            windows[-1] = (windows[-1][0], window[1])
        else:
            windows.append(window)
    return windows


def _national_phone(language: str) -> EntityRecognizer:
    recognizer: EntityRecognizer = _national_phone_class()(language)
    return recognizer


register_factory("NationalPhoneRecognizer", "PHONE_NUMBER", _national_phone)
