"""People's names, from four kinds of evidence weighed together.

A candidate is a run of name-shaped words: capitalized, ALL CAPS or lower case, with hyphens,
apostrophes, initials and particles (O'Neill, Smith-Jones, J. van der Berg, Ó Briain). What
makes it a name:

    lists    its first word is a known given name, its last a known surname (names.py)
    context  a word that introduces a person before it (an honorific, a role such as CFO or
             tenant, a greeting, "my name is", a label such as "Name:"), a verb after it
             ("... said", "... here"), a sign-off line above it (a signature), or a weaker cue
             (escalated *to*, approved *by*) that needs one more piece of evidence
    NER      spaCy tagged it PERSON (the span is widened to the whole name), or tagged it ORG
             or GPE though the lists say it is a name; an ORG tag vetoes thin list evidence
    rarity   a word English almost never uses (word_frequency.py: Hamsini, Omolabake) after a
             word that takes a person, whatever spaCy calls it short of a date or a number

One word is judged in one_word_names.py, "Surname, Given" in last_first.py. A word of a found
name is a name where else it stands capitalized in the text (_repeated). A candidate with an article before it or a model number after it (the Ford Ranger,
Latitude 5440, Panadol 500 mg) is a thing, short of a strong cue.

The shape sets how much evidence is needed: a capitalized pair needs one list hit or NER; an
ALL CAPS pair needs both lists, or one and a cue; a lower-case pair needs both lists and no
ordinary word. Words that English writes mostly in lower case (Quick, Open Settings: ORDINARY_WORDS
in names.py) are capitalized at the start of a sentence, not because they name someone: made only
of them, a candidate needs a title (Mr Quick), a signature, or a greeting or introduction (Dear
Hope, my name is Joy) with list or NER evidence. A speaker label ("Customer:", "Agent:") followed
by a sentence is a weak cue; followed by a value alone ("Caller: Jane Doe.", "Agent on shift:
Justin.") it is a strong one. Names of institutions and streets (Grace Hospital, Rose Street)
are left out.
`PersonNameRecognizer(use_lists=..., use_context=..., use_ner=..., use_frequency=...)` switches
parts off, so the benchmark can measure what each contributes.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable

from govern.pii.recognizers import register
from govern.pii.recognizers.base import SpanRecognizer
from govern.pii.recognizers.last_first import LastFirstEvidence
from govern.pii.recognizers.name_cues import (
    NOT_NAMES,
    ORG_WORDS,
    PERSON_CUES,
)
from govern.pii.recognizers.name_tokens import (
    NameToken,
    has_vowel,
    is_given,
    is_hyphen_given,
    is_name_word,
    is_particle,
    is_surname,
    is_unusual,
    runs_of,
    tokenize,
)
from govern.pii.recognizers.names import (
    COMMON_GIVEN_NAMES,
    COMMON_SURNAMES,
    FUNCTION_WORDS,
    ORDINARY_WORDS,
    PARTICLES,
    SURNAMES,
)
from govern.pii.recognizers.one_word_names import OneWordEvidence
from govern.pii.recognizers.word_frequency import is_rare_name_word


def _may_repeat(token: NameToken) -> bool:
    """Not a function, cue, institution word or particle: a word that can stand for a person."""
    return not (
        token.lower in FUNCTION_WORDS
        or token.lower in PERSON_CUES
        or token.lower in ORG_WORDS
        or token.lower in PARTICLES
        or token.lower in NOT_NAMES
    )


# Surname particles written as words of their own inside a lower-case name (franck le rey);
# nameparser's other prefixes (do, bar, op, in) are lower-case English words too
NAME_PARTICLES = frozenset(
    ["le", "la", "de", "du", "da", "di", "del", "della", "dos", "das", "van", "von", "der", "den"]
    + ["ó", "ní", "mac", "mc", "bin", "ibn"]
)


def _leads_surname(tokens: list[NameToken]) -> bool:
    """Lower-case surname particles, then a capitalized word: de Dease, van der Wal (la and le,
    articles before a name too, do not lead one: la Liga)."""
    for token in tokens:
        if (
            token.shape == "lower"
            and token.lower in NAME_PARTICLES
            and token.lower not in ("la", "le")
        ):
            continue
        return token is not tokens[0] and token.shape == "title"
    return False


class PersonEvidence(OneWordEvidence, LastFirstEvidence):
    """The name candidates of one text and the evidence for each."""

    @functools.cached_property
    def tokens(self) -> list[NameToken]:
        """The text's words, tokenized once for the candidates and the repeated mentions."""
        return tokenize(self.text)

    def candidates(self) -> Iterable[list[NameToken]]:
        """Sub-runs of name words: no cue, function or institution word inside; particles only inside."""
        for run in runs_of(self.text, self.tokens):
            current: list[NameToken] = []
            ended: list[NameToken | None] = [*run, None]
            for index, token in enumerate(ended):
                keep = (
                    token is not None
                    and (is_name_word(token) or is_particle(token))
                    and not (
                        (token.lower in PERSON_CUES and token.shape != "upper")
                        or token.lower in ORG_WORDS
                    )
                ) or self._surname_like_cue(current, token, ended[index + 1 : index + 2])
                if (
                    keep
                    and token is not None
                    and token.lower in PERSON_CUES
                    and token.shape == "upper"
                    and not current
                ):
                    keep = False  # an ALL CAPS role word (CFO, VP) before a name
                if keep and token is not None:
                    current.append(token)
                    continue
                while current and is_particle(current[-1]) and current[-1].shape == "lower":
                    current.pop()
                while (
                    current
                    and is_particle(current[0])
                    and current[0].shape == "lower"
                    and not _leads_surname(current)
                ):
                    current.pop(0)
                groups = list(self._split_by_shape(current)) if current else []
                institution = (
                    token is not None and token.lower in ORG_WORDS and token.shape != "lower"
                )
                if institution and token is not None and groups and groups[-1][0].shape != "lower":
                    last = groups[-1]
                    if (
                        token.shape == "title"
                        and token.lower in SURNAMES
                        and len(last) == 1
                        and is_given(last[0])
                        and not (
                            self._ner_other(last[0].start, token.end)
                            and not self._ner_person(last[0].start, token.end)
                        )
                    ):
                        last.append(token)  # Jeffrey Hall, Heather Ward: a surname, not a hall
                    else:
                        # only the words right before an institution or street word are its
                        # name (Grace Hospital); a name earlier in the run stays one
                        groups.pop()
                yield from groups
                current = []

    @staticmethod
    def _surname_like_cue(
        current: list[NameToken], token: NameToken | None, following: list[NameToken | None]
    ) -> bool:
        """A title that is a common surname, after one given name and ending the run: Shane
        Burgess, Eamonn English (Doctor Patel, Dr Jane Doe keep their titles)."""
        after = following[0] if following else None
        return (
            token is not None
            and token.shape == "title"
            and token.lower in PERSON_CUES
            and token.lower in COMMON_SURNAMES
            and bool(current)
            and current[-1].shape == "title"
            and is_given(current[-1])
            and current[-1].lower not in PERSON_CUES
            and (len(current) == 1 or current[-2].shape == "lower")
            and (after is None or not is_name_word(after) or after.shape == "lower")
        )

    @staticmethod
    def _split_by_shape(tokens: list[NameToken]) -> Iterable[list[NameToken]]:
        """A lower-case word after capitalized ones ends the name (Jane Doe said); particles stay."""
        group: list[NameToken] = []
        kind = None
        for token in tokens:
            token_kind = "lower" if token.shape == "lower" and not is_particle(token) else "cap"
            if token.shape == "lower" and token.lower in NAME_PARTICLES and group:
                token_kind = kind or token_kind  # "franck le rey": a particle stays in the name
            if group and token_kind != kind:
                yield group
                group = []
            if not group:
                kind = token_kind
            group.append(token)
        if group:
            yield group

    def names(self) -> Iterable[tuple[int, int, float]]:
        found = [span for group in self.candidates() for span in self._best(group)]
        if self.use_lists or self.use_context:
            found += self._last_first()
        yield from found
        yield from self._repeated(found)

    def _repeated(self, found: list[tuple[int, int, float]]) -> Iterable[tuple[int, int, float]]:
        """Other mentions of a found name's words ("Reassigned from Che Greely ... because Che is
        on leave"). A word English also writes in lower case (Che, Min) counts only where a
        sentence does not capitalize it: after a lower-case word."""
        words = {
            token.text: is_unusual(token)
            for start, end, _ in found
            for token in tokenize(self.text[start:end])
            if token.shape == "title" and len(token.text) > 1 and _may_repeat(token)
        }
        for token in self.tokens if words else []:
            if token.text not in words or any(a <= token.start < b for a, b, _ in found):
                continue
            before = self.text[max(0, token.start - 20) : token.start].split()
            if words[token.text] or (before and before[-1].islower()):
                yield token.start, token.end, 0.5

    def _best(self, group: list[NameToken]) -> Iterable[tuple[int, int, float]]:
        """The strongest non-overlapping names among the group's sub-runs of up to four words."""
        judged = []
        for i in range(len(group)):
            if (
                is_particle(group[i])
                and group[i].shape == "lower"
                and not (i == 0 and _leads_surname(group))
            ):
                continue
            for j in range(i, min(len(group), i + 5)):
                if is_particle(group[j]) and group[j].shape == "lower":
                    continue
                strength = self._judge(group[i : j + 1])
                if strength:
                    judged.append((strength, j - i, group[i].start, group[j].end))
        taken: list[tuple[int, int]] = []
        for strength, _length, start, end in sorted(judged, key=lambda x: (-x[0], -x[1], x[2])):
            if not any(a < end and start < b for a, b in taken):
                taken.append((start, end))
                yield start, end, 0.6 if strength >= 2 else 0.5

    def _particle_surname(self, group: list[NameToken], core: list[NameToken]) -> int:
        """ "certificate for da Đặng", "caretaker van der Guard": a lower-case surname particle
        before one or two capitalized words no dictionary knows, where a person is named."""
        start, end = group[0].start, group[-1].end
        if not (
            self.use_context
            and 1 <= len(core) <= 2
            and all(t.shape == "title" and len(t.text) > 1 and is_unusual(t) for t in core)
        ):
            return 0
        strong, weak, _ = self._context(start, end)
        if (
            (strong or weak or self._personal_before(start) or self._field_before(start))
            and not self._ner_numeric(start, end)
            and not self._a_thing(start, end)
        ):
            return 2
        return 0

    def _judge(self, group: list[NameToken]) -> int:
        """0 (not a name) to 3 (strong evidence) for one sub-run."""
        core = [t for t in group if t.shape != "initial" and not is_particle(t)] or [
            t for t in group if t.shape != "initial"
        ]
        if not core or len(core) > 4 or any(t.lower in NOT_NAMES for t in core):
            return 0
        start, end = group[0].start, group[-1].end
        if group[0].shape == "lower" and is_particle(group[0]):
            return self._particle_surname(group, core)
        shapes = {t.shape for t in core}
        given = self.use_lists and is_given(core[0])
        surname = self.use_lists and len(core) > 1 and is_surname(core[-1])
        unusual = all(is_unusual(t) for t in core)
        if shapes == {"lower"}:
            if (
                self.use_context
                and self.use_lists
                and 2 <= len(core) <= 3
                and len(group) >= 3
                and group[-2].lower in NAME_PARTICLES
                and group[-2].shape == "lower"
                and len(group[-1].text) > 1
                and (is_given(core[0]) or is_hyphen_given(core[0]))
                and (
                    self._cue_before(start)
                    or self._context(start, end)[0]
                    or self._weak_before(start)
                    or self._field_before(start)
                )
            ):
                # "requested by grace le peters", "kai de lad called": a given name, a surname
                # particle and a word, all in lower case, where a person is named
                return 2
            if (
                self.use_context
                and 2 <= len(core) <= 4
                and unusual
                and (
                    self._cue_before(start)
                    or self._context(start, end)[0]
                    or (self._personal_before(start) and len(core) <= 3)
                    or (self._weak_before(start) and (given or is_hyphen_given(core[0])))
                    or (self._field_before(start) and len(core) <= 3)
                    # "... eshana raj (from the Leeds store)": a listed name in words English
                    # does not know, before a bracket or an apposition
                    or (
                        self._context(start, end)[1]
                        and len(core) <= 3
                        and (given or (self.use_lists and is_surname(core[-1])))
                    )
                )
            ):
                # "our vp dhruv sarma-tripathi wants ...", "seen by teresa curnyn": words English
                # never writes in lower case, after a role or before a verb
                return 2
            if (
                len(core) < 2
                or not (given or self.use_context)
                or all(t.lower in ORDINARY_WORDS for t in core)
            ):
                return 0
            # Lower-case words are names only with common names or a cue word before them: a rare
            # census entry ("full", "twice") must not turn ordinary words into a person.
            before = self.use_context and (
                self._cue_before(start)
                or (self._context(start, end)[0] and given and core[0].lower not in ORDINARY_WORDS)
            )
            common_given = self.use_lists and core[0].lower in COMMON_GIVEN_NAMES
            if common_given and core[-1].lower in COMMON_SURNAMES:
                return 3 if before else 2
            if (
                before
                and 2 <= len(core) <= 3
                and (surname or (len(core) == 2 and (common_given or self._ner_person(start, end))))
            ):
                return 2
            return 0
        if "lower" in shapes:
            return 0
        strong, weak, direct = (
            self._context(start, end) if self.use_context else (False, False, False)
        )
        ner_person = self._ner_person(start, end)
        if self.use_context and not strong and self._a_thing(start, end):
            return 0  # the Ford Ranger, my Dell Latitude 5440, Panadol 500 mg: a product
        if all(t.lower in ORDINARY_WORDS for t in core):
            # Open Settings, Quick: words capitalized by the sentence, not by a name. Only a title
            # or a signature, or a greeting with list or NER evidence, makes them a name.
            if not self.use_context or len(core) > 3:
                return 0
            if self._after_title(start) or self._signature(start):
                return 3
            listed = self.use_lists and (
                (given and surname)
                if len(core) > 1
                else (core[0].lower in COMMON_GIVEN_NAMES or core[0].lower in COMMON_SURNAMES)
            )
            return 2 if direct and (listed or ner_person) else 0
        if len(core) == 1:
            return self._judge_one_word(group, core[0], strong, weak, direct, ner_person)
        if shapes == {"upper"}:
            if strong and len(core) <= 3:
                return 3
            if given and surname:
                return 2
            if (
                2 <= len(core) <= 3
                and unusual
                and all(len(t.text) > 2 and has_vowel(t.lower) for t in core)
                and (given or surname or weak or ner_person or self._field_before(start))
            ):
                # "Ticket 123 - DOYINSOLA ADEROGBA - card ...", "Discharge summary: KIERAN KEANEY,"
                return 2
            if (given or surname) and (weak or ner_person):
                return 1
            return 0
        if strong:
            return 3
        if given and surname:
            return 2 + int(ner_person)
        if ner_person:
            return 2
        if (
            self.use_context
            and self.use_frequency
            and 2 <= len(core) <= 3
            and all(t.shape == "title" and is_rare_name_word(t) for t in core)
            and (weak or self._field_before(start) or self._personal_before(start))
            and not self._ner_numeric(start, end)
        ):
            return (
                2  # "for Zehaan: Sudiksha Nagi": words English almost never uses, where a person is
            )
        if (
            self.use_context
            and 2 <= len(core) <= 3
            and unusual
            and all(t.shape == "title" for t in core)
            and self._personal_before(start)
        ):
            return 2  # "represented by Ishola Iyanda", "chaired by Clodagh Colum"
        if (
            self.use_context
            and 2 <= len(core) <= 3
            and unusual
            and all(t.shape == "title" for t in core)
            and self._field_before(start)
            and not (self.use_ner and any(a < end and start < b for a, b in self.org_ents))
        ):
            return 1  # "Ref 4471 - Ishola Iyanda - ...", "Witness: Clodagh Colum"
        if (
            self.use_context
            and 2 <= len(core) <= 3
            and unusual
            and all(t.shape == "title" for t in core)
            and self._mid_sentence(start, end)
            and not (self.use_ner and any(a < end and start < b for a, b in self.place_ents))
        ):
            # two or three capitalized words English does not know, inside a sentence and not
            # after a determiner (the Breville Barista, my Sonos Arc): most often a person
            return 1
        ner_org = self.use_ner and any(a < end and start < b for a, b in self.org_ents)
        if (given or surname) and (weak or not ner_org):
            return 1
        # Unknown names (Adebiyi Omojola) after a weak cue (signed by, the presence of), when spaCy
        # does not call them an organisation or a place.
        ner_other = self.use_ner and any(a < end and start < b for a, b in self.other_ents)
        if (
            weak
            and self.use_context
            and len(core) <= 3
            and not ner_other
            and all(t.shape == "title" for t in core)
        ):
            return 1
        return 0


@register
class PersonNameRecognizer(SpanRecognizer):
    """Names from lists, context and spaCy's entities together (see the module docstring)."""

    NAME = "PersonNameRecognizer"
    ENTITY = "PERSON"

    def __init__(
        self,
        supported_language: str = "en",
        use_lists: bool = True,
        use_context: bool = True,
        use_ner: bool = True,
        use_frequency: bool = True,
    ) -> None:
        super().__init__(supported_language)
        self.use_lists, self.use_context, self.use_ner = use_lists, use_context, use_ner
        self.use_frequency = use_frequency

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        return PersonEvidence(
            text, None, self.use_lists, self.use_context, False, self.use_frequency
        ).names()

    def spans(self, text: str, nlp_artifacts: object = None) -> Iterable[tuple[int, int, float]]:
        doc = getattr(nlp_artifacts, "tokens", None)
        return PersonEvidence(
            text, doc, self.use_lists, self.use_context, self.use_ner, self.use_frequency
        ).names()
