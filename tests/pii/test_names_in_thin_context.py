"""Names with little around them: one word after a person-taking word, initials, Last, First with
unknown names, a second mention, lower case in a field; and what these rules must not take."""

from __future__ import annotations

import pytest

from govern.pii.recognizers.address import StreetAddressRecognizer


def _covered(scanner, text: str, value: str, entity: str = "PERSON") -> bool:
    start = text.index(value)
    return any(
        s.entity_type == entity and s.start <= start and start + len(value) <= s.end
        for s in scanner.scan_text(text)
    )


@pytest.mark.parametrize(
    "text, name",
    [
        ("The court papers for Todd arrive next week.", "Todd"),
        ("Quarterly appraisal of Moore slipped again.", "Moore"),
        ("The shift rota lists F. Whitaker for Sunday.", "F. Whitaker"),
        ("Lab report for Okonjo, Esther was filed.", "Okonjo, Esther"),
        ("Client on record: Villanueva, Rosendo.", "Villanueva, Rosendo"),
        ("Transferred from Hoa Tran to the day team, since Hoa asked.", "Hoa"),
        ("Intake form: marisol quintero, walk-in.", "marisol quintero"),
    ],
)
def test_a_name_with_thin_context_is_found(loaded_scanner, text, name):
    assert _covered(loaded_scanner, text, name), loaded_scanner.scan_text(text)


@pytest.mark.parametrize(
    "text, word",
    [
        ("Quotes came from Mendez, Rocha and Lopez, the accountants.", "Lopez"),
        ("A loan from Bank of Ireland closed on Monday.", "Ireland"),
        ("Prescription for Panadol 500 mg issued today.", "Panadol"),
        ("Annual leave carry-over is capped at ten days.", "leave carry-over"),
    ],
)
def test_firm_names_institutions_drugs_and_ordinary_words_are_not_taken_for_people(
    loaded_scanner, text, word
):
    assert not _covered(loaded_scanner, text, word), loaded_scanner.scan_text(text)


@pytest.mark.parametrize(
    "text, code",
    [
        ("Verified with date of birth and postcode 2417.", "2417"),
        ("ZIP: 85166 on the form.", "85166"),
        ("Deliver to the depot at SW1A 1AA please.", "SW1A 1AA"),
    ],
)
def test_a_postcode_named_by_its_label_or_in_the_uk_shape_is_a_location(text, code):
    spans = [(s, e) for s, e, _ in StreetAddressRecognizer().find(text)]
    start = text.index(code)
    assert (start, start + len(code)) in spans, spans
