"""National, tax and health identifiers of English-speaking countries, with their checksums.

Each recognizer finds the identifier's usual spellings (grouped by spaces or dashes, or run
together) and keeps only values that pass the format's own check (python-stdnum where it has
the format, the published routine otherwise). A grouped value that passes is reported as it
is; a bare run of digits, which many order and serial numbers also are, needs one of the
identifier's names before it (`TFN`, `NI number`, `Aadhaar` ...). They replace Presidio's
recognizers of the same types, which score every checksum-valid run at 1.0: a North American
phone number passes the NHS check one time in eleven and was then typed UK_NHS over PHONE_NUMBER.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from govern.pii.recognizers import register
from govern.pii.recognizers.base import SpanRecognizer

CONTEXT_WINDOW = 48  # characters before a value searched for the identifier's name


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def _stdnum(module: str) -> Callable[[str], bool]:
    """`is_valid` of a python-stdnum module, imported on first use."""
    holder: list[Callable[[str], bool]] = []

    def check(value: str) -> bool:
        if not holder:
            import importlib

            holder.append(importlib.import_module(f"stdnum.{module}").is_valid)
        return bool(holder[0](value))

    return check


class IdentifierRecognizer(SpanRecognizer):
    """A regex for one identifier, a validity check, and the names that introduce it.

    `GROUPED_SCORE` is given to a valid value written with separators, `BARE_SCORE` to one
    written as a plain run (below the default threshold on its own), and `CONTEXT_SCORE` to
    either when one of `NAMES` stands in the few words before it.
    """

    PATTERN: re.Pattern[str]
    NAMES: re.Pattern[str]
    GROUPED_SCORE = 0.6
    BARE_SCORE = 0.3
    CONTEXT_SCORE = 0.85

    def valid(self, value: str) -> bool:
        raise NotImplementedError

    def canonical(self, value: str) -> str:
        return re.sub(r"[\s-]", "", value).upper()

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        for match in self.PATTERN.finditer(text):
            value = match.group()
            if not self.valid(self.canonical(value)):
                continue
            before = text[max(0, match.start() - CONTEXT_WINDOW) : match.start()]
            if self.NAMES.search(before):
                score = self.CONTEXT_SCORE
            elif re.search(r"[\s-]", value):
                score = self.GROUPED_SCORE
            elif PERSONAL_ID_WORDS.search(before):
                # "Patient ID 190315671", "Medicare claim for Jo Bloggs, 130692544": a valid value
                # where some person's identifier is spoken of, though not this one's name
                score = max(self.BARE_SCORE, PERSONAL_ID_SCORE)
            else:
                score = self.BARE_SCORE
            yield match.start(), match.end(), score


def _names(*words: str) -> re.Pattern[str]:
    return re.compile(r"(?i)(?<![\w])(?:" + "|".join(words) + r")(?![\w])")


# Words that say a person's identifier is near, whatever its kind; a bare valid run after one
# scores PERSONAL_ID_SCORE, above the default threshold (order and item numbers have none).
PERSONAL_ID_WORDS = _names(
    "id",
    "identifier",
    "identity",
    "patient",
    "member",
    "employee",
    "claimant",
    "medicare",
    "ssn",
    "sin",
    "tfn",
    "ird",
    "nino",
    "ppsn",
    "aadhaar",
    "national insurance",
    "social security",
    "social insurance",
    "tax file",
)
PERSONAL_ID_SCORE = 0.45


_NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}


@register
class UkNinoRecognizer(IdentifierRecognizer):
    """UK National Insurance numbers (QQ 12 34 56 C, QQ123456C), prefix rules of HMRC.

    HMRC's specimen prefix QQ (used on forms, in guidance and so in real text) counts too;
    prefixes HMRC never issues need the number's name before them.
    """

    NAME = "UkNinoRecognizer"
    ENTITY = "UK_NINO"
    PATTERN = re.compile(r"(?i)(?<![\w-])[A-Z]{2}[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-D](?![\w-])")
    NAMES = _names(
        r"national insurance(?: number| no\.?)?", r"n\.?i\.?(?: number| no\.?| #)", "nino", "nin"
    )
    GROUPED_SCORE = 0.6
    BARE_SCORE = 0.5

    def valid(self, value: str) -> bool:
        prefix = value[:2]
        if prefix == "QQ":
            return True
        return (
            prefix[0] not in "DFIQUV"
            and prefix[1] not in "DFIOQUV"
            and prefix not in _NINO_BAD_PREFIXES
        )

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        yield from super().find(text)
        for match in self.PATTERN.finditer(text):  # an unissued prefix, but named as a NINO
            if not self.valid(self.canonical(match.group())) and self.NAMES.search(
                text[max(0, match.start() - CONTEXT_WINDOW) : match.start()]
            ):
                yield match.start(), match.end(), 0.6


@register
class UkNhsRecognizer(IdentifierRecognizer):
    """NHS numbers (England, Wales, Isle of Man): ten digits, mod-11 check. Written 3-3-4 like a
    North American phone number, so without "NHS" before it a valid one scores below a phone."""

    NAME = "UkNhsRecognizer"
    ENTITY = "UK_NHS"
    PATTERN = re.compile(r"(?<![\w.+-])(?<!\+1 )(?<!\()\d{3}[ -]?\d{3}[ -]?\d{4}(?![\w-]|\.\d)")
    NAMES = _names("nhs", r"health service(?: number| no\.?)?", "chi")
    GROUPED_SCORE = 0.4
    valid = staticmethod(_stdnum("gb.nhs"))  # type: ignore[assignment]


@register
class AuTfnRecognizer(IdentifierRecognizer):
    """Australian tax file numbers: nine digits, the ATO's weighted mod-11 check."""

    NAME = "AuTfnRecognizer"
    ENTITY = "AU_TFN"
    PATTERN = re.compile(r"(?<![\w.-])\d{3}[ -]?\d{3}[ -]?\d{3}(?![\w-]|\.\d)")
    NAMES = _names("tfn", r"tax file(?: number| no\.?)?")
    valid = staticmethod(_stdnum("au.tfn"))  # type: ignore[assignment]


@register
class AuAbnRecognizer(IdentifierRecognizer):
    """Australian business numbers (a sole trader's is personal): 11 digits, mod-89 check."""

    NAME = "AuAbnRecognizer"
    ENTITY = "AU_ABN"
    PATTERN = re.compile(r"(?<![\w.-])\d{2} ?\d{3} ?\d{3} ?\d{3}(?![\w-]|\.\d)")
    NAMES = _names("abn", r"australian business number")
    valid = staticmethod(_stdnum("au.abn"))  # type: ignore[assignment]


def medicare_valid(value: str) -> bool:
    """Australian Medicare card number: first digit 2-6, weights 1,3,7,9,1,3,7,9 mod 10 = 9th digit."""
    if len(value) not in (10, 11) or not value.isdigit() or value[0] not in "23456":
        return False
    return sum(
        int(c) * w for c, w in zip(value[:8], (1, 3, 7, 9, 1, 3, 7, 9), strict=True)
    ) % 10 == int(value[8])


@register
class AuMedicareRecognizer(IdentifierRecognizer):
    """Australian Medicare card numbers (2123 45670 1, with the issue number), checksummed."""

    NAME = "AuMedicareRecognizer"
    ENTITY = "AU_MEDICARE"
    PATTERN = re.compile(r"(?<![\w.-])[2-6]\d{3}[ -]?\d{5}[ -]?\d(?:[ /-]?\d)?(?![\w-]|\.\d)")
    NAMES = _names("medicare", r"irn")
    valid = staticmethod(medicare_valid)


@register
class CaSinRecognizer(IdentifierRecognizer):
    """Canadian social insurance numbers: nine digits, Luhn check, never starting 0 or 8."""

    NAME = "CaSinRecognizer"
    ENTITY = "CA_SIN"
    PATTERN = re.compile(r"(?<![\w.-])[0-79]\d{2}[ -]?\d{3}[ -]?\d{3}(?![\w-]|\.\d)")
    NAMES = _names("sin", r"social insurance(?: number| no\.?)?", "nas")
    valid = staticmethod(_stdnum("ca.sin"))  # type: ignore[assignment]


@register
class IePpsnRecognizer(IdentifierRecognizer):
    """Irish PPS numbers: seven digits, a mod-23 check letter, and maybe A, B, H, W, T or X."""

    NAME = "IePpsnRecognizer"
    ENTITY = "IE_PPSN"
    PATTERN = re.compile(r"(?i)(?<![\w-])\d{7} ?[A-W][ABHTWX]?(?![\w-])")
    NAMES = _names("pps", "ppsn", r"personal public service(?: number| no\.?)?")
    GROUPED_SCORE = BARE_SCORE = 0.6
    valid = staticmethod(_stdnum("ie.pps"))  # type: ignore[assignment]


@register
class InPanRecognizer(IdentifierRecognizer):
    """Indian PAN: five letters (the fourth the holder type, P for a person), four digits, a letter."""

    NAME = "InPanRecognizer"
    ENTITY = "IN_PAN"
    PATTERN = re.compile(r"(?<![\w-])[A-Z]{3}[ABCFGHJLPT][A-Z]\d{4}[A-Z](?![\w-])")
    NAMES = _names("pan", r"permanent account number")
    BARE_SCORE = 0.5
    valid = staticmethod(_stdnum("in_.pan"))  # type: ignore[assignment]


@register
class InAadhaarRecognizer(IdentifierRecognizer):
    """Indian Aadhaar numbers: twelve digits, not starting 0 or 1, Verhoeff check digit."""

    NAME = "InAadhaarRecognizer"
    ENTITY = "IN_AADHAAR"
    PATTERN = re.compile(r"(?<![\w.-])[2-9]\d{3}[ -]?\d{4}[ -]?\d{4}(?![\w-]|\.\d)")
    NAMES = _names("aadhaar", "aadhar", "uid", "uidai")
    valid = staticmethod(_stdnum("in_.aadhaar"))  # type: ignore[assignment]


@register
class NzIrdRecognizer(IdentifierRecognizer):
    """New Zealand IRD numbers: eight or nine digits with Inland Revenue's two-pass mod-11 check."""

    NAME = "NzIrdRecognizer"
    ENTITY = "NZ_IRD"
    PATTERN = re.compile(r"(?<![\w.-])\d{2,3}[ -]?\d{3}[ -]?\d{3}(?![\w-]|\.\d)")
    NAMES = _names("ird", r"inland revenue", r"gst(?: number| no\.?)?")
    valid = staticmethod(_stdnum("nz.ird"))  # type: ignore[assignment]


_NHI_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # I and O are never used


def nhi_valid(value: str) -> bool:
    """New Zealand NHI check: AAANNNC (mod 11) or the AAANNAX of HISO 10046:2023 (mod 23)."""
    if len(value) != 7 or any(c not in _NHI_LETTERS for c in value[:3]):
        return False
    try:
        values = [int(c) if c.isdigit() else _NHI_LETTERS.index(c) + 1 for c in value]
    except ValueError:
        return False
    total = sum(v * w for v, w in zip(values[:6], range(7, 1, -1), strict=True))
    if value[-1].isdigit():
        return value[3:6].isdigit() and total % 11 != 0 and (11 - total % 11) % 10 == values[6]
    return value[3:5].isdigit() and value[5].isalpha() and 23 - total % 23 == values[6]


@register
class NzNhiRecognizer(IdentifierRecognizer):
    """New Zealand National Health Index numbers, old (ZAC5361) and new (ZBN77VL) format."""

    NAME = "NzNhiRecognizer"
    ENTITY = "NZ_NHI"
    PATTERN = re.compile(r"(?i)(?<![\w-])[A-HJ-NP-Z]{3}\d{2}(?:\d{2}|[A-HJ-NP-Z]{2})(?![\w-])")
    NAMES = _names("nhi", r"national health index")
    BARE_SCORE = 0.5
    valid = staticmethod(nhi_valid)


def _account_pattern(lead: str, account: str) -> re.Pattern[str]:
    return re.compile(lead + r"[^\d\n]{0,40}?(?<![\w-])(?P<account>" + account + r")(?![\w-])")


# A bank's or branch's code, then the account number a few words on; only the account is
# personal, so only it is reported.
_ACCOUNT_AFTER_CODE = (
    _account_pattern(r"(?<![\w-])\d{2}[- ]\d{2}[- ]\d{2}(?![\w-])", r"\d{8}"),  # UK sort code
    _account_pattern(r"(?i)\bbsb\b:?\s*\d{3}[- ]?\d{3}", r"\d{4} ?\d{4,6}|\d{6,10}"),  # AU BSB
    _account_pattern(
        r"(?<![\w-])\d{3}-\d{3}(?![\w-])", r"\d{4} \d{4,6}|\d{6,10}"
    ),  # AU BSB, unlabelled
    _account_pattern(r"(?<![\w-])\d{5}-\d{3}(?![\w-])", r"\d{7,12}"),  # CA transit-institution
)
_ROUTING = re.compile(r"(?<![\w-])\d{9}(?![\w-])")  # US ABA routing number
_ACCOUNT_AFTER_ROUTING = re.compile(r"[^\d\n]{0,40}?(?<![\w-])(?P<account>\d{6,17})(?![\w-])")
# An Indian account number, then its branch's IFSC code (four letters, a zero, six more)
_ACCOUNT_BEFORE_IFSC = re.compile(
    r"(?<![\w-])(?P<account>\d{9,18})(?![\w-])[^\w\n]{0,4}(?:ifsc\s*(?:code)?\s*[:#-]?\s*)?"
    r"(?i:[A-Z]{4}0[A-Z0-9]{6})(?![\w-])"
)
_ROUTING_VALID = _stdnum("us.rtn")
_NZ_ACCOUNT_VALID = _stdnum("nz.bankaccount")
_NZ_ACCOUNT = re.compile(r"(?<![\w-])\d{2}-\d{4}-\d{7}-\d{2,3}(?![\w-])")
_NAMED_ACCOUNT = re.compile(
    r"(?i)\b(?:a/c|acct|acc|account)(?:\s*(?:number|no\.?|num|#))?\s*[:#.]?\s*(?P<account>\d{6,18}|\d{4}(?: \d{4}){1,3})(?![\w-])"
)


@register
class BankAccountRecognizer(SpanRecognizer):
    """Personal bank account numbers: after a UK sort code, an Australian BSB, a Canadian
    transit number or a US routing number (ABA-checked); New Zealand's bank-branch-account-suffix
    form (checksummed); and any number written right after "account" or "a/c"."""

    NAME = "BankAccountRecognizer"
    ENTITY = "BANK_ACCOUNT"

    def find(self, text: str) -> Iterable[tuple[int, int, float]]:
        for pattern in _ACCOUNT_AFTER_CODE:
            for match in pattern.finditer(text):
                yield match.start("account"), match.end("account"), 0.6
        for routing in _ROUTING.finditer(
            text
        ):  # each candidate, so a number before one is no cover
            if _ROUTING_VALID(routing.group()):
                account = _ACCOUNT_AFTER_ROUTING.match(text, routing.end())
                if account:
                    yield account.start("account"), account.end("account"), 0.6
        for match in _ACCOUNT_BEFORE_IFSC.finditer(text):
            yield match.start("account"), match.end("account"), 0.6
        for match in _NZ_ACCOUNT.finditer(text):
            if _NZ_ACCOUNT_VALID(match.group()):
                yield match.start(), match.end(), 0.7
        for match in _NAMED_ACCOUNT.finditer(text):
            yield match.start("account"), match.end("account"), 0.6
