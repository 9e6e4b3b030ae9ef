"""govern.pii's public surface: what `govern scan` / `govern anonymize` build on."""

from __future__ import annotations

import govern.pii


def test_every_name_in_all_is_exported_and_nothing_else_public_is_left_out():
    assert sorted(govern.pii.__all__) == sorted(
        name
        for name in vars(govern.pii)
        if (not name.startswith("_") and name[0].isupper())
        or name in {"detect_file", "redact_file", "load_operators"}
    )
    for name in govern.pii.__all__:
        assert getattr(govern.pii, name) is not None


def test_a_default_config_counts_the_labelled_types_and_the_identifiers_of_seven_locales():
    config = govern.pii.ScannerConfig()
    assert set(config.effective_entities()) == {
        "PERSON",
        "LOCATION",
        "EMAIL_ADDRESS",
        "PHONE_NUMBER",
        "US_SSN",
        "CREDIT_CARD",
        "IBAN_CODE",
        "IP_ADDRESS",
        "UK_NINO",
        "UK_NHS",
        "AU_TFN",
        "AU_ABN",
        "AU_MEDICARE",
        "CA_SIN",
        "IE_PPSN",
        "IN_PAN",
        "IN_AADHAAR",
        "NZ_IRD",
        "NZ_NHI",
        "BANK_ACCOUNT",
    }
