"""govern's own recognizers: small classes in a registry, Presidio style.

A new recognizer is a new class decorated with `@register`; the scanner instantiates every
registered class for its language next to the stock Presidio set and the YAML-declared ones.
The registry holds classes by name so the config hash can name the set that ran.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:
    from presidio_analyzer import EntityRecognizer

_REGISTRY: dict[str, tuple[str, Callable[[str], EntityRecognizer]]] = {}
T = TypeVar("T")

# name -> entity, filled statically so config validation need not import presidio
_BUILTIN = {
    "OfflineEmailRecognizer": "EMAIL_ADDRESS",
    "NorthAmericanPhoneRecognizer": "PHONE_NUMBER",
    "InternationalPhoneRecognizer": "PHONE_NUMBER",
    "NationalPhoneRecognizer": "PHONE_NUMBER",
    "LuhnCardRecognizer": "CREDIT_CARD",
    "StreetAddressRecognizer": "LOCATION",
    "PlaceNameRecognizer": "LOCATION",
    "PersonNameRecognizer": "PERSON",
    "SpacyNerRecognizer": "PERSON",
    "UkNinoRecognizer": "UK_NINO",
    "UkNhsRecognizer": "UK_NHS",
    "AuTfnRecognizer": "AU_TFN",
    "AuAbnRecognizer": "AU_ABN",
    "AuMedicareRecognizer": "AU_MEDICARE",
    "CaSinRecognizer": "CA_SIN",
    "IePpsnRecognizer": "IE_PPSN",
    "InPanRecognizer": "IN_PAN",
    "InAadhaarRecognizer": "IN_AADHAAR",
    "NzIrdRecognizer": "NZ_IRD",
    "NzNhiRecognizer": "NZ_NHI",
    "BankAccountRecognizer": "BANK_ACCOUNT",
}


def register(cls: T) -> T:
    """Class decorator: add a recognizer class (with NAME and ENTITY attributes) to the registry."""
    name, entity = getattr(cls, "NAME"), getattr(cls, "ENTITY")  # noqa: B009  (any class with both)
    _REGISTRY[name] = (entity, cast("Callable[[str], EntityRecognizer]", cls))
    return cls


def register_factory(name: str, entity: str, factory: Callable[[str], EntityRecognizer]) -> None:
    """Add a recognizer built by `factory(language)` (for classes that must import lazily)."""
    _REGISTRY[name] = (entity, factory)


def registered_names() -> set[str]:
    """Names of every govern recognizer (built-in and registered at run time)."""
    return set(_BUILTIN) | set(_REGISTRY)


def registered_entities() -> set[str]:
    """Entity types govern's own recognizers can report."""
    return set(_BUILTIN.values()) | {entity for entity, _ in _REGISTRY.values()}


def build_recognizers(language: str) -> list[EntityRecognizer]:
    """One instance of every registered recognizer, for `language`."""
    from govern.pii.recognizers import (  # noqa: F401  (registers)
        address,
        cards,
        email,
        identifiers,
        ner,
        person,
        phone,
        places,
    )

    return [factory(language) for _, factory in (_REGISTRY[name] for name in sorted(_REGISTRY))]
