"""Presidio's regex recognizers skip a text none of their patterns matches.

`PatternRecognizer.analyze` spends more on its bookkeeping per pattern (clock reads, debug
logging, a timeout-guarded iterator) than on the regex itself, and on most texts it finds
nothing. A gated recognizer first searches the text with the same compiled patterns and flags;
when none matches, Presidio's loop could not have produced a result, so it is not run. When one
does (or a search times out), the recognizer's own analyze runs as before.
"""

from __future__ import annotations

from typing import Any


def gate_pattern_recognizers(recognizers: list[Any]) -> None:
    """Gate every recognizer whose analyze is Presidio's pattern loop (stock or YAML-declared)."""
    from presidio_analyzer import PatternRecognizer
    from presidio_analyzer.predefined_recognizers import IbanRecognizer

    for recognizer in recognizers:
        method = type(recognizer).analyze
        if method is PatternRecognizer.analyze and recognizer.patterns:
            _gate(recognizer, honours_flags=True)
        elif method is IbanRecognizer.analyze and recognizer.patterns:
            _gate(recognizer, honours_flags=False)  # its loop always uses its own flags


def _gate(recognizer: Any, honours_flags: bool) -> None:
    import regex
    from presidio_analyzer.pattern_recognizer import REGEX_TIMEOUT_SECONDS

    flags = recognizer.global_regex_flags
    compiled = [regex.compile(pattern.regex, flags=flags) for pattern in recognizer.patterns]
    analyze = recognizer.analyze

    def gated(
        text: str,
        entities: list[str],
        nlp_artifacts: Any = None,
        regex_flags: int | None = None,
    ) -> list[Any]:
        # Presidio falls back to the recognizer's own flags when none (or 0) are given
        if not regex_flags or not honours_flags:
            try:
                if not any(p.search(text, timeout=REGEX_TIMEOUT_SECONDS) for p in compiled):
                    return []
            except TimeoutError:
                pass
        return analyze(text, entities, nlp_artifacts, regex_flags)  # type: ignore[no-any-return]

    recognizer.analyze = gated
