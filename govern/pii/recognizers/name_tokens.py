"""Name-shaped words: tokens with their shape and list evidence, and runs of them.

A token is a word of letters with apostrophes and hyphens inside (O'Neill, Smith-Jones); its
shape is title, upper, lower, initial or other; `given` and `surname` look it up in names.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import regex

from govern.pii.recognizers.name_cues import ORG_WORDS, PERSON_CUES
from govern.pii.recognizers.names import (
    FUNCTION_WORDS,
    GIVEN_NAMES,
    ORDINARY_WORDS,
    PARTICLES,
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
_PART_SEPARATOR = regex.compile(r"[-‐'’]")


@dataclass
class NameToken:
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


def word_shape(text: str, following: str) -> str:
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


def tokenize(text: str) -> list[NameToken]:
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
            NameToken(
                word,
                match.start(),
                match.end(),
                word.lower().replace("’", "'"),
                word_shape(word, text[match.end() : match.end() + 1]),
            )
        )
    return found


def runs_of(text: str, tokens: list[NameToken]) -> list[list[NameToken]]:
    """Tokens separated by one space (or an initial's dot and a space) form a run."""
    runs: list[list[NameToken]] = []
    for token in tokens:
        if runs:
            gap = text[runs[-1][-1].end : token.start]
            if gap == " " or (gap == ". " and runs[-1][-1].shape == "initial"):
                runs[-1].append(token)
                continue
        runs.append([token])
    return runs


_VOWELS = frozenset("aeiouyàáâãäåèéêëìíîïòóôõöùúûüýæøœ")


def has_vowel(word: str) -> bool:
    return any(c in _VOWELS for c in word)


def is_unusual(token: NameToken) -> bool:
    """Neither an ordinary English word nor a function, cue or institution word, in any part."""
    return (
        all(
            part not in ORDINARY_WORDS and part not in FUNCTION_WORDS and part not in ORG_WORDS
            for part in [token.lower, *token.parts]
        )
        and token.lower not in PERSON_CUES
    )


def is_hyphen_given(token: NameToken) -> bool:
    """A double-barrelled given name (mitesh-thomas): some part is a given name."""
    return "-" in token.lower and any(part in GIVEN_NAMES for part in token.parts)


def is_double_barrelled(token: NameToken) -> bool:
    """Hyphenated, every part a listed given name or surname (Murphy-Chapman, Chase-Kristy)."""
    parts = token.parts
    return (
        "-" in token.lower
        and len(parts) > 1
        and all(part in GIVEN_NAMES or part in SURNAMES for part in parts)
    )


def is_given(token: NameToken) -> bool:
    return token.given


def is_surname(token: NameToken) -> bool:
    return token.surname


def is_particle(token: NameToken) -> bool:
    return token.lower in PARTICLES and token.shape in ("lower", "title", "upper")


def is_name_word(token: NameToken) -> bool:
    return (
        token.shape in ("title", "upper", "lower", "initial") and token.lower not in FUNCTION_WORDS
    )
