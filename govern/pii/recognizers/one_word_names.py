"""One capitalized word as a name: the evidence that makes "Priyanka", "Okafor" or "Hamsini" a person.

One word says less than two: a census entry (Second, Will) or a place (Sydney) looks like a name.
It is a name when it is a common listed name in a strong context, a listed name or a word no
dictionary knows after a word that takes a person, or spaCy's PERSON on such a word.
"""

from __future__ import annotations

import regex

from govern.pii.recognizers.name_tokens import NameToken, is_double_barrelled, is_unusual
from govern.pii.recognizers.names import COMMON_GIVEN_NAMES, COMMON_SURNAMES
from govern.pii.recognizers.person_context import NameContext
from govern.pii.recognizers.word_frequency import is_rare, looks_derived

LISTED_BEFORE = regex.compile(r"(?:\band|\bor|&|,)\s+$")


class OneWordEvidence(NameContext):
    """The judge of a candidate whose core is one word (person.py weighs longer ones)."""

    def _judge_one_word(
        self,
        group: list[NameToken],
        token: NameToken,
        strong: bool,
        weak: bool,
        direct: bool,
        ner_person: bool,
    ) -> int:
        """0 (not a name) to 3 (strong evidence) for a sub-run whose core is `token`."""
        start, end = group[0].start, group[-1].end
        unusual = is_unusual(token)
        # One word is a name on list evidence only if the name is common ("Customer: Second
        # time asking" holds the census surname Second), or, after a role word or a greeting, a
        # double-barrelled name ("caretaker Murphy-Chapman"; Hughes-Potts alone is as often a firm).
        listed = self.use_lists and (
            token.lower in COMMON_GIVEN_NAMES
            or token.lower in COMMON_SURNAMES
            or (
                unusual
                and is_double_barrelled(token)
                and (direct or self._role_right_before(start))
            )
        )
        if (
            strong
            and (token.shape == "title" or len(token.text) > 2)
            and (listed or ner_person or self._after_title(start) or self._signature(start))
        ):
            return 3
        # "spoke with Priyanka", "seen by Okafor": a listed name after a word that takes a person
        if (
            self.use_lists
            and self.use_context
            and token.shape == "title"
            and (token.given or token.surname)
            and self._personal_before(start)
            and not self._ner_other(start, end)
        ):
            return 1
        # "ring Aarini back", "contact for Nakul:": a word no list or dictionary knows, that
        # spaCy calls a person, after a word that takes a person
        if (
            self.use_context
            and ner_person
            and token.shape == "title"
            and len(token.text) > 2
            and unusual
            and (weak or self._personal_before(start))
            and not self._ner_any(start, end)
        ):
            return 1
        # "reporting to Praneel": a word no dictionary knows after a phrase that takes only a
        # person, whatever spaCy calls it (short of a date, a place or a number)
        if (
            self.use_context
            and token.shape == "title"
            and len(token.text) > 2
            and unusual
            and self._person_only_before(start)
            and not self._ner_any(start, end)
        ):
            return 1
        # "Promotion letter for M. Browning": initials before a capitalized word that is a
        # listed name or no English word
        if (
            group[0].shape == "initial"
            and token.shape == "title"
            and len(token.text) > 2
            and ((self.use_lists and (token.given or token.surname)) or unusual)
            and not self._ner_any(start, end)
        ):
            return 2
        # "; D'Costa to attend": spaCy's PERSON on a listed name that is no English word
        if (
            ner_person
            and self.use_lists
            and token.shape == "title"
            and len(token.text) > 2
            and (token.given or token.surname)
            and unusual
        ):
            return 1
        # "the refund for Todd", "review of Moore moved": a listed name that is no English word,
        # after a word that takes a person, inside a sentence, that spaCy does not call a
        # date, place, organisation or anything else; not one of a list (Rocha, Mendez and Lopez)
        if (
            self.use_context
            and self.use_lists
            and token.shape == "title"
            and len(token.text) > 2
            and (token.given or token.surname)
            and unusual
            and self._weak_before(start)
            and not LISTED_BEFORE.search(self.text[max(0, start - 6) : start])
            and not self._ner_any(start, end)
            and not self._ner_wider_org(start, end)
            and self._mid_sentence(start, end)
        ):
            return 1
        rare = (
            self.use_frequency
            and unusual
            and is_rare(token.text)
            and (token.given or token.surname or not looks_derived(token.text))
        )
        # "Welcome Niharika!", "Eiravati missed her dose", "surveyor Thakkar": a word that is
        # neither ordinary English nor a place or organisation to spaCy (or one English almost
        # never uses after a cue word, whatever spaCy calls it short of a place), greeted or doing
        # something
        # two letters are enough for a word English never writes (Vũ, Lê, Đỗ), not for Al or Ed
        long_enough = len(token.text) > 2 or (rare and not token.text.isascii())
        if (
            strong
            and token.shape == "title"
            and unusual
            and long_enough
            and (
                direct
                or not self._ner_other(start, end)
                or (
                    rare
                    and self._cued_before(start)
                    and not self._overlaps(self.place_ents, start, end)
                )
            )
        ):
            return 2
        # "approved for Hamsini by", "on the advice of Ekbal.": a word English almost never uses,
        # after a word that takes a person, inside a sentence or ending it, that spaCy does not
        # call a date or a number (a place it often calls an unfamiliar name; not after "from")
        if (
            self.use_context
            and rare
            and token.shape == "title"
            and long_enough
            and self._weak_before(start)
            and not LISTED_BEFORE.search(self.text[max(0, start - 6) : start])
            and not self._ner_unnamed(start, end)
            and not (self._from_before(start) and self._ner_any(start, end))
            and not self._dose_before(start)
            and self._mid_sentence(start, end)
        ):
            return 1
        return 0
