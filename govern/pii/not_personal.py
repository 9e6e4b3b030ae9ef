"""Findings that name a firm, a site of one, a month or an identifier's label, not a person or
where one lives: dropped from every recognizer's PERSON and LOCATION findings.

    site          a place or name between "the"/"our" and a site word: "the Chicago market",
                  "our Leeds depot", "(from the Boston store)", "the Cork works"
    product       a brand before the kind of thing it makes or a model code: "Hamilton Beach
                  blender", "Cisco Meraki MX68"
    organisation  a place inside a firm's name: "Bank of Ireland", "University of Otago";
                  a name before a company suffix: "Harrington LLC", "Adams & Sons"; three
                  bare surnames acting as one: "Roach, Blake and Jackson filed its return"
    month         an abbreviated month that NER calls a place ("due 26 Jun.")
    label         an identifier's label, in capitals, that NER calls a place or a person
                  ("NINO JZ 80 ...", "ID 4339")
    half          a place found in half a double surname ("Copeland" of "Copeland-Weaver")

Each is English usage, not a list of values: a city is personal where a person lives there, and
the same city is not when it names a shop, a market or a court registry.
"""

from __future__ import annotations

import regex

_SITE_WORDS = (
    r"office|offices|warehouse|branch|branches|depot|plant|site|campus|store|stores|shop|hub|"
    r"centre|center|hotel|registry|court|courts|team|headquarters|hq|factory|facility|showroom|"
    r"lab|studio|region|fleet|clinic|hospital|market|markets|works|shift|shifts|desk|portal|"
    r"outlet|mall|franchise|division|unit|yard|terminal|airport|station|venue|operation|"
    r"operations|launch|rollout|roll-out|trial|pilot|conference|summit|meetup|event|expo|ward|"
    r"wing|call centre|call center|contact centre|contact center|data centre|data center|"
    r"distribution centre|distribution center|service centre|service center|stock exchange"
)
_HALF_BEFORE = regex.compile(r"\p{Lu}\p{Ll}+-$")
_HALF_AFTER = regex.compile(r"-\p{Lu}")
_SITE_LAST = regex.compile(
    r"(?i)^(?:the\s+)?\p{Lu}\p{L}+(?:\s+\p{Lu}\p{L}+)?\s+(?:" + _SITE_WORDS + r")$"
)
# "Hamilton Beach blender", "the Philips Hue bridge update": a brand before the kind of thing it makes
_PRODUCT_AFTER = regex.compile(
    r"(?i)^\s+(?:blender|dishwasher|thermostat|console|kettle|printer|laptop|notebook|router|"
    r"speaker|soundbar|heat pump|air fryer|fridge|refrigerator|freezer|oven|microwave|vacuum|"
    r"toaster|coffee machine|espresso machine|washing machine|dryer|headphones|earbuds|"
    r"smartwatch|tablet|monitor|camera|doorbell|handset|charger|firmware|sedan|suv)\b"
)
# "Cisco Meraki MX68", "Xerox VersaLink C405": a name before a model code is a product's
_MODEL_AFTER = regex.compile(r"^\s+[A-Z]{1,4}-?\d{1,5}[A-Z]?\b(?!\s+\d[A-Z]{2}\b)")
# "Roach, Blake and Jackson filed its return": three bare surnames acting as one, a firm
_FIRM_LIST = regex.compile(
    r"(?<!\p{Lu}\p{L}*[ ,]\s*)(?<!\d\s*)"
    r"\p{Lu}\p{Ll}+, \p{Lu}\p{Ll}+,? (?:and|&) \p{Lu}\p{Ll}+(?=\s+(?:shall|pays|paid|filed|"
    r"raised|has|is|was|will|LLP|LLC|Inc|Ltd|\(ABN|its)\b)"
)
_THE_BEFORE = regex.compile(r"(?i)\b(?:the|our|their|its|your)\s+$")
_SITE_AFTER = regex.compile(r"(?i)^\s+(?:" + _SITE_WORDS + r")\b")
_ORG_OF_BEFORE = regex.compile(
    r"\b(?:Bank|University|College|Institute|School|Council|Port|Government|Republic|"
    r"Church|Museum|Library|Chamber|Society|Board|Authority|Commonwealth)\s+of\s+(?:the\s+)?$"
)
_COMPANY_AFTER = regex.compile(
    r"^,?\s+(?:LLC|L\.L\.C\.|Inc\.?|Ltd\.?|Limited|PLC|plc|Pty|Corp\.?|Corporation|GmbH|LLP|"
    r"(?:&|and)\s+Sons|(?:&|and)\s+Co\b\.?|Group|Holdings|Industries|Enterprises|Partners)\b"
)
_MONTHS = frozenset(
    [
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "january",
        "february",
        "march",
        "april",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ]
)
_ID_LABELS = frozenset(
    [
        "ssn",
        "nino",
        "nhs",
        "tfn",
        "abn",
        "sin",
        "ppsn",
        "pps",
        "pan",
        "uid",
        "aadhaar",
        "ird",
        "nhi",
        "iban",
        "ifsc",
        "gst",
        "gstin",
        "vat",
        "tin",
        "dob",
        "mrn",
        "upi",
    ]
)
_CHECKED = ("PERSON", "LOCATION")


def not_personal(text: str, start: int, end: int, entity: str) -> bool:
    """True where the finding text[start:end] of type `entity` is no person or personal place."""
    if entity not in _CHECKED:
        return False
    value = text[start:end]
    bare = value.strip(" .,").lower()
    if entity == "LOCATION" and bare in _MONTHS:
        return True
    words = bare.split()
    if (bare in _ID_LABELS and value.strip(" .,").isupper()) or (
        entity == "LOCATION"
        and len(words) == 2
        and words[0] in _ID_LABELS | {"id"}
        and words[1].isdigit()
    ):
        return True
    if entity == "LOCATION" and (
        _HALF_BEFORE.search(text, max(0, start - 30), start) or _HALF_AFTER.match(text, end)
    ):
        return True  # "Copeland" of "Copeland-Weaver": half a double surname, a place never
    if entity == "LOCATION" and _SITE_LAST.search(value):
        return True  # "the Brisbane hotel", "Auckland office": a site, nobody's address
    if value[:4].lower() == "the ":
        start, value = start + 4, value[4:]
    if not value[:1].isupper() or any(c.isdigit() for c in value) or len(value.split()) > 3:
        return False
    before = text[max(0, start - 40) : start]
    after = text[end : end + 40]
    if _THE_BEFORE.search(before) and _SITE_AFTER.match(after):
        return True
    if _PRODUCT_AFTER.match(after) or (entity == "PERSON" and _MODEL_AFTER.match(after)):
        return True
    for firm in _FIRM_LIST.finditer(text, max(0, start - 60), min(len(text), end + 60)):
        if firm.start() <= start and end <= firm.end():
            return True
    if entity == "LOCATION" and _ORG_OF_BEFORE.search(before):
        return True
    return bool(_COMPANY_AFTER.match(after))
