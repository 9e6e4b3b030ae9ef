"""Person names the small spaCy model misses: after a title (Dr., Ms.), after a cue that
introduces a person (patient, customer, "my name is"), or a common given name and a surname."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from govern.pii.recognizers import register
from govern.pii.recognizers.base import SpanRecognizer

FIRST_NAMES: frozenset[str] = frozenset(
    line.strip()
    for line in (Path(__file__).with_name("first_names.txt")).read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
)

_NAME = r"(?:[A-Z]'|Mc|Mac)?[A-Z][a-z]+(?:-[A-Z][a-z]+)?"
_INITIAL = r"[A-Z]\."
_FULL = rf"{_NAME}(?:\s+(?:{_INITIAL}|{_NAME}))?(?:\s+{_NAME})?"
_TITLE = re.compile(
    r"\b(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Sir|Dame|Rev|Fr|Capt|Sgt|Lt|Col|Judge|Hon|Atty|Nurse)\.?\s+(" + _FULL + r")"
)
_CUE = re.compile(
    r"(?i:\b(?:patient|customer|client|caller|member|tenant|employee|applicant|witness|plaintiff|defendant|"
    r"claimant|signatory|signed by|attn|attention|dear|hi|hello|contact|name is|name's|i am|i'm|"
    r"it's|this is|regards|sincerely|thanks|cc)\b[:,]?)\s+(" + _FULL + r")"
)
_CAPITALIZED = re.compile(r"\b[A-Z][a-z]+\b")
_SURNAME_AFTER = re.compile(r"(?:\s+" + _INITIAL + r")?\s+(" + _NAME + r")\b")
_NOT_SURNAMES = {
    "Street", "Road", "Avenue", "Lane", "Drive", "Court", "Hospital", "Clinic", "University", "College",
    "School", "Bank", "Inc", "Ltd", "Corp", "Company", "Group", "Foundation", "Center", "Centre", "Hall",
}


@register
class TitledNameRecognizer(SpanRecognizer):
    """Capitalized names after an honorific or a word that introduces a person."""

    NAME = "TitledNameRecognizer"
    ENTITY = "PERSON"

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        for match in _TITLE.finditer(text):
            yield match.start(1), match.end(1), 0.7
        for match in _CUE.finditer(text):
            words = match.group(1).split()
            # A cue alone is weak evidence: it needs two capitalized words, the last no institution.
            if len(words) >= 2 and words[-1] not in _NOT_SURNAMES:
                yield match.start(1), match.end(1), 0.6


@register
class GivenNameRecognizer(SpanRecognizer):
    """A common given name followed by a capitalized surname (optionally a middle initial)."""

    NAME = "GivenNameRecognizer"
    ENTITY = "PERSON"

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        for word in _CAPITALIZED.finditer(text):
            if word.group() not in FIRST_NAMES:
                continue
            surname = _SURNAME_AFTER.match(text, word.end())
            if surname and surname.group(1) not in _NOT_SURNAMES:
                yield word.start(), surname.end(), 0.6
