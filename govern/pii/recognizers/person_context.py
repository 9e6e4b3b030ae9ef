"""The context patterns around a name candidate: what comes before it, what after.

Each is matched against a short window of text right before (`..._BEFORE`, anchored at `$`) or
right after (`..._AFTER`, anchored at `^`) the candidate. `NameContext` reads them, and spaCy's
entities, around a candidate; person.py weighs what it reports.
"""

from __future__ import annotations

from typing import Any

import regex

from govern.pii.recognizers.name_cues import DETERMINERS, PERSON_CUES, ROLE_CUES

STRONG_BEFORE = regex.compile(
    r"(?i)(?:\b(?:hi|hey|hello|dear|welcome|congratulate|congrats|goodbye|bye|ciao|thanks|thank you|cheers|"
    r"my name is|name is|name's|this is|i am|i'm|im|it's|its|call me|signed|signed by|attn|attention|c/o|"
    r"care of|(?:full |patient |customer |client |employee |account |holder |contact |legal |preferred )?name|"
    r"surname|first name|given name|from|to|cc|bcc)\s*[:,!-]?\s+|(?:^|\n)\s*(?:-|–|—)\s*)$"
)
# Cues that introduce a name and nothing else: a greeting, "my name is", a name label.
DIRECT_BEFORE = regex.compile(
    r"(?i)\b(?:hi|hey|hello|dear|welcome|goodbye|bye|thanks|thank you|cheers|my name is|name is|name's|this is|"
    r"call me|signed by|attn|attention|c/o|care of|(?:full |patient |customer |client |employee |account |holder |"
    r"contact |legal |preferred )?name|surname|first name|given name)\s*[:,!-]?\s+$"
)
# A role word and a colon opening a line: a speaker's label, or a field's.
LABEL_BEFORE = regex.compile(r"(?:^|\n)[^\S\n]*[\w ]{0,30}:[^\S\n]*$")
# A label led by a word, after a line break or a sentence's end: "... will not pair. Agent on shift:"
ROLE_LABEL_BEFORE = regex.compile(
    r"(?:^|\n|[.!?;][^\S\n]+)[^\S\n]*(?P<role>\p{L}+)(?: [\p{L}]+){0,3}:[^\S\n]*$"
)
# A speaker's sentence goes on with more words after the candidate ("Customer: Quick question");
# a field's value ends with the line, the text or punctuation ("Patient: Czerwionka, Damian.").
SENTENCE_GOES_ON = regex.compile(r"^[^\S\n]+\p{L}")
WEAK_BEFORE = regex.compile(
    r"(?i)\b(?:to|by|with|from|for|per|and|of|cc|via|met|meet|called|call|contacted|contact|emailed|email|phoned|"
    r"texted|told|asked|ask for|thanked|thank|spoke to|speak to|spoke with|looping in|loop in|copying|notified|"
    r"ring|rang|ringing|message|messaged|ping|pinged|son of|daughter of|wife of|husband of|"
    r"paged|visited|saw|seen by|between|against|on behalf of|in favour of|in favor of|served on)\s+$"
)
STRONG_AFTER = regex.compile(
    r"(?i)^(?:'s\s+\w+|\s+(?:here|said|says|wrote|writes|confirmed|reported|asked|approved|signed|replied|called|"
    r"phoned|rang|emailed|texted|agreed|stated|noted|requested|complained|explained|mentioned|raised|rejected|"
    r"logged|attended|presented|reports|collected|declined|disputes|disputed|opposed|sought|granted|left|moves|"
    r"needs|wants|was|is|has|had|will|can|cited|lives|resides|arrived|missed|resigned|joined|"
    r"to (?:attend|chair|join|present|sign|follow up|confirm|reply|respond|advise)|"
    # verbs of people, not of firms: thanking, consenting, testifying, a patient's own report
    r"thanked|thanks|enquired|inquired|consented|testified|deposed|underwent|telephoned|spoke|"
    r"apologised|apologized|feels|felt|denies|denied|tolerated|fainted|fell|thinks|believes|"
    r"hopes|prefers|remembers|recalls|recalled|"
    # a person of a department ("Can Emily from billing ring ..."); a firm is not "from billing"
    r"from (?:billing|accounts|support|sales|payroll|reception|finance|hr|it|legal|marketing|"
    r"procurement|dispatch|claims|collections|compliance|facilities|security)\b)\b)"
)
# Verbs and phrases whose object is a person: after them two or three unusual capitalized words
# are a name whatever spaCy tags them (it often calls an unfamiliar name an ORG or a GPE).
PERSONAL_BEFORE = regex.compile(
    r"(?i)\b(?:represented by|chaired by|accompanied by|escalated to|assigned to|referred to|"
    r"reviewed by|approved by|seen by|handled by|ordered by|raised by|reported by|submitted by|"
    r"requested by|issued to|payable to|paid to|granted to|against|presence of|on behalf of|"
    r"claim for|cover arranged with|leave for|offer for|spoke to|spoke with|met with|called|"
    r"emailed|phoned|contacted|told|thanked|visited|interviewed|hired|welcome|welcomed|between|"
    r"ring|rang|messaged|pinged|son of|daughter of|wife of|husband of|[sdwh]/o\.?|reporting to|"
    r"reports to|report to|handed over to|handed to|forwarded to|introduced to|married to)\s+$"
)
# What only a person does right after being named: introduces themself, is sent to a meeting.
ACTION_AFTER = regex.compile(
    r"(?i)^\s+(?:here\b|to (?:attend|chair|sign|follow up|reply|respond)\b)"
)
# "ring Hritvik back", "call Mrs Rao back": the one called back is a person.
CALL_BEFORE = regex.compile(r"(?i)\b(?:ring|call|phone|text|message|ping)\s+$")
BACK_AFTER = regex.compile(r"(?i)^\s+back\b")
# Phrases whose object is a person and never a firm: an unknown word after them is a name even
# where spaCy calls it an organisation ("reporting to Praneel", "W/o Girik").
PERSON_ONLY_BEFORE = regex.compile(
    r"(?i)\b(?:reporting to|reports to|report to|married to|son of|daughter of|wife of|husband of|"
    r"[sdwh]/o\.?|accompanied by|seen by|interviewed|spoke to|spoke with|ring|rang|sit with|"
    r"sits with|sitting with|sat with)\s+$"
)
WEAK_AFTER = regex.compile(r"^\s*(?:\(|,\s*(?:who|our|the|my|his|her|a|an|aged|age|born|dob)\b)")
SIGN_OFF = regex.compile(
    r"(?i)(?:^|\n|[.!?][^\S\n]+)\s*(?:(?:kind |best |warm |warmest |many |with )?(?:regards|thanks|wishes)|cheers|best|sincerely|"
    r"yours(?: sincerely| faithfully| truly)?|thank you|take care|ta|rgds|br|--)\s*[,.!]?\s*\n\s*(?:(?:dr|mr|mrs|ms|mx|prof)\.?\s+)?$"
)
LAST_FIRST = regex.compile(
    r"(?<![\p{L}\p{M}'’-])(?P<particle>\p{Ll}{1,5} )?(?P<last>\p{Lu}[\p{L}\p{M}'’-]+(?: \p{Lu}[\p{L}\p{M}'’-]+)?), "
    r"(?P<first>\p{Lu}[\p{L}\p{M}'’-]+)(?![\p{L}\p{M}'’-])"
)


WORDS = regex.compile(r"[\w'’/]+")
CUE_END = regex.compile(r"[\w.]\s*[:,]?\s+$")
TITLE_BEFORE = regex.compile(
    r"(?i)\b(?:mr|mrs|ms|miss|mx|dr|prof|sir|dame|rev|fr|judge|justice|shri|shree|sri|smt|shrimati|"
    r"srimati|kumari|sushri|selvi|thiru|tmt|[sdwh]/o)\.?\s+$"
)
FIELD_BEFORE = regex.compile(r"(?:^|[:\-–—|]\s+|\n\s*)$")
# A number of one to five digits (a decimal too) right after, not part of a phone number or a
# date: a model or a dose (Latitude 5440, Serie 6, Panadol 2.5 mg), not a person's.
MODEL_NUMBER_AFTER = regex.compile(
    r"(?i) \d{1,5}(?:\.\d{1,3})?(?![\d,:/-]|\.\d| \d| (?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\w*\b)"
)
NUMERIC_LABELS = frozenset(
    ["DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY", "LANGUAGE"]
)
# What a dose is of: a drug ("missed her dose of Ventolin"), never a person
DOSE_BEFORE = regex.compile(r"(?i)\b(?:dose|doses|course|tablets|capsules|supply) of $")
# Words before a noun phrase that is a thing, never before a person's name
THING_DETERMINERS = frozenset(
    ["the", "a", "an", "my", "our", "your", "their", "its", "new", "old", "replacement", "broken"]
)


class NameContext:
    """What surrounds the name candidates of one text: cue words before and after, spaCy's entities."""

    def __init__(
        self,
        text: str,
        doc: Any,
        use_lists: bool,
        use_context: bool,
        use_ner: bool,
        use_frequency: bool = True,
    ) -> None:
        self.text = text
        self.use_lists, self.use_context, self.use_ner = use_lists, use_context, use_ner
        self.use_frequency = use_frequency  # word_frequency.py: a word English almost never uses
        self._before: dict[int, tuple[bool, bool, bool, bool, bool]] = {}
        self._after: dict[int, tuple[bool, bool, bool, bool, bool]] = {}
        self.person_ents: list[tuple[int, int]] = []
        self.other_ents: list[tuple[int, int]] = []
        # doc.ents builds new Span objects at every read: read them once
        ents = (
            []
            if doc is None or not use_ner
            else [(e.start_char, e.end_char, e.label_, e.text) for e in doc.ents]
        )
        for start, end, label, words in ents:
            if any(c.isdigit() for c in words):
                continue
            target = self.person_ents if label == "PERSON" else self.other_ents
            if label in (
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
                target.append((start, end))
        self.any_other_ents = [(a, b) for a, b, label, _ in ents if label not in ("PERSON", "ORG")]
        # dates, numbers, events ...: what spaCy does not confuse with an unfamiliar name as it
        # does places and nationalities (it calls Chidinma a GPE, Ó Dubhghaill a LOC)
        self.unnamed_ents = [
            (a, b)
            for a, b, label, _ in ents
            if label not in ("PERSON", "ORG", "GPE", "LOC", "NORP")
        ]
        self.numeric_ents = [(a, b) for a, b, label, _ in ents if label in NUMERIC_LABELS]
        self.place_ents = [(a, b) for a, b, label, _ in ents if label in ("GPE", "LOC", "FAC")]
        self.org_ents = [
            (a, b)
            for a, b, label, _ in ents
            if label in ("ORG", "PRODUCT", "FAC", "WORK_OF_ART", "LAW")
        ]

    def _context(self, start: int, end: int) -> tuple[bool, bool, bool]:
        """(strong, weak, direct) context around a candidate; the parts before and after are memoised.

        direct: a greeting, an introduction, a name label, a title or a sign-off right before.
        """
        before = self._before.get(start)
        if before is None:
            text = self.text[max(0, start - 60) : start]
            words = WORDS.findall(text[-24:].lower())
            role = bool(words and words[-1].rstrip(".") in PERSON_CUES and CUE_END.search(text))
            other = bool(STRONG_BEFORE.search(text) or SIGN_OFF.search(text))
            label = role and not other and bool(LABEL_BEFORE.search(text))
            if not role and not other:
                # "Agent on shift: Justin.", "Tenant in flat 4: ..." a label led by a role word
                opened = ROLE_LABEL_BEFORE.search(text)
                role = label = bool(opened and opened.group("role").lower() in ROLE_CUES)
            direct = bool(
                DIRECT_BEFORE.search(text)
                or SIGN_OFF.search(text)
                or TITLE_BEFORE.search(text[-12:])
            )
            before = self._before[start] = (
                role or other,
                bool(WEAK_BEFORE.search(text)),
                label,
                direct,
                bool(CALL_BEFORE.search(text)),
            )
        after = self._after.get(end)
        if after is None:
            text = self.text[end : end + 40]
            after = self._after[end] = (
                bool(STRONG_AFTER.search(text)),
                bool(WEAK_AFTER.search(text)),
                bool(SENTENCE_GOES_ON.search(text)),
                bool(ACTION_AFTER.search(text)),
                bool(BACK_AFTER.search(text)),
            )
        strong_before, weak_before, label, direct, call = before
        if label and after[2]:
            # "Customer: Quick question." -- a speaker's label, then a sentence: a weak cue only
            strong_before, weak_before = False, True
        called_back = call and after[4]
        return (
            strong_before or after[0] or called_back,
            weak_before or after[1],
            direct or after[3] or called_back,
        )

    def _overlaps(self, spans: list[tuple[int, int]], start: int, end: int) -> bool:
        return any(a < end and start < b for a, b in spans)

    def _a_thing(self, start: int, end: int) -> bool:
        """An article or possessive right before (the Glasgow outage, my Sonos Arc), or a model
        number or a dose right after (Latitude 5440, Serie 6, Panadol 500 mg): a thing's name."""
        before = WORDS.findall(self.text[max(0, start - 20) : start])
        return bool(
            (
                before
                and before[-1].lower() in THING_DETERMINERS
                and self.text[start - 1 : start] == " "
            )
            or MODEL_NUMBER_AFTER.match(self.text, end)
        )

    def _mid_sentence(self, start: int, end: int) -> bool:
        """Lower-case words on both sides, and no determiner or possessive right before."""
        before = WORDS.findall(self.text[max(0, start - 20) : start])
        after = self.text[end : end + 3]
        return bool(
            before
            and before[-1].islower()
            and before[-1] not in DETERMINERS
            and self.text[start - 1 : start] == " "
            and (not after or not after.lstrip()[:1].isupper() or after[:1] in ",.;:)")
        )

    def _ner_any(self, start: int, end: int) -> bool:
        """spaCy tagged the span as a date, a place, a quantity ...: anything but a person or an
        organisation (the small model calls a lone surname an ORG as often as not)."""
        return self.use_ner and any(a < end and start < b for a, b in self.any_other_ents)

    def _ner_unnamed(self, start: int, end: int) -> bool:
        """spaCy tagged the span as a date, a number, an event ...: nothing a name is taken for."""
        return self.use_ner and any(a < end and start < b for a, b in self.unnamed_ents)

    def _ner_numeric(self, start: int, end: int) -> bool:
        """spaCy tagged the span as a date, a time, an amount or a number."""
        return self.use_ner and any(a < end and start < b for a, b in self.numeric_ents)

    def _ner_wider_org(self, start: int, end: int) -> bool:
        """The span is part of a longer organisation's name to spaCy (Bank of Ireland)."""
        return self.use_ner and any(
            a < end and start < b and (a < start or b > end) for a, b in self.org_ents
        )

    def _ner_other(self, start: int, end: int) -> bool:
        return self.use_ner and any(a < end and start < b for a, b in self.other_ents)

    def _weak_before(self, start: int) -> bool:
        return bool(WEAK_BEFORE.search(self.text[max(0, start - 40) : start]))

    def _dose_before(self, start: int) -> bool:
        return bool(DOSE_BEFORE.search(self.text[max(0, start - 12) : start]))

    def _from_before(self, start: int) -> bool:
        return self.text[max(0, start - 5) : start].lower() == "from "

    def _personal_before(self, start: int) -> bool:
        return bool(PERSONAL_BEFORE.search(self.text[max(0, start - 40) : start]))

    def _person_only_before(self, start: int) -> bool:
        return bool(PERSON_ONLY_BEFORE.search(self.text[max(0, start - 40) : start]))

    def _field_before(self, start: int) -> bool:
        """A value's place in a form or a list: after a colon, a dash or a line break."""
        return bool(FIELD_BEFORE.search(self.text[max(0, start - 4) : start]))

    def _ner_person(self, start: int, end: int) -> bool:
        return self.use_ner and any(a < end and start < b for a, b in self.person_ents)

    def _cue_before(self, start: int) -> bool:
        """A word introducing a person right before (pt, vp, resident, my name is, hi)."""
        before = self.text[max(0, start - 60) : start]
        words = WORDS.findall(before[-24:].lower())
        # our own role words only: nameparser's abbreviations (mg, dr) are too often ordinary lower-case words
        return bool(
            (words and words[-1] in ROLE_CUES)
            or STRONG_BEFORE.search(before)
            or SIGN_OFF.search(before)
        )

    def _cued_before(self, start: int) -> bool:
        """A strong cue before (a role, a greeting, a label, "to"), not a comma: "Partner, Initech"
        in a signature names a firm."""
        self._context(start, start)
        return self._before[start][0] and self.text[start - 2 : start] != ", "

    def _role_right_before(self, start: int) -> bool:
        """A role or relation word and one space right before (surveyor Thakkar, husband Champak)."""
        words = WORDS.findall(self.text[max(0, start - 24) : start].lower())
        return bool(
            words and words[-1] in PERSON_CUES and self.text[start - 2 : start - 1].isalpha()
        )

    def _after_title(self, start: int) -> bool:
        return bool(TITLE_BEFORE.search(self.text[max(0, start - 12) : start]))

    def _signature(self, start: int) -> bool:
        return bool(SIGN_OFF.search(self.text[max(0, start - 60) : start]))
