"""How often English uses a word at all, from wordfreq's frequency lists (loaded once per process).

A word English text almost never uses (Zipf frequency below RARE_ZIPF: fewer than about one in
three million words of web, book, subtitle and Wikipedia text) that is capitalized in personal
text is most often a name: a given name or surname of a language the name lists miss (Hamsini,
Pauric, Omolabake), a small town, or a brand; one with an English word's ending (-ation, -ment,
-ising) is more often vocabulary (looks_derived). It is evidence, never a verdict: person.py
weighs it with the context around the word. Names English knows well (Emily, Dennis) are not
rare; the name lists cover them.

wordfreq (Apache-2.0; its data CC-BY-SA 4.0) ships its lists in the wheel: nothing is read from
the network.
"""

from __future__ import annotations

import regex

from govern.errors import BadInput
from govern.pii.recognizers.name_tokens import NameToken, is_unusual

RARE_ZIPF = 2.5
_PARTS = regex.compile(r"[-‐'’]")
_INNER_CAPITAL = regex.compile(r"\p{Ll}\p{Lu}|\p{Lu}\p{Lu}")
_NAME_PREFIX = regex.compile(r"(?:Mc|Mac|Fitz|De|Di|Da|Du|Le|La|Van|Von)\p{Lu}\p{Ll}+$")
# Endings of English words made from others (Recalibration, Onboarding, Indemnification): a rare
# word with one is more often English vocabulary in a title-case heading than a name.
_ENGLISH_ENDING = regex.compile(
    r"(?:ation|ition|ment|ness|ity|ism|ist|i[sz]ing|ectomy|otomy|ology|itis|ance|ence|ship|ing|ings"
    r"|able|ible|ful|less|ous|ive|i[sz]e|i[sz]ed|ware)$"
)


def _common_words(min_zipf: float) -> frozenset[str]:
    try:
        from wordfreq import get_frequency_dict
    except ImportError:
        raise BadInput(
            "the `wordfreq` package (English word frequencies) is missing; pip install wordfreq==3.1.1"
        ) from None
    least = 10 ** (min_zipf - 9)  # Zipf frequency is log10 of uses per billion words
    return frozenset(word for word, share in get_frequency_dict("en").items() if share >= least)


COMMON_WORDS: frozenset[str] = _common_words(RARE_ZIPF)


def is_rare(word: str) -> bool:
    """Every part of the word (O'Dowd, Adekitan-Iyadunni) of two letters or more is rare in
    English, and it is not written like code or a product (GraphQL, JSONPath, PyPI)."""
    if looks_like_code(word):
        return False
    parts = [part for part in _PARTS.split(word.lower()) if len(part) > 1]
    return bool(parts) and all(part not in COMMON_WORDS for part in parts)


def looks_like_code(word: str) -> bool:
    """A capital inside a word part (FastAPI, IPython, JupyterLab), unless after a name's
    prefix (McCann, MacLeod, DeShawn, LaToya, DiCaprio, FitzGerald) or in ALL CAPS."""
    if word.isupper():
        return False
    return any(
        _INNER_CAPITAL.search(part) and not _NAME_PREFIX.match(part) for part in _PARTS.split(word)
    )


def looks_derived(word: str) -> bool:
    """Ends the way English words made from others do (-ation, -ment, -ness, -ising ...)."""
    return bool(_ENGLISH_ENDING.search(word.lower()))


def is_rare_name_word(token: NameToken) -> bool:
    """A word English almost never uses and whose ending is no English word's (Nagi, Sudiksha)."""
    return is_rare(token.text) and not looks_derived(token.text) and is_unusual(token)
