"""Generate the labelled PII sets in benchmarks/pii_data/ from templates, Faker and a fixed seed.

Five splits, written from separate template files with different wording and sentence frames:
`tune`, `fresh` and `fresh2` (recognizers may be tuned on them; `fresh` was written later, apart
from the other two; `fresh2` later still, to check that a fix generalises), `heldout` (never tuned
on; see pii_data/heldout_templates.py) and `fresh3` (written by someone who never saw the
recognizers; never tuned on, like heldout). Names, addresses and phones come from Faker for seven
English-speaking locales, plus non-English names (German, French, Spanish, Italian, Dutch,
Polish, Portuguese, Turkish, Vietnamese, Irish, Yoruba, Japanese and Chinese, romanized) in
English text. A template file may also define EXTRA_NAMES (a list of (given, surname) pairs per
English locale and for "other"), written apart from Faker's lists (which the scanner's name lists
share); then about half of that split's people are drawn from them (fresh3 does). Identifiers
are drawn valid (checksums by python-stdnum) in the locale's usual spellings. Every personal
value is labelled with its span; products, companies, places used as non-personal words, ticket
codes, dates and amounts are not, so precision is measured.

Faker is a development dependency (the `test` extra); the scanner never imports it.

usage: python benchmarks/pii_generate.py [--out benchmarks/pii_data] [--records 1500] [--check]
  --check  regenerate in memory and exit 1 if the committed files differ
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import re
import string
import sys
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "pii_data"
SEEDS = {"tune": 1301, "heldout": 1302, "fresh": 1303, "fresh2": 1304, "fresh3": 1305}
ENGLISH_LOCALES = ("en_US", "en_GB", "en_AU", "en_CA", "en_IE", "en_IN", "en_NZ")
OTHER_NAME_LOCALES = (
    "de_DE",
    "fr_FR",
    "es_ES",
    "it_IT",
    "nl_NL",
    "pl_PL",
    "pt_BR",
    "tr_TR",
    "vi_VN",
    "ga_IE",
    "yo_NG",
    "ja_JP",
    "zh_CN",
)
OTHER_NAMES = "other"  # the locale label of records whose people have non-English names
NEGATIVE_SHARE = 0.25
EXTRA_NEGATIVE_SENTENCE = 0.3
EXTRA_NAME_SHARE = 0.5  # of the people of a split whose templates define EXTRA_NAMES

# The identifier each English locale uses for a person, for tax, and in health care.
NATIONAL_ID = {
    "en_US": "US_SSN",
    "en_GB": "UK_NINO",
    "en_AU": "AU_TFN",
    "en_CA": "CA_SIN",
    "en_IE": "IE_PPSN",
    "en_IN": "IN_AADHAAR",
    "en_NZ": "NZ_IRD",
}
TAX_ID = dict(NATIONAL_ID, en_IN="IN_PAN")
HEALTH_ID = dict(NATIONAL_ID, en_GB="UK_NHS", en_AU="AU_MEDICARE", en_NZ="NZ_NHI")
ID_LABELS = {
    "US_SSN": ["SSN", "Social Security number", "SSN#", "social security no."],
    "UK_NINO": ["NI number", "National Insurance number", "NINO", "NI no."],
    "UK_NHS": ["NHS number", "NHS no.", "NHS #"],
    "AU_TFN": ["TFN", "tax file number", "TFN no."],
    "AU_MEDICARE": ["Medicare number", "Medicare card no.", "Medicare #"],
    "CA_SIN": ["SIN", "social insurance number", "SIN #"],
    "IE_PPSN": ["PPS number", "PPSN", "PPS no."],
    "IN_PAN": ["PAN", "PAN card no.", "PAN number"],
    "IN_AADHAAR": ["Aadhaar", "Aadhaar number", "Aadhaar no.", "UID"],
    "NZ_IRD": ["IRD number", "IRD no.", "IRD #"],
    "NZ_NHI": ["NHI", "NHI number", "NHI no."],
}

Span = tuple[int, int, str]


@dataclass
class Value:
    """A rendered value and the labelled spans inside it (offsets relative to the value)."""

    text: str
    spans: list[Span]

    @classmethod
    def labelled(cls, text: str, label: str) -> Value:
        text = " ".join(text.split())  # some Faker values end in a space or hold a newline
        return cls(text, [(0, len(text), label)])

    @classmethod
    def plain(cls, text: str) -> Value:
        return cls(text, [])


def ascii_fold(text: str) -> str:
    return (
        "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        .replace("ł", "l")
        .replace("ı", "i")
    )


def digits(rng: random.Random, n: int, first: str = "0123456789") -> str:
    return rng.choice(first) + "".join(rng.choice(string.digits) for _ in range(n - 1))


def until_valid(make: Callable[[], str], valid: Callable[[str], bool]) -> str:
    for _ in range(10_000):
        candidate = make()
        if valid(candidate):
            return candidate
    raise RuntimeError("no valid identifier drawn")


# ---------------------------------------------------------------- identifiers (valid, with checksums)


def us_ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    group, serial = rng.randint(1, 99), rng.randint(1, 9999)
    sep = rng.choice(["-", "-", "-", " ", ""])
    return f"{area:03d}{sep}{group:02d}{sep}{serial:04d}"


_NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
_NINO_BAD_PREFIX = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


def uk_nino(rng: random.Random) -> str:
    prefix = (
        "QQ"
        if rng.random() < 0.1
        else until_valid(
            lambda: rng.choice(_NINO_FIRST) + rng.choice(_NINO_SECOND),
            lambda p: p not in _NINO_BAD_PREFIX,
        )
    )
    number = digits(rng, 6)
    suffix = rng.choice("ABCD")
    style = rng.random()
    if style < 0.45:
        text = f"{prefix} {number[:2]} {number[2:4]} {number[4:]} {suffix}"
    elif style < 0.9:
        text = f"{prefix}{number}{suffix}"
    else:
        text = f"{prefix} {number} {suffix}"
    return text.lower() if rng.random() < 0.05 else text


def uk_nhs(rng: random.Random) -> str:
    from stdnum.gb import nhs

    number = until_valid(lambda: digits(rng, 10, "4679"), nhs.is_valid)
    sep = rng.choice([" ", " ", "-", ""])
    return f"{number[:3]}{sep}{number[3:6]}{sep}{number[6:]}"


def au_tfn(rng: random.Random) -> str:
    from stdnum.au import tfn

    number = until_valid(lambda: digits(rng, 9, "123456789"), tfn.is_valid)
    sep = rng.choice([" ", " ", "", "-"])
    return f"{number[:3]}{sep}{number[3:6]}{sep}{number[6:]}"


def au_medicare(rng: random.Random) -> str:
    def valid(n: str) -> bool:
        return sum(
            int(c) * w for c, w in zip(n[:8], (1, 3, 7, 9, 1, 3, 7, 9), strict=True)
        ) % 10 == int(n[8])

    number = until_valid(lambda: digits(rng, 10, "23456"), valid)
    return rng.choice(
        [
            f"{number[:4]} {number[4:9]} {number[9]}",
            number,
            f"{number[:4]}-{number[4:9]}-{number[9]}",
        ]
    )


def au_abn(rng: random.Random) -> str:
    from stdnum.au import abn

    number = until_valid(lambda: digits(rng, 11, "123456789"), abn.is_valid)
    return rng.choice([f"{number[:2]} {number[2:5]} {number[5:8]} {number[8:]}", number])


def ca_sin(rng: random.Random) -> str:
    from stdnum.ca import sin

    number = until_valid(lambda: digits(rng, 9, "1234567"), sin.is_valid)
    sep = rng.choice([" ", "-", "", " "])
    return f"{number[:3]}{sep}{number[3:6]}{sep}{number[6:]}"


def ie_ppsn(rng: random.Random) -> str:
    from stdnum.ie import pps

    base = digits(rng, 7)
    second = rng.choice(["", "A", "A", "B", "W"])
    check = next(c for c in string.ascii_uppercase if pps.is_valid(base + c + second))
    text = base + check + second
    return text if rng.random() < 0.85 else f"{base} {check}{second}"


def in_pan(rng: random.Random) -> str:
    letters = string.ascii_uppercase
    return (
        "".join(rng.choice(letters) for _ in range(3))
        + "P"
        + rng.choice(letters)
        + digits(rng, 4)
        + rng.choice(letters)
    )


def in_aadhaar(rng: random.Random) -> str:
    from stdnum.in_ import aadhaar

    number = until_valid(lambda: digits(rng, 12, "23456789"), aadhaar.is_valid)
    sep = rng.choice([" ", " ", "-", ""])
    return f"{number[:4]}{sep}{number[4:8]}{sep}{number[8:]}"


def nz_ird(rng: random.Random) -> str:
    from stdnum.nz import ird

    number = until_valid(lambda: digits(rng, rng.choice([8, 9]), "1"), ird.is_valid)
    number = number.zfill(9)
    return rng.choice(
        [
            f"{number[:3]}-{number[3:6]}-{number[6:]}",
            number,
            f"{number[:3]} {number[3:6]} {number[6:]}",
            f"{number.lstrip('0')[:2]}-{number[3:6]}-{number[6:]}"
            if number.startswith("0")
            else number,
        ]
    )


_NHI_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O; A=1 .. Z=24


def nhi_valid(nhi: str) -> bool:
    """The Ministry of Health NHI check: AAANNNC (mod 11) or the AAANNAX of HISO 10046:2023 (mod 23)."""
    values = [int(c) if c.isdigit() else _NHI_LETTERS.index(c) + 1 for c in nhi]
    total = sum(v * w for v, w in zip(values[:6], range(7, 1, -1), strict=True))
    if nhi[-1].isdigit():
        return total % 11 != 0 and (11 - total % 11) % 10 == values[6]
    return 23 - total % 23 == values[6]


def nz_nhi(rng: random.Random) -> str:
    letters = lambda: "".join(rng.choice(_NHI_LETTERS) for _ in range(3))  # noqa: E731
    if rng.random() < 0.7:
        return until_valid(lambda: letters() + digits(rng, 4), nhi_valid)
    return until_valid(
        lambda: letters() + digits(rng, 2) + rng.choice(_NHI_LETTERS) + rng.choice(_NHI_LETTERS),
        nhi_valid,
    )


IDENTIFIERS: dict[str, Callable[[random.Random], str]] = {
    "US_SSN": us_ssn,
    "UK_NINO": uk_nino,
    "UK_NHS": uk_nhs,
    "AU_TFN": au_tfn,
    "AU_MEDICARE": au_medicare,
    "AU_ABN": au_abn,
    "CA_SIN": ca_sin,
    "IE_PPSN": ie_ppsn,
    "IN_PAN": in_pan,
    "IN_AADHAAR": in_aadhaar,
    "NZ_IRD": nz_ird,
    "NZ_NHI": nz_nhi,
}


def bank_account(rng: random.Random, locale: str, labelled: bool, iban: Callable[[], str]) -> Value:
    """The locale's usual way of writing a personal account; only the account part is labelled."""

    def parts(*pieces: tuple[str, str | None]) -> Value:
        text, spans = "", []
        for piece, label in pieces:
            if label:
                spans.append((len(text), len(text) + len(piece), label))
            text += piece
        return Value(text, spans)

    account = "BANK_ACCOUNT"
    if locale == "en_GB":
        sort = f"{rng.randint(10, 99)}-{rng.randint(0, 99):02d}-{rng.randint(0, 99):02d}"
        number = digits(rng, 8)
        if labelled:
            return parts(
                (
                    rng.choice(["sort code ", "sort code: ", "s/c "])
                    + sort
                    + rng.choice([", account number ", ", a/c ", " acc no. "]),
                    None,
                ),
                (number, account),
            )
        return parts((sort + " ", None), (number, account))
    if locale == "en_AU":
        bsb = f"{rng.randint(10, 99):03d}-{rng.randint(0, 999):03d}"
        number = digits(rng, rng.choice([8, 9]))
        number = rng.choice([number, f"{number[:4]} {number[4:]}"])
        if labelled:
            return parts(
                (
                    rng.choice(["BSB ", "BSB: "])
                    + bsb
                    + rng.choice([", account ", ", acct no. ", " account number "]),
                    None,
                ),
                (number, account),
            )
        return parts((bsb + " ", None), (number, account))
    if locale == "en_NZ":
        from stdnum.nz import bankaccount

        number = until_valid(
            lambda: f"01-0242-{digits(rng, 7)}-{rng.randint(0, 99):02d}", bankaccount.is_valid
        )
        return parts(("bank account " if labelled else "", None), (number, account))
    if locale == "en_IN":
        number = digits(rng, rng.choice([11, 12, 14]), "123456789")
        ifsc = "".join(rng.choice(string.ascii_uppercase) for _ in range(4)) + "0" + digits(rng, 6)
        if labelled:
            return parts(
                (rng.choice(["A/c no. ", "account no. ", "a/c "]), None),
                (number, account),
                (f", IFSC {ifsc}", None),
            )
        return parts((number, account), (f" ({ifsc})", None))
    if locale == "en_US":
        from stdnum.us import rtn

        routing = until_valid(lambda: digits(rng, 9, "0123"), rtn.is_valid)
        number = digits(rng, rng.choice([10, 12]))
        if labelled:
            return parts((f"routing number {routing}, account ", None), (number, account))
        return parts((f"{routing} / ", None), (number, account))
    if locale == "en_CA":
        number = digits(rng, 7)
        transit = f"{digits(rng, 5)}-{rng.choice(['001', '002', '003', '004', '006', '010'])}"
        if labelled:
            return parts((f"transit {transit}, account ", None), (number, account))
        return parts((transit + " ", None), (number, account))
    # Ireland (and anything else): an IBAN
    return parts(("IBAN " if labelled else "", None), (iban(), "IBAN_CODE"))


# ---------------------------------------------------------------- people

_APOSTROPHE_NAMES = [
    "O'Brien",
    "O'Connor",
    "O'Neill",
    "O'Sullivan",
    "D'Souza",
    "D'Angelo",
    "O'Hara",
    "N'Diaye",
    "D'Arcy",
    "O'Donnell",
    "D'Costa",
    "O'Keeffe",
    "Dell'Orto",
    "O'Mahony",
]
_PARTICLES = {
    "nl_NL": ["van", "van der", "de", "ter"],
    "de_DE": ["von", "zu"],
    "fr_FR": ["de", "du", "le"],
    "es_ES": ["de", "de la", "del"],
    "it_IT": ["di", "da", "della"],
    "pt_BR": ["da", "dos", "de"],
}
_ANY_PARTICLES = ["van", "de", "De", "Van", "van der", "di", "da", "le"]
_TITLES = ["Mr", "Mrs", "Ms", "Dr", "Mx"]


@dataclass
class Person:
    first: str
    last: str

    def render(self, style: str) -> str:
        full = f"{self.first} {self.last}"
        if style == "first":
            return self.first
        if style == "last":
            return self.last
        if style == "upper":
            return full.upper()
        if style == "lower":
            return full.lower()
        if style == "initial":
            return f"{self.first[0]}. {self.last}"
        if style == "lastfirst":
            return f"{self.last}, {self.first}"
        return full


class Fakers:
    """One seeded Faker per locale (built lazily)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._fakers: dict[str, Any] = {}

    def __getitem__(self, locale: str) -> Any:
        if locale not in self._fakers:
            from faker import Faker

            faker = Faker(locale)
            faker.seed_instance(f"{self.seed}-{locale}")
            self._fakers[locale] = faker
        return self._fakers[locale]


ExtraNames = dict[str, list[tuple[str, str]]]


def extra_person(rng: random.Random, pool: list[tuple[str, str]]) -> Person:
    """A person from a template file's own name list; now and then a double surname or given name."""
    first, last = rng.choice(pool)
    roll = rng.random()
    if roll < 0.06:
        other_last = rng.choice(pool)[1]
        if other_last != last and not re.search(r"[ -]", last + other_last):
            last = f"{last}-{other_last}"
    elif roll < 0.1:
        other_first = rng.choice(pool)[0]
        if other_first != first:
            first = f"{first}-{other_first}"
    return Person(first, last)


def make_person(
    rng: random.Random, fakers: Fakers, name_locale: str, extra_names: ExtraNames | None = None
) -> Person:
    if extra_names and rng.random() < EXTRA_NAME_SHARE:
        pool = extra_names.get(name_locale) or extra_names[OTHER_NAMES]
        return extra_person(rng, pool)
    faker = fakers[name_locale]
    if name_locale in ("ja_JP", "zh_CN"):
        first, last = faker.first_romanized_name(), faker.last_romanized_name()
    else:
        first, last = faker.first_name(), faker.last_name()
    roll = rng.random()
    if roll < 0.07:
        last = f"{last}-{faker.last_name() if name_locale not in ('ja_JP', 'zh_CN') else faker.last_romanized_name()}"
    elif roll < 0.13:
        last = rng.choice(_APOSTROPHE_NAMES)
    elif roll < 0.19:
        particle = rng.choice(_PARTICLES.get(name_locale, _ANY_PARTICLES))
        last = f"{particle}{last}" if particle.endswith("-") else f"{particle} {last}"
    if rng.random() < 0.05:
        other = (
            faker.first_name()
            if name_locale not in ("ja_JP", "zh_CN")
            else faker.first_romanized_name()
        )
        if other != first:
            first = f"{first}-{other}"
    return Person(first.split()[0] if " " in first and "-" not in first else first, last)


def email_for(rng: random.Random, person: Person, locale: str) -> str:
    first = re.sub(r"[^a-z]", "", ascii_fold(person.first).lower()) or "user"
    last = re.sub(r"[^a-z]", "", ascii_fold(person.last).lower()) or "mail"
    local = rng.choice(
        [
            f"{first}.{last}",
            f"{first[0]}{last}",
            f"{first}_{last}{rng.randint(1, 99)}",
            f"{first}{last}",
            f"{last}.{first[0]}",
        ]
    )
    domains = {
        "en_US": ["gmail.com", "yahoo.com", "outlook.com", "comcast.net"],
        "en_GB": ["btinternet.com", "gmail.com", "yahoo.co.uk", "hotmail.co.uk"],
        "en_AU": ["bigpond.com", "gmail.com", "outlook.com.au", "optusnet.com.au"],
        "en_CA": ["rogers.com", "gmail.com", "shaw.ca", "hotmail.ca"],
        "en_IE": ["eircom.net", "gmail.com", "hotmail.ie", "icloud.com"],
        "en_IN": ["rediffmail.com", "gmail.com", "yahoo.co.in", "outlook.in"],
        "en_NZ": ["xtra.co.nz", "gmail.com", "slingshot.co.nz", "outlook.co.nz"],
    }
    return f"{local}@{rng.choice(domains[locale] + ['proton.me', 'icloud.com', 'example.org'])}"


def phone_for(rng: random.Random, fakers: Fakers, locale: str) -> str:
    if rng.random() < 0.3:
        return fakers[locale].phone_number()
    d = lambda n: digits(rng, n)  # noqa: E731
    if locale in ("en_US", "en_CA"):
        area, exchange = digits(rng, 3, "23456789"), digits(rng, 3, "23456789")
        return rng.choice(
            [
                f"({area}) {exchange}-{d(4)}",
                f"{area}-{exchange}-{d(4)}",
                f"+1 {area} {exchange} {d(4)}",
                f"{area}.{exchange}.{d(4)}",
                f"1-{area}-{exchange}-{d(4)}",
            ]
        )
    if locale == "en_GB":
        return rng.choice(
            [
                f"07{d(3)} {d(6)}",
                f"+44 7{d(3)} {d(6)}",
                f"020 {d(4)} {d(4)}",
                f"0161 {d(3)} {d(4)}",
                f"+44 (0)20 {d(4)} {d(4)}",
                f"01{d(3)} {d(6)}",
                f"07{d(9)}",
            ]
        )
    if locale == "en_AU":
        return rng.choice(
            [
                f"04{d(2)} {d(3)} {d(3)}",
                f"+61 4{d(2)} {d(3)} {d(3)}",
                f"(02) {d(4)} {d(4)}",
                f"03 {d(4)} {d(4)}",
                f"+61 2 {d(4)} {d(4)}",
                f"04{d(8)}",
            ]
        )
    if locale == "en_IE":
        return rng.choice(
            [
                f"08{rng.choice('35679')} {d(3)} {d(4)}",
                f"+353 8{rng.choice('35679')} {d(3)} {d(4)}",
                f"(01) {d(3)} {d(4)}",
                f"01 {d(3)} {d(4)}",
                f"+353 1 {d(3)} {d(4)}",
            ]
        )
    if locale == "en_IN":
        mobile = digits(rng, 10, "6789")
        return rng.choice(
            [
                f"+91 {mobile[:5]} {mobile[5:]}",
                f"{mobile[:5]} {mobile[5:]}",
                f"0{mobile[:5]} {mobile[5:]}",
                f"+91-{mobile}",
                f"011 {d(4)} {d(4)}",
                mobile,
            ]
        )
    return rng.choice(
        [
            f"021 {d(3)} {d(4)}",
            f"+64 21 {d(3)} {d(4)}",
            f"(09) {d(3)} {d(4)}",
            f"09 {d(3)} {d(4)}",
            f"+64 9 {d(3)} {d(4)}",
            f"027{d(7)}",
        ]
    )


# ---------------------------------------------------------------- things that are not personal

_PRODUCTS = [
    "Dell Latitude 5440",
    "HP LaserJet Pro M404",
    "Ford Ranger",
    "Toyota Hilux",
    "Dyson V15",
    "Philips Hue bridge",
    "Samsung Galaxy S23",
    "iPhone 14",
    "Surface Pro 9",
    "ThinkPad X1 Carbon",
    "Kindle Paperwhite",
    "Nespresso Vertuo",
    "Hamilton Beach blender",
    "Fitbit Charge 6",
    "Bosch Serie 6 dishwasher",
    "Carrier Infinity thermostat",
    "Mitsubishi heat pump",
    "Xerox VersaLink C405",
    "Garmin Forerunner",
    "Cisco Meraki MX68",
    "Tesla Model 3",
    "Sonos Arc",
    "Breville Barista Express",
    "Otis Gen2 lift",
]
_COMPANIES = [
    "Northwind Traders",
    "Contoso Ltd",
    "Acme Logistics",
    "Globex Corporation",
    "Initech",
    "Umbrella Health",
    "Stark Industries",
    "Wayne Enterprises",
    "Blue Harbour Insurance",
    "Kiwi Freight",
    "Maple Leaf Foods",
    "Tata Consultancy Services",
    "Harvey Norman",
    "Marks & Spencer",
    "Tim Hortons",
    "Bank of Ireland",
    "Johnson & Johnson",
    "Morgan Stanley",
    "Goldman Sachs",
    "Ernst & Young",
]
_PLACES = [
    "Sydney",
    "Melbourne",
    "Brisbane",
    "Perth",
    "London",
    "Manchester",
    "Leeds",
    "Glasgow",
    "Dublin",
    "Cork",
    "Galway",
    "Auckland",
    "Wellington",
    "Christchurch",
    "Toronto",
    "Vancouver",
    "Montreal",
    "Mumbai",
    "Bengaluru",
    "Delhi",
    "Chicago",
    "Seattle",
    "Austin",
    "Boston",
]
_DRUGS = [
    "metformin",
    "atorvastatin",
    "amoxicillin",
    "salbutamol",
    "paracetamol",
    "ibuprofen",
    "ramipril",
    "sertraline",
    "levothyroxine",
    "omeprazole",
    "Ventolin",
    "Panadol",
]
_DEPTS = [
    "Finance",
    "Engineering",
    "Customer Success",
    "People & Culture",
    "Procurement",
    "Legal",
    "Facilities",
    "Data Platform",
    "Payroll",
    "Clinical Governance",
]
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def negative(rng: random.Random, fakers: Fakers, locale: str, kind: str) -> str:
    d = lambda n: digits(rng, n)  # noqa: E731
    if kind == "product":
        return rng.choice(_PRODUCTS)
    if kind == "company":
        return rng.choice(_COMPANIES) if rng.random() < 0.6 else fakers["en_US"].company()
    if kind == "place":
        return rng.choice(_PLACES)
    if kind == "ticket":
        return rng.choice(
            [f"INC{d(7)}", f"TCK-{d(5)}", f"#{d(5)}", f"SR-2024-{d(5)}", f"OPS-{d(4)}", f"CS{d(6)}"]
        )
    if kind == "order":
        return rng.choice(
            [
                f"ORD-{d(4)}-{d(4)}",
                f"PO {d(6)}",
                f"#{d(4)}-{d(4)}",
                f"{d(3)}-{d(7)}-{d(7)}",
                f"A{d(8)}",
            ]
        )
    if kind == "date":
        day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2019, 2026)
        return rng.choice(
            [
                f"{day:02d}/{month:02d}/{year}",
                f"{year}-{month:02d}-{day:02d}",
                f"{day} {_MONTHS[month - 1]} {year}",
                f"{_MONTHS[month - 1]} {day}, {year}",
                f"{day:02d}.{month:02d}.{year}",
                f"{day} {_MONTHS[month - 1][:3]}",
            ]
        )
    if kind == "time":
        return rng.choice(
            [
                f"{rng.randint(0, 23):02d}:{rng.choice(['00', '15', '30', '45'])}",
                f"{rng.randint(1, 12)}:{rng.randint(0, 59):02d}pm",
                f"{rng.randint(1, 12)}am",
            ]
        )
    if kind == "amount":
        value = rng.choice(
            [
                f"{rng.randint(5, 999)}.{rng.randint(0, 99):02d}",
                f"{rng.randint(1, 99)},{rng.randint(0, 999):03d}",
                f"{rng.randint(10, 5000)}",
            ]
        )
        return rng.choice(
            [
                f"${value}",
                f"£{value}",
                f"A${value}",
                f"€{value}",
                f"INR {value}",
                f"NZ$ {value}",
                f"CA${value}",
                f"{value} USD",
            ]
        )
    if kind == "version":
        return rng.choice(
            [
                f"v{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
                f"{rng.randint(1, 9)}.{rng.randint(0, 9)}",
                f"build {rng.randint(2019, 2026)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
            ]
        )
    if kind == "serial":
        return rng.choice(
            [
                f"SN-{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}{d(2)}-{d(4)}",
                d(4),
                f"A7K-{d(4)}-XQ",
                d(8),
                f"{d(3)}-{d(3)}",
            ]
        )
    if kind == "case":
        return rng.choice(
            [
                f"CV-2024-{d(6)}",
                f"{rng.randint(2019, 2026)}/HC/{d(4)}",
                f"{rng.randint(19, 26)}-cv-{d(5)}",
                f"[{rng.randint(2019, 2026)}] NSWSC {d(4)}",
                f"REF/{d(5)}",
            ]
        )
    if kind == "dose":
        return rng.choice(
            [
                f"{rng.choice([5, 10, 20, 40, 250, 500])} mg",
                f"{rng.randint(1, 20)} mL",
                f"{rng.randint(1, 3)}.5 mg/kg",
            ]
        )
    if kind == "drug":
        return rng.choice(_DRUGS)
    if kind == "icd":
        return rng.choice(["E11.9", "J45.909", "I10", "M54.5", "F32.1", "K21.0", "N39.0", "R07.4"])
    if kind == "dept":
        return rng.choice(_DEPTS)
    if kind == "count":
        return str(rng.randint(2, 40))
    if kind == "percent":
        return rng.choice(
            [
                f"{rng.randint(1, 60)}%",
                f"{rng.randint(1, 20)}.{rng.randint(0, 9)}%",
                f"{rng.randint(1, 9)} per cent",
            ]
        )
    if kind == "weekday":
        return rng.choice(_WEEKDAYS)
    raise KeyError(kind)


# ---------------------------------------------------------------- records

_PLACEHOLDER = re.compile(r"\{([A-Za-z]+\d?)(?::([a-z]+))?\}")


class Record:
    """The values of one record: people, contacts and identifiers, drawn once and reused."""

    def __init__(
        self,
        rng: random.Random,
        fakers: Fakers,
        locale: str,
        name_locale: str,
        extra_names: ExtraNames | None = None,
    ) -> None:
        self.rng, self.fakers, self.locale, self.name_locale = rng, fakers, locale, name_locale
        self.extra_names = extra_names
        self.people: dict[str, Person] = {}
        self.values: dict[str, Value] = {}

    def person(self, key: str) -> Person:
        if key not in self.people:
            self.people[key] = make_person(
                self.rng, self.fakers, self.name_locale, self.extra_names
            )
        return self.people[key]

    def iban(self) -> str:
        country = {"en_GB": "en_GB", "en_IE": "en_IE"}.get(self.locale) or self.rng.choice(
            ["en_GB", "en_IE", "de_DE", "nl_NL", "fr_FR"]
        )
        value = self.fakers[country].iban()
        if self.rng.random() < 0.4:
            value = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
        return value

    def identifier(self, label: str, labelled: bool) -> Value:
        number = IDENTIFIERS[label](self.rng)
        if not labelled:
            return Value.labelled(number, label)
        name = self.rng.choice(ID_LABELS[label])
        lead = name + self.rng.choice([" ", ": ", " - ", " "])
        return Value(lead + number, [(len(lead), len(lead) + len(number), label)])

    def render(self, key: str, style: str | None) -> Value:
        rng = self.rng
        if key.islower():
            return Value.plain(negative(rng, self.fakers, self.locale, key))
        base = key.rstrip("0123456789")
        suffix = key[len(base) :]
        if base == "NAME":
            return Value.labelled(self.person(key).render(style or "full"), "PERSON")
        cache_key = f"{key}:{style}"
        if cache_key in self.values:
            return self.values[cache_key]
        if base == "EMAIL":
            value = Value.labelled(
                email_for(rng, self.person("NAME" + suffix), self.locale), "EMAIL_ADDRESS"
            )
        elif base == "PHONE":
            value = Value.labelled(phone_for(rng, self.fakers, self.locale), "PHONE_NUMBER")
        elif base == "STREET":
            street = self.fakers[self.locale].street_address().replace("\n", ", ")
            value = Value.labelled(street, "LOCATION")
        elif base == "CITY":
            value = Value.labelled(self.fakers[self.locale].city(), "LOCATION")
        elif base == "POSTCODE":
            value = Value.labelled(self.fakers[self.locale].postcode(), "LOCATION")
        elif base == "CARD":
            number = self.fakers["en_US"].credit_card_number()
            if rng.random() < 0.5 and len(number) == 16:
                sep = rng.choice([" ", "-"])
                number = sep.join(number[i : i + 4] for i in range(0, 16, 4))
            value = Value.labelled(number, "CREDIT_CARD")
        elif base == "IBAN":
            value = Value.labelled(self.iban(), "IBAN_CODE")
        elif base == "IP":
            faker = self.fakers["en_US"]
            value = Value.labelled(
                faker.ipv6() if rng.random() < 0.15 else faker.ipv4(), "IP_ADDRESS"
            )
        elif base == "NATID":
            value = self.identifier(NATIONAL_ID[self.locale], style == "labelled")
        elif base == "TAXID":
            value = self.identifier(TAX_ID[self.locale], style == "labelled")
        elif base == "HEALTHID":
            value = self.identifier(HEALTH_ID[self.locale], style == "labelled")
        elif base == "ABN":
            value = Value.labelled(au_abn(rng), "AU_ABN")
        elif base == "BANKACCT":
            value = bank_account(rng, self.locale, style == "labelled", self.iban)
        else:
            raise KeyError(f"unknown placeholder {{{key}}}")
        self.values[cache_key] = value
        return value


def fill(template: str, record: Record) -> tuple[str, list[dict[str, Any]]]:
    """The template with every placeholder filled, and the labelled spans in the result."""
    out: list[str] = []
    spans: list[dict[str, Any]] = []
    position = 0
    cursor = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[cursor : match.start()]
        out.append(literal)
        position += len(literal)
        value = record.render(match.group(1), match.group(2))
        for start, end, label in value.spans:
            spans.append({"start": position + start, "end": position + end, "label": label})
        out.append(value.text)
        position += len(value.text)
        cursor = match.end()
    out.append(template[cursor:])
    return "".join(out), spans


def load_templates(
    split: str,
) -> tuple[dict[str, list[str]], dict[str, list[str]], ExtraNames | None]:
    """A split's positive and negative templates per domain, and its own names if it has any."""
    path = DATA_DIR / f"{split}_templates.py"
    spec = importlib.util.spec_from_file_location(f"pii_templates_{split}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.POSITIVE, module.NEGATIVE, getattr(module, "EXTRA_NAMES", None)


def generate(split: str, count: int) -> list[dict[str, Any]]:
    """`count` labelled records of one split, the same for the same Faker version and seed."""
    positive, negative_templates, extra_names = load_templates(split)
    rng = random.Random(SEEDS[split])
    fakers = Fakers(SEEDS[split])
    domains = sorted(positive)
    rows = []
    for index in range(count):
        domain = domains[index % len(domains)]
        if rng.random() < 0.8:
            locale = name_locale = rng.choice(ENGLISH_LOCALES)
        else:
            locale, name_locale = rng.choice(ENGLISH_LOCALES), rng.choice(OTHER_NAME_LOCALES)
        record = Record(rng, fakers, locale, name_locale, extra_names)
        is_negative = rng.random() < NEGATIVE_SHARE
        pool = negative_templates[domain] if is_negative else positive[domain]
        template_index = rng.randrange(len(pool))
        template = pool[template_index]
        if not is_negative and rng.random() < EXTRA_NEGATIVE_SENTENCE:
            extra = rng.choice(negative_templates[domain])
            template = f"{extra} {template}" if rng.random() < 0.5 else f"{template} {extra}"
        text, spans = fill(template, record)
        rows.append(
            {
                "id": f"{split}-{index:05d}",
                "split": split,
                "domain": domain,
                "locale": locale if name_locale == locale else OTHER_NAMES,
                "name_locale": name_locale,
                "template": f"{domain}-{'neg' if is_negative else 'pos'}-{template_index}",
                "text": text,
                "spans": spans,
            }
        )
    return rows


def write(rows: list[dict[str, Any]]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False, sort_keys=False) + "\n" for row in rows)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DATA_DIR)
    parser.add_argument("--records", type=int, default=1500, help="records per split")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the committed files differ from a fresh run"
    )
    args = parser.parse_args()
    stale = []
    for split in SEEDS:
        content = write(generate(split, args.records))
        path = args.out / f"{split}.jsonl"
        if args.check:
            if not path.is_file() or path.read_text(encoding="utf-8") != content:
                stale.append(str(path))
        else:
            path.write_text(content, encoding="utf-8")
            print(f"wrote {path} ({args.records} records)")
    if stale:
        print(
            "stale (rerun python benchmarks/pii_generate.py): " + ", ".join(stale), file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
