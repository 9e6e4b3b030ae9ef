"""People's names, from three kinds of evidence weighed together.

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

The shape sets how much evidence is needed: a capitalized pair needs one list hit or NER; an
ALL CAPS pair needs both lists, or one and a cue; a lower-case pair needs both lists and no
ordinary word. Words that English writes mostly in lower case (Quick, Open Settings: ORDINARY_WORDS
in names.py) are capitalized at the start of a sentence, not because they name someone: made only
of them, a candidate needs a title (Mr Quick), a signature, or a greeting or introduction (Dear
Hope, my name is Joy) with list or NER evidence. A speaker label ("Customer:", "Agent:") followed
by a sentence is a weak cue; followed by a value alone ("Caller: Jane Doe.") it is a strong one. Names of institutions and streets (Grace Hospital, Rose Street) are left out.
`PersonNameRecognizer(use_lists=..., use_context=..., use_ner=...)` switches parts off, so the
benchmark can measure what each contributes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from govern.pii.recognizers import register
from govern.pii.recognizers.base import SpanRecognizer
from govern.pii.recognizers.names import (
    COMMON_GIVEN_NAMES,
    COMMON_SURNAMES,
    FUNCTION_WORDS,
    GIVEN_NAMES,
    ORDINARY_WORDS,
    PARTICLES,
    PERSON_CUES,
    ROLE_CUES,
    SURNAMES,
)

FIRST_NAMES: frozenset[str] = frozenset(
    line.strip()
    for line in (Path(__file__).with_name("first_names.txt"))
    .read_text(encoding="utf-8")
    .splitlines()
    if line.strip() and not line.startswith("#")
)

_TOKEN = regex.compile(r"\p{L}[\p{L}\p{M}'’]*(?:[-‐]\p{L}[\p{L}\p{M}'’]*)*")
# Words that end a name: institutions, streets, places, things.
ORG_WORDS: frozenset[str] = frozenset(
    [
        "ltd",
        "inc",
        "llc",
        "llp",
        "plc",
        "corp",
        "corporation",
        "company",
        "co",
        "group",
        "bank",
        "insurance",
        "freight",
        "foods",
        "traders",
        "logistics",
        "industries",
        "enterprises",
        "health",
        "hospital",
        "hospitals",
        "clinic",
        "university",
        "college",
        "school",
        "academy",
        "centre",
        "center",
        "services",
        "service",
        "solutions",
        "systems",
        "partners",
        "associates",
        "consulting",
        "council",
        "trust",
        "foundation",
        "institute",
        "agency",
        "fund",
        "capital",
        "holdings",
        "pty",
        "limited",
        "labs",
        "lab",
        "studio",
        "studios",
        "motors",
        "airlines",
        "airways",
        "energy",
        "pharma",
        "pharmacy",
        "technologies",
        "technology",
        "software",
        "media",
        "network",
        "networks",
        "care",
        "ward",
        "office",
        "team",
        "department",
        "express",
        "store",
        "shop",
        "mall",
        "market",
        "hotel",
        "airport",
        "station",
        "court",
        "tribunal",
        "registry",
        "hall",
        "church",
        "house",
        "building",
        "tower",
        "park",
        "street",
        "st",
        "road",
        "rd",
        "avenue",
        "ave",
        "lane",
        "ln",
        "drive",
        "dr",
        "boulevard",
        "blvd",
        "way",
        "place",
        "crescent",
        "close",
        "terrace",
        "square",
        "highway",
        "parkway",
        "court",
        "ct",
        "grove",
        "gardens",
        "mews",
        "row",
        "walk",
        "wharf",
        "river",
        "lake",
        "beach",
        "bay",
        "valley",
        "hills",
        "heights",
        "city",
        "town",
        "village",
        "county",
        "state",
        "province",
        "region",
        "district",
        "island",
        "islands",
        "app",
        "apps",
        "update",
        "edition",
        "release",
        "version",
        "series",
        "model",
        "pro",
        "plus",
        "max",
        "mini",
        "ultra",
    ]
)
# Capitalized words that follow greetings or cues and are not names.
_NOT_NAMES = frozenset(
    [
        "team",
        "all",
        "everyone",
        "there",
        "sir",
        "madam",
        "support",
        "customer",
        "customers",
        "folks",
        "guys",
        "colleagues",
        "both",
        "again",
        "everybody",
        "anyone",
        "someone",
        "friends",
        "world",
        "guest",
        "guests",
        "user",
        "users",
        "staff",
        "aadhaar",
        "medicare",
        "pan",
        "nhi",
        "ird",
        "tfn",
        "sin",
        "pps",
        "ppsn",
        "nino",
        "nhs",
        "abn",
        "iban",
        "bsb",
        "ifsc",
        "ssn",
    ]
)
_STRONG_BEFORE = regex.compile(
    r"(?i)(?:\b(?:hi|hey|hello|dear|welcome|congratulate|congrats|goodbye|bye|ciao|thanks|thank you|cheers|"
    r"my name is|name is|name's|this is|i am|i'm|im|it's|its|call me|signed|signed by|attn|attention|c/o|"
    r"care of|(?:full |patient |customer |client |employee |account |holder |contact |legal |preferred )?name|"
    r"surname|first name|given name|from|to|cc|bcc)\s*[:,!-]?\s+|(?:^|\n)\s*(?:-|–|—)\s*)$"
)
# Cues that introduce a name and nothing else: a greeting, "my name is", a name label.
_DIRECT_BEFORE = regex.compile(
    r"(?i)\b(?:hi|hey|hello|dear|welcome|goodbye|bye|thanks|thank you|cheers|my name is|name is|name's|this is|"
    r"call me|signed by|attn|attention|c/o|care of|(?:full |patient |customer |client |employee |account |holder |"
    r"contact |legal |preferred )?name|surname|first name|given name)\s*[:,!-]?\s+$"
)
# A role word and a colon opening a line: a speaker's label, or a field's.
_LABEL_BEFORE = regex.compile(r"(?:^|\n)[^\S\n]*[\w ]{0,30}:[^\S\n]*$")
# A speaker's sentence goes on with more words after the candidate ("Customer: Quick question");
# a field's value ends with the line, the text or punctuation ("Patient: Czerwionka, Damian.").
_SENTENCE_GOES_ON = regex.compile(r"^[^\S\n]+\p{L}")
_WEAK_BEFORE = regex.compile(
    r"(?i)\b(?:to|by|with|from|for|per|and|of|cc|via|met|meet|called|call|contacted|contact|emailed|email|phoned|"
    r"texted|told|asked|ask for|thanked|thank|spoke to|speak to|spoke with|looping in|loop in|copying|notified|"
    r"paged|visited|saw|seen by|between|against|on behalf of|in favour of|in favor of)\s+$"
)
_STRONG_AFTER = regex.compile(
    r"(?i)^(?:'s\s+\w+|\s+(?:here|said|says|wrote|writes|confirmed|reported|asked|approved|signed|replied|called|"
    r"phoned|rang|emailed|texted|agreed|stated|noted|requested|complained|explained|mentioned|raised|rejected|"
    r"logged|attended|presented|reports|collected|declined|disputes|disputed|opposed|sought|granted|left|moves|"
    r"needs|wants|was|is|has|had|will|can|cited|lives|resides|arrived|missed|resigned|joined)\b)"
)
# Verbs and phrases whose object is a person: after them two or three unusual capitalized words
# are a name whatever spaCy tags them (it often calls an unfamiliar name an ORG or a GPE).
_PERSONAL_BEFORE = regex.compile(
    r"(?i)\b(?:represented by|chaired by|accompanied by|escalated to|assigned to|referred to|"
    r"reviewed by|approved by|seen by|handled by|ordered by|raised by|reported by|submitted by|"
    r"requested by|issued to|payable to|paid to|granted to|against|presence of|on behalf of|"
    r"claim for|cover arranged with|leave for|offer for|spoke to|spoke with|met with|called|"
    r"emailed|phoned|contacted|told|thanked|visited|interviewed|hired|welcome|welcomed|between)\s+$"
)
_WEAK_AFTER = regex.compile(r"^\s*(?:\(|,\s*(?:who|our|the|my|his|her|a|an|aged|age|born|dob)\b)")
_SIGN_OFF = regex.compile(
    r"(?i)(?:^|\n)\s*(?:(?:kind |best |warm |warmest |many |with )?(?:regards|thanks|wishes)|cheers|best|sincerely|"
    r"yours(?: sincerely| faithfully| truly)?|thank you|take care|ta|rgds|br|--)\s*[,.!]?\s*\n\s*(?:(?:dr|mr|mrs|ms|mx|prof)\.?\s+)?$"
)
_LAST_FIRST = regex.compile(
    r"(?<![\p{L}\p{M}'’-])(\p{Lu}[\p{L}\p{M}'’-]+(?: \p{Lu}[\p{L}\p{M}'’-]+)?), (\p{Lu}[\p{L}\p{M}'’-]+)(?![\p{L}\p{M}'’-])"
)


_PART_SEPARATOR = regex.compile(r"[-‐'’]")
_WORDS = regex.compile(r"[\w'’/]+")
_CUE_END = regex.compile(r"[\w.]\s*[:,]?\s+$")
_TITLE_BEFORE = regex.compile(
    r"(?i)\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|rev|fr|judge|justice)\.?\s+$"
)


@dataclass
class _Token:
    text: str
    start: int
    end: int
    lower: str
    shape: str  # "title", "upper", "lower", "initial" or "other"
    _given: bool | None = None
    _surname: bool | None = None

    @property
    def parts(self) -> list[str]:
        return (
            [p for p in _PART_SEPARATOR.split(self.lower) if p]
            if any(c in self.lower for c in "-‐'")
            else [self.lower]
        )

    @property
    def given(self) -> bool:
        if self._given is None:
            parts = self.parts
            self._given = self.lower in GIVEN_NAMES or (
                len(parts) > 1 and parts[0] in GIVEN_NAMES and "-" in self.lower
            )
        return self._given

    @property
    def surname(self) -> bool:
        if self._surname is None:
            parts = self.parts
            self._surname = self.lower in SURNAMES or (
                len(parts) > 1 and any(len(p) > 2 and p in SURNAMES for p in parts)
            )
        return self._surname


def _shape(text: str, following: str) -> str:
    letters = [c for c in text if c.isalpha()]
    if len(letters) == 1 and letters[0].isupper():
        return "initial" if following.startswith(".") else "upper"
    if all(c.isupper() for c in letters):
        return "upper"
    if all(c.islower() for c in letters):
        return "lower"
    if letters[0].isupper():
        return "title"
    return "lower" if "-" in text and letters[0].islower() else "other"


def _tokens(text: str) -> list[_Token]:
    found = []
    for match in _TOKEN.finditer(text):
        word = match.group()
        glued = text[match.end() : match.end() + 2]
        if (
            glued[:1].isdigit()
            or (glued[:1] in "-/_" and glued[1:2].isdigit())
            or (
                match.start()
                and (text[match.start() - 1].isdigit() or text[match.start() - 1] in "_/@")
            )
        ):
            continue  # part of a code (TCK-83824, V15, 4mL) or an address
        found.append(
            _Token(
                word,
                match.start(),
                match.end(),
                word.lower().replace("’", "'"),
                _shape(word, text[match.end() : match.end() + 1]),
            )
        )
    return found


def _runs(text: str, tokens: list[_Token]) -> list[list[_Token]]:
    """Tokens separated by one space (or an initial's dot and a space) form a run."""
    runs: list[list[_Token]] = []
    for token in tokens:
        if runs:
            gap = text[runs[-1][-1].end : token.start]
            if gap == " " or (gap == ". " and runs[-1][-1].shape == "initial"):
                runs[-1].append(token)
                continue
        runs.append([token])
    return runs


_DETERMINERS = frozenset(
    [
        "the",
        "a",
        "an",
        "my",
        "our",
        "your",
        "his",
        "her",
        "their",
        "its",
        "this",
        "that",
        "these",
        "those",
        "new",
        "old",
        "replacement",
        "broken",
    ]
)
_FIELD_BEFORE = regex.compile(r"(?:^|[:\-–—|]\s+|\n\s*)$")
_VOWELS = frozenset("aeiouyàáâãäåèéêëìíîïòóôõöùúûüýæøœ")


def _has_vowel(word: str) -> bool:
    return any(c in _VOWELS for c in word)


def _unusual(token: _Token) -> bool:
    """Neither an ordinary English word nor a function, cue or institution word, in any part."""
    return (
        all(
            part not in ORDINARY_WORDS and part not in FUNCTION_WORDS and part not in ORG_WORDS
            for part in [token.lower, *token.parts]
        )
        and token.lower not in PERSON_CUES
    )


def _hyphen_given(token: _Token) -> bool:
    """A double-barrelled given name (mitesh-thomas): some part is a given name."""
    return "-" in token.lower and any(part in GIVEN_NAMES for part in token.parts)


def _is_given(token: _Token) -> bool:
    return token.given


def _is_surname(token: _Token) -> bool:
    return token.surname


def _is_particle(token: _Token) -> bool:
    return token.lower in PARTICLES and token.shape in ("lower", "title", "upper")


def _name_word(token: _Token) -> bool:
    return (
        token.shape in ("title", "upper", "lower", "initial") and token.lower not in FUNCTION_WORDS
    )


class PersonEvidence:
    """The name candidates of one text and the evidence for each."""

    def __init__(
        self, text: str, doc: Any, use_lists: bool, use_context: bool, use_ner: bool
    ) -> None:
        self.text = text
        self.use_lists, self.use_context, self.use_ner = use_lists, use_context, use_ner
        self._before: dict[int, tuple[bool, bool, bool, bool]] = {}
        self._after: dict[int, tuple[bool, bool, bool]] = {}
        self.person_ents: list[tuple[int, int]] = []
        self.other_ents: list[tuple[int, int]] = []
        if use_ner and doc is not None:
            for ent in doc.ents:
                if any(c.isdigit() for c in ent.text):
                    continue
                target = self.person_ents if ent.label_ == "PERSON" else self.other_ents
                if ent.label_ in (
                    "PERSON",
                    "ORG",
                    "PRODUCT",
                    "FAC",
                    "WORK_OF_ART",
                    "EVENT",
                    "LAW",
                    "GPE",
                    "NORP",
                    "LOC",
                ):
                    target.append((ent.start_char, ent.end_char))
        self.place_ents = (
            []
            if doc is None or not use_ner
            else [(e.start_char, e.end_char) for e in doc.ents if e.label_ in ("GPE", "LOC", "FAC")]
        )
        self.org_ents = (
            []
            if doc is None or not use_ner
            else [
                (e.start_char, e.end_char)
                for e in doc.ents
                if e.label_ in ("ORG", "PRODUCT", "FAC", "WORK_OF_ART", "LAW")
            ]
        )

    def candidates(self) -> Iterable[list[_Token]]:
        """Sub-runs of name words: no cue, function or institution word inside; particles only inside."""
        for run in _runs(self.text, _tokens(self.text)):
            current: list[_Token] = []
            ended: list[_Token | None] = [*run, None]
            for token in ended:
                keep = (
                    token is not None
                    and (_name_word(token) or _is_particle(token))
                    and not (
                        (token.lower in PERSON_CUES and token.shape != "upper")
                        or token.lower in ORG_WORDS
                    )
                )
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
                while current and _is_particle(current[-1]) and current[-1].shape == "lower":
                    current.pop()
                while current and _is_particle(current[0]) and current[0].shape == "lower":
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
                        and _is_given(last[0])
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
    def _split_by_shape(tokens: list[_Token]) -> Iterable[list[_Token]]:
        """A lower-case word after capitalized ones ends the name (Jane Doe said); particles stay."""
        group: list[_Token] = []
        kind = None
        for token in tokens:
            token_kind = "lower" if token.shape == "lower" and not _is_particle(token) else "cap"
            if group and token_kind != kind:
                yield group
                group = []
            if not group:
                kind = token_kind
            group.append(token)
        if group:
            yield group

    def _context(self, start: int, end: int) -> tuple[bool, bool, bool]:
        """(strong, weak, direct) context around a candidate; the parts before and after are memoised.

        direct: a greeting, an introduction, a name label, a title or a sign-off right before.
        """
        before = self._before.get(start)
        if before is None:
            text = self.text[max(0, start - 60) : start]
            words = _WORDS.findall(text[-24:].lower())
            role = bool(words and words[-1].rstrip(".") in PERSON_CUES and _CUE_END.search(text))
            other = bool(_STRONG_BEFORE.search(text) or _SIGN_OFF.search(text))
            label = role and not other and bool(_LABEL_BEFORE.search(text))
            direct = bool(
                _DIRECT_BEFORE.search(text)
                or _SIGN_OFF.search(text)
                or _TITLE_BEFORE.search(text[-12:])
            )
            before = self._before[start] = (
                role or other,
                bool(_WEAK_BEFORE.search(text)),
                label,
                direct,
            )
        after = self._after.get(end)
        if after is None:
            text = self.text[end : end + 40]
            after = self._after[end] = (
                bool(_STRONG_AFTER.search(text)),
                bool(_WEAK_AFTER.search(text)),
                bool(_SENTENCE_GOES_ON.search(text)),
            )
        strong_before, weak_before, label, direct = before
        if label and after[2]:
            # "Customer: Quick question." -- a speaker's label, then a sentence: a weak cue only
            strong_before, weak_before = False, True
        return strong_before or after[0], weak_before or after[1], direct

    def _overlaps(self, spans: list[tuple[int, int]], start: int, end: int) -> bool:
        return any(a < end and start < b for a, b in spans)

    def names(self) -> Iterable[tuple[int, int, float]]:
        for group in self.candidates():
            yield from self._best(group)
        if self.use_lists or self.use_context:
            yield from self._last_first()

    def _best(self, group: list[_Token]) -> Iterable[tuple[int, int, float]]:
        """The strongest non-overlapping names among the group's sub-runs of up to four words."""
        judged = []
        for i in range(len(group)):
            if _is_particle(group[i]) and group[i].shape == "lower":
                continue
            for j in range(i, min(len(group), i + 5)):
                if _is_particle(group[j]) and group[j].shape == "lower":
                    continue
                strength = self._judge(group[i : j + 1])
                if strength:
                    judged.append((strength, j - i, group[i].start, group[j].end))
        taken: list[tuple[int, int]] = []
        for strength, _length, start, end in sorted(judged, key=lambda x: (-x[0], -x[1], x[2])):
            if not any(a < end and start < b for a, b in taken):
                taken.append((start, end))
                yield start, end, 0.6 if strength >= 2 else 0.5

    def _judge(self, group: list[_Token]) -> int:
        """0 (not a name) to 3 (strong evidence) for one sub-run."""
        core = [t for t in group if t.shape != "initial" and not _is_particle(t)] or [
            t for t in group if t.shape != "initial"
        ]
        if not core or len(core) > 4 or any(t.lower in _NOT_NAMES for t in core):
            return 0
        start, end = group[0].start, group[-1].end
        shapes = {t.shape for t in core}
        given = self.use_lists and _is_given(core[0])
        surname = self.use_lists and len(core) > 1 and _is_surname(core[-1])
        unusual = all(_unusual(t) for t in core)
        if shapes == {"lower"}:
            if (
                self.use_context
                and 2 <= len(core) <= 4
                and unusual
                and (
                    self._cue_before(start)
                    or self._context(start, end)[0]
                    or (self._personal_before(start) and len(core) <= 3)
                    or (self._weak_before(start) and (given or _hyphen_given(core[0])))
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
            before = self._cue_before(start) if self.use_context else False
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
            token = core[0]
            # One word is a name on list evidence only if the name is common ("Customer: Second
            # time asking" holds the census surname Second).
            listed = self.use_lists and (
                token.lower in COMMON_GIVEN_NAMES or token.lower in COMMON_SURNAMES
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
            # "Welcome Niharika!", "Eiravati missed her dose": a word that is neither ordinary
            # English nor a place or organisation to spaCy, greeted or doing something
            if (
                strong
                and token.shape == "title"
                and unusual
                and len(token.text) > 2
                and (direct or not self._ner_other(start, end))
            ):
                return 2
            return 0
        if shapes == {"upper"}:
            if strong and len(core) <= 3:
                return 3
            if given and surname:
                return 2
            if (
                2 <= len(core) <= 3
                and unusual
                and all(len(t.text) > 2 and _has_vowel(t.lower) for t in core)
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

    def _mid_sentence(self, start: int, end: int) -> bool:
        """Lower-case words on both sides, and no determiner or possessive right before."""
        before = _WORDS.findall(self.text[max(0, start - 20) : start])
        after = self.text[end : end + 3]
        return bool(
            before
            and before[-1].islower()
            and before[-1] not in _DETERMINERS
            and self.text[start - 1 : start] == " "
            and (not after or not after.lstrip()[:1].isupper() or after[:1] in ",.;:)")
        )

    def _ner_other(self, start: int, end: int) -> bool:
        return self.use_ner and any(a < end and start < b for a, b in self.other_ents)

    def _weak_before(self, start: int) -> bool:
        return bool(_WEAK_BEFORE.search(self.text[max(0, start - 40) : start]))

    def _personal_before(self, start: int) -> bool:
        return bool(_PERSONAL_BEFORE.search(self.text[max(0, start - 40) : start]))

    def _field_before(self, start: int) -> bool:
        """A value's place in a form or a list: after a colon, a dash or a line break."""
        return bool(_FIELD_BEFORE.search(self.text[max(0, start - 4) : start]))

    def _ner_person(self, start: int, end: int) -> bool:
        return self.use_ner and any(a < end and start < b for a, b in self.person_ents)

    def _cue_before(self, start: int) -> bool:
        """A word introducing a person right before (pt, vp, resident, my name is, hi)."""
        before = self.text[max(0, start - 60) : start]
        words = _WORDS.findall(before[-24:].lower())
        # our own role words only: nameparser's abbreviations (mg, dr) are too often ordinary lower-case words
        return bool(
            (words and words[-1] in ROLE_CUES)
            or _STRONG_BEFORE.search(before)
            or _SIGN_OFF.search(before)
        )

    def _after_title(self, start: int) -> bool:
        return bool(_TITLE_BEFORE.search(self.text[max(0, start - 12) : start]))

    def _signature(self, start: int) -> bool:
        return bool(_SIGN_OFF.search(self.text[max(0, start - 60) : start]))

    def _last_first(self) -> Iterable[tuple[int, int, float]]:
        """ "Doe, Jane" and "DOE, JANE" in forms and lists."""
        for match in _LAST_FIRST.finditer(self.text):
            last, first = match.group(1), match.group(2)
            first_token = _Token(
                first, match.start(2), match.end(2), first.lower(), _shape(first, "")
            )
            if (
                first.lower() in FUNCTION_WORDS
                or last.lower() in FUNCTION_WORDS
                or last.split()[-1].lower() in ORG_WORDS
            ):
                continue
            if last.split()[0].lower() in PERSON_CUES or all(
                w.lower() in ORDINARY_WORDS for w in (*last.split(), first)
            ):
                continue
            last_token = _Token(last, match.start(1), match.end(1), last.lower(), _shape(last, ""))
            if (
                self.use_lists
                and _is_given(first_token)
                and (_is_surname(last_token) or self._context(match.start(), match.end())[0])
            ):
                yield match.start(), match.end(), 0.6


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
    ) -> None:
        super().__init__(supported_language)
        self.use_lists, self.use_context, self.use_ner = use_lists, use_context, use_ner

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        return PersonEvidence(text, None, self.use_lists, self.use_context, False).names()

    def spans(self, text: str, nlp_artifacts: object = None) -> Iterable[tuple[int, int, float]]:
        doc = getattr(nlp_artifacts, "tokens", None)
        return PersonEvidence(text, doc, self.use_lists, self.use_context, self.use_ner).names()
