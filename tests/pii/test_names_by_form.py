"""Names recognised by the form around them: a label led by a role word, a person from a
department, a child's record, a title that is also a common surname, surname-first names with a
rare word or an institution word as the surname, lower-case names with a particle, a surname
led by a lower-case particle."""

from __future__ import annotations

import pytest

from govern.pii.recognizers.person import PersonEvidence


def _covered(scanner, text: str, value: str, entity: str = "PERSON") -> bool:
    start = text.index(value)
    return any(
        s.entity_type == entity and s.start <= start and start + len(value) <= s.end
        for s in scanner.scan_text(text)
    )


@pytest.mark.parametrize(
    "text, name",
    [
        ("The printer still jams. Engineer on call: Tobias.", "Tobias"),
        ("Could Marisol from payroll call back today?", "Marisol"),
        ("Referral letter for customer Hall, Priya.", "Hall, Priya"),
        ("Account notes for client Ramaswamy, Ishanvi.", "Ramaswamy, Ishanvi"),
        ("Summons served on Okwuosa, Chiamaka at her home.", "Okwuosa, Chiamaka"),
        ("Callback requested by maria de souza this morning.", "maria de souza"),
        ("The appeal of du Plessis was heard on Monday.", "du Plessis"),
    ],
)
def test_a_name_in_a_form_that_names_a_person_is_found(loaded_scanner, text, name):
    assert _covered(loaded_scanner, text, name), loaded_scanner.scan_text(text)


@pytest.mark.parametrize(
    "text, name",
    [
        # a child's record names the child after baby, infant or newborn
        ("Growth chart of newborn Harper updated.", "Harper"),
        # a title that is a common surname, after one given name, ends the name
        ("Ticket closed; caller Ian Provost on 555 0101.", "Ian Provost"),
        ("Please send it, attention Eamonn English.", "Eamonn English"),
    ],
)
def test_names_from_lists_and_context_alone(text, name):
    """Without spaCy (which often finds these too), so that the rules themselves are tested."""
    found = [text[a:b] for a, b, _ in PersonEvidence(text, None, True, True, False).names()]
    assert name in found, found


# These pass on the old scanner too: they bound the new rules (a label not led by a role word, a
# title before a surname, a lower-case phrase with a particle but no given name, a thing "from
# billing", an article that is also a particle).
@pytest.mark.parametrize(
    "text, words",
    [
        ("Status on ticket: Pending.", "Pending"),
        ("Thanks to Jane, Doctor Patel will see you.", "Doctor"),
        ("We watched the tour de france on Sunday.", "tour de france"),
        ("Refunds from billing are slow this week.", "Refunds"),
        ("Tickets for la Liga are on sale.", "Liga"),
    ],
)
def test_words_in_those_forms_that_name_no_one_are_left(loaded_scanner, text, words):
    assert not _covered(loaded_scanner, text, words), loaded_scanner.scan_text(text)
