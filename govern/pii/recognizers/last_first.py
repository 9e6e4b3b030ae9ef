"""Names written surname first: "Doe, Jane" and "DOE, JANE" in forms and lists."""

from __future__ import annotations

from collections.abc import Iterable

import regex

from govern.pii.recognizers.name_cues import ORG_WORDS, PERSON_CUES
from govern.pii.recognizers.name_tokens import (
    NameToken,
    is_given,
    is_surname,
    is_unusual,
    word_shape,
)
from govern.pii.recognizers.names import (
    COMMON_SURNAMES,
    FUNCTION_WORDS,
    ORDINARY_WORDS,
    PARTICLES,
)
from govern.pii.recognizers.person_context import LAST_FIRST, NameContext
from govern.pii.recognizers.word_frequency import is_rare, looks_derived

LISTED_AFTER = regex.compile(r",?\s+(?:and|&)\s+\p{Lu}")


def _rare(token: NameToken) -> bool:
    return is_rare(token.text) and not looks_derived(token.text)


class LastFirstEvidence(NameContext):
    """Surname-first names of one text."""

    def _last_first(self) -> Iterable[tuple[int, int, float]]:
        """ "Doe, Jane" and "DOE, JANE" in forms and lists."""
        for match in LAST_FIRST.finditer(self.text):
            last, first = match.group("last"), match.group("first")
            first_token = NameToken(
                first,
                match.start("first"),
                match.end("first"),
                first.lower(),
                word_shape(first, ""),
            )
            # a common surname that is also an institution or a role word (Park, Hall, Parent)
            # is a surname before a listed given name: "customer Park, Anna"
            surname_word = (
                self.use_lists
                and " " not in last
                and last.lower() in COMMON_SURNAMES
                and is_given(first_token)
                and first.lower() not in ORDINARY_WORDS
            )
            if (
                first.lower() in FUNCTION_WORDS
                or last.lower() in FUNCTION_WORDS
                or (last.split()[-1].lower() in ORG_WORDS and not surname_word)
            ):
                continue
            if (last.split()[0].lower() in PERSON_CUES and not surname_word) or all(
                w.lower() in ORDINARY_WORDS for w in (*last.split(), first)
            ):
                continue
            last_token = NameToken(
                last, match.start("last"), match.end("last"), last.lower(), word_shape(last, "")
            )
            if LISTED_AFTER.match(self.text, match.end()):
                continue  # "Rocha, Mendez and Lopez": a firm's name, or a list of surnames
            start = match.start()
            particle = match.group("particle")
            if particle and particle.strip().lower() not in PARTICLES:
                start = match.start(
                    "last"
                )  # "for Balogun, Adetoke": the word before is no particle
            if (
                self.use_lists
                and is_given(first_token)
                and (is_surname(last_token) or self._context(start, match.end())[0])
            ):
                yield start, match.end(), 0.6
            elif (
                self.use_context
                and (is_given(first_token) or is_unusual(first_token))
                and (is_surname(last_token) or is_unusual(last_token))
                and (
                    self._weak_before(start)
                    or self._field_before(start)
                    or self._role_right_before(start)
                )
                and not self._ner_any(start, match.end())
                and not self._ner_wider_org(start, match.end())
            ):
                # "results for Garrahy, Jamie", "Name on file: Arévalo, Rosendo."
                yield start, match.end(), 0.5
            elif (
                self.use_context
                and self.use_frequency
                and (is_given(first_token) or _rare(first_token))
                and (is_surname(last_token) or _rare(last_token))
                and (_rare(first_token) or _rare(last_token))
                and (
                    self._weak_before(start)
                    or self._field_before(start)
                    or self._role_right_before(start)
                )
                and not self._ner_numeric(start, match.end())
            ):
                # "customer Kumar, Omkaar", "documents of Tutty, Jenni:": a word English almost
                # never uses on one side, whatever spaCy calls it short of a date or a number
                yield start, match.end(), 0.5
