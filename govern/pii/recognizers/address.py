"""Street addresses, which spaCy's small model mostly misses.

`StreetAddressRecognizer` finds a house number, a street name and a USPS/Commonwealth street
suffix (with unit and direction), or an Indian house number (H.No. 36, 57/438) and the locality
after it, then the town, state and postcode that follow it. Town names
on their own are places.py's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import ClassVar

from govern.pii.recognizers import register
from govern.pii.recognizers.base import SpanRecognizer

_SUFFIXES = [
    "Alley",
    "Aly",
    "Annex",
    "Arcade",
    "Avenue",
    "Ave",
    "Av",
    "Bayou",
    "Beach",
    "Bend",
    "Bluff",
    "Bluffs",
    "Bottom",
    "Boulevard",
    "Blvd",
    "Branch",
    "Bridge",
    "Brook",
    "Brooks",
    "Burg",
    "Burgs",
    "Bypass",
    "Camp",
    "Canyon",
    "Cape",
    "Causeway",
    "Center",
    "Centre",
    "Centers",
    "Circle",
    "Circles",
    "Cir",
    "Cliff",
    "Cliffs",
    "Close",
    "Club",
    "Common",
    "Commons",
    "Corner",
    "Corners",
    "Course",
    "Court",
    "Courts",
    "Ct",
    "Cove",
    "Coves",
    "Creek",
    "Crescent",
    "Cres",
    "Crest",
    "Crossing",
    "Crossroad",
    "Crossroads",
    "Curve",
    "Dale",
    "Dam",
    "Divide",
    "Drive",
    "Drives",
    "Dr",
    "Estate",
    "Estates",
    "Expressway",
    "Expy",
    "Extension",
    "Extensions",
    "Fall",
    "Falls",
    "Ferry",
    "Field",
    "Fields",
    "Flat",
    "Flats",
    "Ford",
    "Fords",
    "Forest",
    "Forge",
    "Forges",
    "Fork",
    "Forks",
    "Fort",
    "Freeway",
    "Fwy",
    "Garden",
    "Gardens",
    "Gdns",
    "Gateway",
    "Gate",
    "Glen",
    "Glens",
    "Green",
    "Greens",
    "Grove",
    "Groves",
    "Harbor",
    "Harbors",
    "Harbour",
    "Haven",
    "Heights",
    "Highway",
    "Hwy",
    "Hill",
    "Hills",
    "Hollow",
    "Inlet",
    "Island",
    "Islands",
    "Isle",
    "Junction",
    "Junctions",
    "Key",
    "Keys",
    "Knoll",
    "Knolls",
    "Lake",
    "Lakes",
    "Land",
    "Landing",
    "Lane",
    "Ln",
    "Light",
    "Lights",
    "Loaf",
    "Lock",
    "Locks",
    "Lodge",
    "Loop",
    "Mall",
    "Manor",
    "Manors",
    "Meadow",
    "Meadows",
    "Mews",
    "Mill",
    "Mills",
    "Mission",
    "Motorway",
    "Mount",
    "Mountain",
    "Mountains",
    "Neck",
    "Orchard",
    "Oval",
    "Overpass",
    "Park",
    "Parks",
    "Parkway",
    "Parkways",
    "Pkwy",
    "Pass",
    "Passage",
    "Path",
    "Pike",
    "Pine",
    "Pines",
    "Place",
    "Pl",
    "Plain",
    "Plains",
    "Plaza",
    "Point",
    "Points",
    "Port",
    "Ports",
    "Prairie",
    "Radial",
    "Ramp",
    "Ranch",
    "Rapid",
    "Rapids",
    "Rest",
    "Ridge",
    "Ridges",
    "Rise",
    "River",
    "Road",
    "Roads",
    "Rd",
    "Route",
    "Row",
    "Rue",
    "Run",
    "Shoal",
    "Shoals",
    "Shore",
    "Shores",
    "Skyway",
    "Spring",
    "Springs",
    "Spur",
    "Spurs",
    "Square",
    "Squares",
    "Sq",
    "Station",
    "Stravenue",
    "Stream",
    "Street",
    "Streets",
    "St",
    "Summit",
    "Terrace",
    "Ter",
    "Throughway",
    "Trace",
    "Track",
    "Trafficway",
    "Trail",
    "Trl",
    "Trailer",
    "Tunnel",
    "Turnpike",
    "Underpass",
    "Union",
    "Unions",
    "Valley",
    "Valleys",
    "Vale",
    "Viaduct",
    "View",
    "Views",
    "Village",
    "Villages",
    "Ville",
    "Vista",
    "Walk",
    "Walks",
    "Wall",
    "Way",
    "Ways",
    "Well",
    "Wells",
    "Wharf",
    "Wynd",
    "Yard",
    "Parade",
    "Esplanade",
    "Promenade",
    "Circuit",
    "Chase",
    "Retreat",
    "Outlook",
    "Grange",
    "Glade",
    "Nook",
    "Brae",
    "Concourse",
    "Corso",
    "Quad",
    "Quadrant",
    "Pocket",
    "Quay",
    "Reserve",
    "Boardwalk",
    "Cul-de-sac",
    "Gully",
    "Strip",
    "Elbow",
    "Centreway",
    "Crossway",
    "Grove",
    "Link",
    "Mead",
    "Nagar",
    "Marg",
    "Ganj",
    "Chowk",
    "Colony",
    "Enclave",
    "Vihar",
    "Bagh",
    "Puram",
    "Layout",
    "Pur",
    "Zila",
    "Gali",
    "Peth",
    # Australian and New Zealand road types (AS/NZS 4819) the lists above lack; those that are
    # everyday words or name a site, not a home (End, Line, Turn, Entrance, Waters ...), are left out
    "Brace",
    "Broadway",
    "Dell",
    "Dene",
    "Deviation",
    "Firetrail",
    "Footway",
    "Frontage",
    "Highroad",
    "Laneway",
    "Meander",
    "Ramble",
    "Ridgeway",
    "Serviceway",
    "Strand",
    "Tarn",
    "Thoroughfare",
    "Tollway",
    "Via",
]
_WORD = r"(?:[A-Z][a-zA-Z'-]+|\d{1,3}(?:st|nd|rd|th)|[NSEW]\.?)"
_UNIT = r"(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|Flat|Floor|Fl|Room|Rm|Bldg|Building|Dept|No)\.?\s*#?\s*[A-Za-z0-9-]{1,6}|\s+#\s*[A-Za-z0-9-]{1,6})?"
_DIRECTION = r"(?:\s+(?:N|S|E|W|NE|NW|SE|SW|North|South|East|West)\b\.?)?"
_STREET = re.compile(
    r"(?<![\w/-])(?:(?:H\.\s?No\.?|House No\.?|Flat No\.?|Plot No\.?|Door No\.?)\s*)?(?:\d{1,4}/)?\d{1,6}[A-Za-z]?(?:-\d{1,4})?,?\s+(?:"
    + _WORD
    + r"\s+){1,4}?(?:"
    + "|".join(_SUFFIXES)
    + r")\b\.?"
    + _DIRECTION
    + _UNIT
)
# Indian house numbers name the house before a locality or a landmark with no street word after
# it: "H.No. 36, Biswas Colony" is a street's, "H.No. 36, Biswas, Kharagpur" too; "57/438, Majumdar"
# (house 57, plot 438). A slash number needs three digits after the slash: 6/10 is a score,
# 120/80 a blood pressure.
_INDIAN_HOUSE = re.compile(
    r"(?<![\w/-])(?:(?:H\.\s?No\.?|House No\.?|Flat No\.?|Plot No\.?|Door No\.?)\s*\d{1,5}[A-Za-z]?"
    r"(?:/\d{1,5})?|\d{1,4}/\d{3}[A-Za-z]?),[ \t]*[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+){0,2}(?![\w-])"
)
# "sent to 63, Puri, Bidhannagar": after a word that takes an address, a house number, a locality
# and a town, each after a comma (the Indian order, with no street word)
_NUMBER_LOCALITY = re.compile(
    r"(?i:\b(?:at|to|over|address|resident of|residing at|lives at|living at)[ \t]*:?[ \t]+)"
    r"(?P<address>\d{1,4}[A-Za-z]?,[ \t]*(?!(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\b)[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?),[ \t]*[A-Z][a-z]+"
)
_CODE_BEFORE = re.compile(
    r"(?i)\b(?:invoice|inv|ref|reference|case|order|ticket|file|folio|receipt|bill|no|#)\.?[ \t:#]*$"
)
# European order: "Hauptstraße 5", "Rue de Rivoli 12" is left to NER.
_STRASSE = re.compile(
    r"\b[A-ZÄÖÜ][a-zäöüß]+(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm)\s+\d{1,4}[a-z]?\b"
)
_TOWN_WORD = r"[A-Z][a-zA-Z'-]+(?!\w)"
# US ZIP, UK, Canadian and Irish postcodes; four-digit (AU, NZ) and six-digit (IN) ones after a town
_CA_POSTCODE = r"[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d"
_EIRCODE = (
    r"(?:[AC-FHKNPRTV-Y]\d{2}|D6W) ?(?=[0-9AC-FHKNPRTV-Y]{0,3}[AC-FHKNPRTV-Y])[0-9AC-FHKNPRTV-Y]{4}"
)
_ZIP = (
    r"(?:\d{5}(?:-\d{4})?|\d{6}|\d{4}|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}|"
    + _CA_POSTCODE
    + "|"
    + _EIRCODE
    + r")\b"
)
_AFTER_STREET = re.compile(
    r"(?:,[ \t]*|[ \t]*\n[ \t]*)(" + _TOWN_WORD + r"(?:\s+" + _TOWN_WORD + r"){0,2})"
    r"(?:,?\s+[A-Z]{2}\b)?(?:,?\s+" + _ZIP + ")?"
)
_POSTCODE = re.compile(r",?\s+(?:[A-Z]{2,3}\s+)?" + _ZIP)
# "..., Katherinechester 0883" / "\nWaiwaiawa 6148": a town and its postcode closing an address line.
_TOWN_AND_POSTCODE = re.compile(
    r"(?:,[ \t]*|\n[ \t]*)(?P<town>(?:[A-Z][\w'’-]+[ \t]+){0,2}[A-Z][\w'’-]+),?[ \t]+(?:[A-Z]{2,3}[ \t]+)?(?P<zip>"
    + r"\d{4,6}|[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}|"
    + _CA_POSTCODE
    + "|"
    + _EIRCODE
    + r")(?![\w-])"
)
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}"
_STANDALONE_POSTCODE = re.compile(
    r"(?<![\w-])(?:" + _CA_POSTCODE + "|" + _EIRCODE + "|" + _UK_POSTCODE + r")(?![\w-])"
)
# "postcode 2417", "ZIP: 85166", "PIN code 814603": any postcode shape after the word that names it
_NAMED_POSTCODE = re.compile(
    r"(?i:\b(?:post ?code|postal code|zip(?: code)?|pin ?code|eircode)s?)[ \t]*[:#-]?[ \t]*(?P<zip>"
    + _ZIP.removesuffix(r"\b")
    + r")(?![\w-])"
)
_PO_BOX = re.compile(
    r"(?i)\b(?:P\.?\s?O\.?|Post Office|Private Bag|Locked Bag)\s?Box\s+\d{1,6}\b|\bPrivate Bag\s+\d{1,6}\b"
)


@register
class StreetAddressRecognizer(SpanRecognizer):
    """A house number, street name and street suffix; the town (and state, postcode) after it."""

    NAME = "StreetAddressRecognizer"
    ENTITY = "LOCATION"
    CONTEXT: ClassVar[list[str]] = [
        "address",
        "street",
        "residing",
        "lives",
        "live",
        "ship",
        "deliver",
        "mail",
        "located",
        "home",
    ]

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        for match in _PO_BOX.finditer(text):
            yield match.start(), match.end(), 0.6
            yield from self._town_after(text, match.end())
        for match in _STANDALONE_POSTCODE.finditer(text):
            yield match.start(), match.end(), 0.45
        for match in _NAMED_POSTCODE.finditer(text):
            yield match.start("zip"), match.end("zip"), 0.6
        for match in _TOWN_AND_POSTCODE.finditer(text):
            yield match.start("town"), match.end("zip"), 0.5
        for match in _STRASSE.finditer(text):
            yield match.start(), match.end(), 0.6
        for match in _STREET.finditer(text):
            yield match.start(), match.end(), 0.6
            yield from self._town_after(text, match.end())
        for match in _NUMBER_LOCALITY.finditer(text):
            yield match.start("address"), match.end("address"), 0.5
            yield from self._town_after(text, match.end("address"))
        for match in _INDIAN_HOUSE.finditer(text):
            if _CODE_BEFORE.search(text, max(0, match.start() - 16), match.start()):
                continue  # "Invoice 12/345, Paid": a reference, not a house
            yield match.start(), match.end(), 0.55
            yield from self._town_after(text, match.end())

    @staticmethod
    def _town_after(text: str, end: int) -> Iterable[tuple[int, int, float]]:
        """The postcode, or the town (and state, postcode) that follow a street or a PO box."""
        rest = text[end : end + 120]
        postcode = _POSTCODE.match(rest)
        if postcode:
            lead = len(postcode.group()) - len(postcode.group().lstrip(", "))
            yield end + lead, end + postcode.end(), 0.6
            return
        town = _AFTER_STREET.match(rest)
        if town:
            yield end + town.start(1), end + town.end(), 0.6
