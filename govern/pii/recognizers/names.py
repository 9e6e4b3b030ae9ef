"""Name lists and name-context words, loaded once per process from installed packages.

    GIVEN_NAMES   US Census 1990 given names (the `names` package: 5,494), govern's own list
                  of common given names elsewhere (first_names.txt), and the given names of
                  gender-guesser's dictionary (Jörg Michael's nam_dict: about 45,000 names of
                  Europe, India, Turkey, the Arab world, China, Japan, Korea, Vietnam ...) that
                  are not ordinary English words
    SURNAMES      US Census 1990 surnames (88,799; they cover many origins), less English
                  function words
    PARTICLES     surname particles (van, de la, bin, Ó, Mac ...) from nameparser
    ORDINARY_WORDS  words English text writes mostly in lower case (quick, open, settings, hope),
                  from spaCy's case-sensitive word probabilities (spacy-lookups-data): a census
                  entry such as "Quick", or a capital at the start of a sentence, is no name
                  evidence for them

The words around a name (roles, titles, institution words) are in name_cues.py.

All are lower-cased. Nothing here is read from the network; a missing package is a clear error.
"""

from __future__ import annotations

import math
from pathlib import Path

from govern.errors import BadInput

_HERE = Path(__file__).parent


def _census(filename: str, min_share: float = 0.0) -> list[str]:
    """Names of a census list, those held by at least `min_share` percent of people."""
    try:
        import names
    except ImportError:
        raise BadInput(
            "the `names` package (US Census name lists) is missing; pip install names==0.3.0"
        ) from None
    path = Path(names.__file__).with_name(filename)
    rows = (line.split() for line in path.read_text(encoding="ascii").splitlines() if line.strip())
    return [row[0].lower() for row in rows if float(row[1]) >= min_share]


def _own(filename: str) -> list[str]:
    text = (_HERE / filename).read_text(encoding="utf-8")
    return [
        line.strip().lower()
        for line in text.splitlines()
        if line.strip() and not line.startswith("#")
    ]


# English words too common to count as name evidence on their own, even where the census lists
# them (a surname "Will", a given name "May").
FUNCTION_WORDS: frozenset[str] = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "it's",
        "i'm",
        "that's",
        "there's",
        "here's",
        "let's",
        "what's",
        "who's",
        "he's",
        "she's",
        "we're",
        "they're",
        "you're",
        "i've",
        "i'll",
        "i'd",
        "yes",
        "ok",
        "okay",
        "hi",
        "hello",
        "dear",
        "thanks",
        "thank",
        "regards",
        "best",
        "cheers",
        "sincerely",
        "kind",
        "please",
        "note",
        "re",
        "fw",
        "fwd",
        "per",
        "via",
        "cc",
        "attn",
        "today",
        "tomorrow",
        "yesterday",
        "morning",
        "afternoon",
        "evening",
        "night",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "new",
        "old",
        "good",
        "great",
        "big",
        "small",
        "long",
        "short",
        "high",
        "low",
        "first",
        "second",
        "third",
        "last",
        "next",
        "north",
        "south",
        "east",
        "west",
        "street",
        "road",
        "avenue",
        "lane",
        "drive",
        "court",
        "place",
        "close",
        "way",
    ]
)


def _world_given_names() -> list[str]:
    """Given names of gender-guesser's nam_dict.txt ("+" joins the parts of a compound name)."""
    try:
        import gender_guesser
    except ImportError:
        raise BadInput(
            "the `gender-guesser` package (given names of many countries) is missing; "
            "pip install gender-guesser==0.4.0"
        ) from None
    path = Path(gender_guesser.__file__).with_name("data") / "nam_dict.txt"
    found = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line[0] in "#=":
            continue
        parts = line.split()
        if len(parts) > 1:
            found += [part.lower() for part in parts[1].replace("-", "+").split("+") if part]
    return found


GIVEN_NAMES: frozenset[str] = frozenset(
    _census("dist.female.first") + _census("dist.male.first") + _own("first_names.txt")
)
SURNAMES: frozenset[str] = frozenset(_census("dist.all.last")) - FUNCTION_WORDS
# Lower-case text ("jane doe") needs names common enough that a rare census entry such as
# "Twice" or "Full" does not turn ordinary words into a person.
COMMON_GIVEN_NAMES: frozenset[str] = (
    frozenset(
        _census("dist.female.first", 0.01)
        + _census("dist.male.first", 0.01)
        + _own("first_names.txt")
    )
    - FUNCTION_WORDS
)
COMMON_SURNAMES: frozenset[str] = frozenset(_census("dist.all.last", 0.002)) - FUNCTION_WORDS


def _ordinary_words(min_log_prob: float = -16.0, lower_share: float = 3.0) -> frozenset[str]:
    """Lower-case words at least `lower_share` times as frequent as their capitalized form, among
    those with a natural-log probability of at least `min_log_prob` (about 1 in 9 million words).

    Names are written capitalized far more often than not (John, Priya, Okafor), ordinary words
    the other way round (quick, settings); a word used as both (Grace, Rose, Hunter) is no
    ordinary word at this margin.
    """
    try:
        import spacy_lookups_data
    except ImportError:
        raise BadInput(
            "the `spacy-lookups-data` package (word probabilities) is missing; pip install spacy-lookups-data==1.0.5"
        ) from None
    import srsly

    probs = srsly.read_gzip_json(spacy_lookups_data.get_file("en_lexeme_prob.json.gz"))
    margin = math.log(lower_share)
    return frozenset(
        word
        for word, prob in probs.items()
        if prob >= min_log_prob
        and word.isalpha()
        and word.islower()
        and prob - probs.get(word.capitalize(), -100.0) >= margin
    )


ORDINARY_WORDS: frozenset[str] = _ordinary_words()
GIVEN_NAMES = GIVEN_NAMES | (
    frozenset(name for name in _world_given_names() if len(name) > 1)
    - ORDINARY_WORDS
    - FUNCTION_WORDS
)


def _particles() -> frozenset[str]:
    from nameparser.config import CONSTANTS

    # nameparser's prefixes, plus the Gaelic and Scots particles written as separate words
    return frozenset(p.lower() for p in CONSTANTS.prefixes) | {
        "ó",
        "ní",
        "nic",
        "mac",
        "mc",
        "ui",
        "uí",
        "ap",
        "ben",
        "ibn",
    }


PARTICLES: frozenset[str] = _particles()
