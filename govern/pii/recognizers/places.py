"""Town names by their shape, which spaCy's small model mostly misses.

`PlaceNameRecognizer` finds a compass/lake/port prefix before a capitalized word, "New" before
a known or place-shaped word, or a capitalized word ending in a place suffix (-ville, -borough,
-mouth ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from govern.pii.recognizers import register
from govern.pii.recognizers.base import SpanRecognizer
from govern.pii.recognizers.name_tokens import FIRST_NAMES

_PREFIXES = r"(?:North|South|East|West|Lake|Port|Mount|Fort|Saint|St\.|San|Santa|Los|Las|Glen|Upper|Lower|Great|Little)"
_PLACE_SUFFIXES = (
    "ville",
    "town",
    "ton",
    "burgh",
    "borough",
    "boro",
    "bury",
    "mouth",
    "stad",
    "furt",
    "chester",
    "fort",
    "haven",
    "shire",
    "side",
    "land",
    "view",
    "port",
    "field",
    "berg",
    "burg",
    "polis",
    "wick",
    "by",
)
_NOT_PLACES = {
    "Button",
    "Cotton",
    "Skeleton",
    "Singleton",
    "Wanton",
    "Proton",
    "Crouton",
    "Baton",
    "Carton",
    "Piston",
    "Comfort",
    "Effort",
    "Discomfort",
    "Review",
    "Overview",
    "Preview",
    "Interview",
    "Inside",
    "Outside",
    "Beside",
    "Aside",
    "Upside",
    "Downside",
    "Bedside",
    "Countryside",
    "Support",
    "Passport",
    "Transport",
    "Airport",
    "Rapport",
    "Seaport",
    "Homeland",
    "Mainland",
    "Wonderland",
    "Iceberg",
    "Hereby",
    "Thereby",
    "Whereby",
    "Nearby",
    "Standby",
    "Lobby",
    "Hobby",
    "Hereford",
    "Therefore",
    "Worldview",
    "Offside",
    "Poolside",
    "Ringside",
    "Wayside",
    "Roadside",
    "Meanwhile",
    "Motown",
    "Downtown",
    "Uptown",
    "Hometown",
    "Backside",
    "Topside",
    "Landside",
    "Farmland",
    "Woodland",
    "Grassland",
    "Wasteland",
    "Marshland",
    "Viewport",
    "Cyberport",
    "Shotgun",
    "Battlefield",
    "Minefield",
    "Outfield",
    "Infield",
    "Airfield",
    "Whitby",
}
_NOT_AFTER_PREFIX = {
    "Street",
    "Road",
    "Avenue",
    "Wing",
    "Entrance",
    "Exit",
    "Side",
    "End",
    "Tower",
    "Building",
    "Campus",
    "Office",
    "Gate",
    "Coast",
    "Region",
    "Division",
    "Team",
    "Sales",
    "Ward",
    "Unit",
    "Lobby",
    "Parking",
    "Door",
    "Block",
    "Facing",
    "Bound",
}
_PREFIXED = re.compile(r"\b" + _PREFIXES + r"\s+([A-Z][a-z]{2,}(?:\s+[A-Z][a-z]{2,})?)\b")
_NEW = re.compile(r"\bNew\s+([A-Z][a-z]{2,})\b")
_SUFFIXED = re.compile(r"\b[A-Z][a-z]{2,}(?:" + "|".join(_PLACE_SUFFIXES) + r")\b")
_KNOWN_NEW = {
    "York",
    "Jersey",
    "Orleans",
    "Delhi",
    "Hampshire",
    "Mexico",
    "Haven",
    "Zealand",
    "Brunswick",
    "Bedford",
}


@register
class PlaceNameRecognizer(SpanRecognizer):
    """Town names by their shape; NER handles the ones it knows."""

    NAME = "PlaceNameRecognizer"
    ENTITY = "LOCATION"
    CONTEXT: ClassVar[list[str]] = [
        "city",
        "town",
        "address",
        "residing",
        "lives",
        "from",
        "located",
        "village",
        "county",
    ]

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        for match in _PREFIXED.finditer(text):
            words = match.group(1).split()
            if words[0] in _NOT_AFTER_PREFIX:
                continue
            end = (
                match.end()
                if len(words) == 1 or words[1] not in _NOT_AFTER_PREFIX
                else match.start(1) + len(words[0])
            )
            yield match.start(), end, 0.5
        for match in _NEW.finditer(text):
            word = match.group(1)
            if word in _KNOWN_NEW or word in FIRST_NAMES or _SUFFIXED.fullmatch(word):
                yield match.start(), match.end(), 0.5
        for match in _SUFFIXED.finditer(text):
            if match.group() not in _NOT_PLACES:
                yield match.start(), match.end(), 0.45
