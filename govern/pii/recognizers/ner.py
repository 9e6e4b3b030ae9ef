"""spaCy's entities as Presidio reports them, less two kinds of noise of the small model.

A PERSON or LOCATION span holding a digit is a code, a dose or a version ("Ticket TCK-83824",
"paracetamol 4 mL"), never a name or a place; a PERSON made only of words English writes in lower
case (Quick, Open Settings) is a word capitalized by its sentence, and one after an article or a
possessive (the Glasgow outage, my Ford Ranger) names a thing; and a place named as a site of an
organisation ("our Leeds warehouse", "the Sydney office") locates the organisation, not a person.
"""

from __future__ import annotations

import re
from typing import Any

from govern.pii.recognizers import register_factory

_ORGANISATION_SITE = re.compile(
    r"(?i)\s*(?:office|offices|warehouse|branch|depot|plant|site|campus|store|shop|hub|centre|center|call centre|"
    r"call center|data centre|data center|contact centre|hotel|ward|registry|court|courts|team|headquarters|hq|"
    r"factory|facility|showroom|lab|studio|region|stock exchange|airport|marathon|release|edition|fleet|clinic|"
    r"hospital|dc|distribution centre|distribution center|operations|ops)\b"
)


# An article or a possessive right before: "the Glasgow outage", "my Ford Ranger" name things
_ARTICLE_BEFORE = re.compile(r"(?i)\b(?:the|a|an|my|our|your|their|its) $")


def _not_a_person(value: str) -> bool:
    """An institution (its last word Ltd, Bank, Enterprises ...), or one word no list knows."""
    from govern.pii.recognizers.name_cues import ORG_WORDS, PERSON_CUES
    from govern.pii.recognizers.names import GIVEN_NAMES, ORDINARY_WORDS, SURNAMES

    words = [w.lower().strip(".,'’") for w in value.split()]
    if (
        not words
        or words[-1] in ORG_WORDS
        or all(w in PERSON_CUES or w in ORDINARY_WORDS for w in words)
    ):
        return True
    return len(words) == 1 and words[0] not in GIVEN_NAMES and words[0] not in SURNAMES


def _ordinary(value: str) -> bool:
    """Only words English writes in lower case ("a refund request from Billing")."""
    from govern.pii.recognizers.names import ORDINARY_WORDS

    return all(w.lower().strip(".,'’") in ORDINARY_WORDS for w in value.split())


def _ner_class() -> type:
    from presidio_analyzer.predefined_recognizers import SpacyRecognizer

    class SpacyNerRecognizer(SpacyRecognizer):
        """Presidio's SpacyRecognizer without digit-bearing names and places of organisations."""

        NAME = "SpacyNerRecognizer"
        ENTITY = "PERSON"

        def __init__(self, supported_language: str = "en") -> None:
            super().__init__(supported_language=supported_language, name=self.NAME)

        def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[Any]:
            kept = []
            for result in super().analyze(text, entities, nlp_artifacts):
                if result.entity_type in ("PERSON", "LOCATION"):
                    value = text[result.start : result.end]
                    if any(c.isdigit() for c in value):
                        continue
                    if result.entity_type == "LOCATION" and (
                        _ORGANISATION_SITE.match(text, result.end) or _ordinary(value)
                    ):
                        continue
                    if result.entity_type == "PERSON" and (
                        _not_a_person(value)
                        or _ARTICLE_BEFORE.search(text, max(0, result.start - 6), result.start)
                    ):
                        continue
                kept.append(result)
            return kept

    return SpacyNerRecognizer


register_factory("SpacyNerRecognizer", "PERSON", lambda language: _ner_class()(language))
