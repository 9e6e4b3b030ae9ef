"""Issue 13: Indian honorifics and relation marks, person-only cues, and places or names that are a
firm's site, a firm, a month or an ID label. Sentences are written here, not taken from an eval set."""

from __future__ import annotations

import pytest

from govern.pii.not_personal import not_personal


def _covered(scanner, text: str, value: str, entity: str = "PERSON") -> bool:
    start = text.index(value)
    return any(
        s.entity_type == entity and s.start <= start and start + len(value) <= s.end
        for s in scanner.scan_text(text)
    )


def _flagged(scanner, text: str, value: str) -> list[str]:
    start = text.index(value)
    return [
        s.entity_type
        for s in scanner.scan_text(text)
        if s.start < start + len(value) and start < s.end
    ]


@pytest.mark.parametrize(
    "text, name",
    [
        ("Pension papers received from Smt. Yamini Kotak yesterday.", "Yamini Kotak"),
        ("Ration card holder: Shri Devdutt Padgaonkar.", "Devdutt Padgaonkar"),
        ("The lease names Tanvir Lal, S/o Bhupinder Lal, as tenant.", "Bhupinder Lal"),
        ("Admission of Mrunal Joshi, D/o Keshav Joshi, approved.", "Keshav Joshi"),
        ("Agenda finalised. Deshpande to chair the next review.", "Deshpande"),
        ("Please ring Hritvik back after lunch.", "Hritvik"),
    ],
)
def test_names_after_indian_cues_and_person_only_cues_are_found(loaded_scanner, text, name):
    assert _covered(loaded_scanner, text, name), loaded_scanner.scan_text(text)


@pytest.mark.parametrize(
    "text, value",
    [
        ("Sales grew 4% in the Denver market this quarter.", "Denver"),
        ("Stock for the Dunedin store arrives on Friday.", "Dunedin"),
        ("A loan from Bank of Scotland closed on Monday.", "Scotland"),
        ("Invoices from Whitfield LLC are overdue.", "Whitfield"),
        ("Next inspection due 12 Aug. at the latest.", "Aug."),
    ],
)
def test_a_firms_site_or_name_or_a_month_is_no_personal_place_or_name(loaded_scanner, text, value):
    assert not _flagged(loaded_scanner, text, value)


@pytest.mark.parametrize(
    "text, value, entity",
    [
        ("She moved to Denver in May.", "Denver", "LOCATION"),
        ("Hand the keys to Whitfield at the front desk.", "Whitfield", "PERSON"),
        ("Courier to 14 Park Road, Dunedin 9016.", "Dunedin", "LOCATION"),
    ],
)
def test_a_place_or_name_in_personal_use_is_kept(text, value, entity):
    start = text.index(value)
    assert not not_personal(text, start, start + len(value), entity)


@pytest.mark.parametrize(
    "text, value, entity",
    [
        ("Our Denver call centre reopens on Monday.", "Denver", "LOCATION"),
        ("The Dunedin ward moved to level 3.", "Dunedin", "PERSON"),
        ("Customer returned a Morphy Richards kettle.", "Morphy Richards", "PERSON"),
        ("Tenant reported a broken Netgear Orbi RBR50 in the lounge.", "Netgear Orbi", "PERSON"),
        ("Hale, Birch and Osei filed its accounts late.", "Birch", "PERSON"),
    ],
)
def test_a_site_a_product_or_a_firm_of_surnames_is_not_personal(text, value, entity):
    start = text.index(value)
    assert not_personal(text, start, start + len(value), entity)


def test_surnames_listed_as_people_are_kept():
    text = "Present were Hale, Birch and Osei from the night shift."
    start = text.index("Birch")
    assert not not_personal(text, start, start + len("Birch"), "PERSON")


@pytest.mark.parametrize(
    "text, address",
    [
        ("Courier left it at H.No. 212, Khanna, Ludhiana.", "H.No. 212, Khanna"),
        ("Registered office: 14/207, Ghosh Para, Howrah 711101.", "14/207, Ghosh Para"),
    ],
)
def test_an_indian_house_number_and_its_locality_are_an_address(text, address):
    from govern.pii.recognizers.address import StreetAddressRecognizer

    found = [text[s:e] for s, e, _ in StreetAddressRecognizer().find(text)]
    assert address in found, found


@pytest.mark.parametrize(
    "text",
    ["Pain 6/10, Reviewed by Dr Rao.", "BP 120/80, Pulse 72.", "Invoice 12/345, Paid in full."],
)
def test_a_score_a_blood_pressure_or_a_reference_is_no_house_number(text):
    from govern.pii.recognizers.address import StreetAddressRecognizer

    assert list(StreetAddressRecognizer().find(text)) == []
