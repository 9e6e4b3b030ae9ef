"""Payment card numbers of 12 to 19 digits (Maestro to 19-digit Visa) that pass the Luhn check;
Presidio's stock pattern covers only the common 13-16 digit layouts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from govern.pii.recognizers import register
from govern.pii.recognizers.base import SpanRecognizer

_CANDIDATE = re.compile(r"(?<![\w.-])\d(?:[ -]?\d){11,18}(?![\w-])")


def luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn checksum."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@register
class LuhnCardRecognizer(SpanRecognizer):
    """Any 12-19 digit number, plain or grouped by spaces or dashes, with a valid Luhn digit."""

    NAME = "LuhnCardRecognizer"
    ENTITY = "CREDIT_CARD"
    CONTEXT: ClassVar[list[str]] = [
        "card",
        "credit",
        "debit",
        "visa",
        "mastercard",
        "amex",
        "cc",
        "payment",
        "maestro",
        "discover",
    ]

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        for match in _CANDIDATE.finditer(text):
            raw = match.group()
            digits = raw.replace(" ", "").replace("-", "")
            separators = {c for c in raw if not c.isdigit()}
            if len(separators) > 1 or len(set(digits)) < 3 or not luhn_valid(digits):
                continue
            yield match.start(), match.end(), 0.5
