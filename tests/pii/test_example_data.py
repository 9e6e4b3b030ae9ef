"""Regression (issue 13, second round): the name recognizer reported 32 people in
examples/support_records.jsonl, which holds none ("Customer: Quick question", "Agent: Open
Settings", "Agent: Use Appointments"), so the gate refused its raw snapshot. Words that English
writes in lower case, capitalized by a speaker's label or a sentence, are not names."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SUPPORT_RECORDS = EXAMPLES / "support_records.jsonl"
TICKETS = EXAMPLES / "quickstart" / "tickets.jsonl"


def _rows(path: Path) -> list[dict]:
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]


def _person_values(scanner, path: Path, fields: list[str]) -> dict[tuple[str, str], list[str]]:
    rows = _rows(path)
    found: dict[tuple[str, str], list[str]] = {}
    for scanned in scanner.scan_records(enumerate(rows, 1), fields, id_field="id"):
        for finding in scanned.findings:
            if finding.entity_type == "PERSON":
                text = scanned.record[finding.field]
                found.setdefault((scanned.id, finding.field), []).append(
                    text[finding.start : finding.end]
                )
    return found


def test_the_support_records_hold_no_person(loaded_scanner):
    assert _person_values(loaded_scanner, SUPPORT_RECORDS, ["prompt", "completion", "text"]) == {}


def test_every_customer_name_of_the_quickstart_tickets_is_found_and_nothing_else(loaded_scanner):
    found = _person_values(loaded_scanner, TICKETS, ["prompt", "completion"])
    introduced = re.compile(r"(?:this is|Hello,|My name is) ([A-Z][a-z]+ [A-Z][\w'-]+)")
    expected = {(row["id"], "prompt"): introduced.findall(row["prompt"]) for row in _rows(TICKETS)}
    assert all(names for names in expected.values())  # every ticket introduces its customer
    assert found == expected
    for record_id, name in (
        ("rec-0005", "Hana Costa"),
        ("rec-0053", "Hana Costa"),
        ("rec-0011", "Grace Costa"),
    ):
        assert found[(record_id, "prompt")] == [name]


@pytest.mark.parametrize(
    "text",
    [
        "Customer: Quick question. Where is my order?",
        "Agent: Open Settings, choose Security, then Reset password.",
        "Agent: Use Appointments, pick the visit and choose Reschedule.",
        "Open a refund request from Billing.",
        "Customer: Second time asking. Why was I charged twice?",
        "Agent: Go to Settings, Account, Close account.",
        "Customer: Hope you can help. My card was declined.",
        "Customer: Netflix charged me twice.",
        "Agent: Quick Start is under Help.",
    ],
)
def test_words_capitalized_by_a_speaker_label_or_a_sentence_are_not_names(loaded_scanner, text):
    found = [(text[s.start : s.end], s.entity_type) for s in loaded_scanner.scan_text(text)]
    assert found == []


@pytest.mark.parametrize(
    "text, name",
    [
        ("Caller: Jane Doe.\nAgent: Thanks.", "Jane Doe"),  # a label with a value alone
        ("Customer: Chidinma Okonkwo\nPhone: 555 0134", "Chidinma Okonkwo"),
        ("Customer: Adebayo Okafor wants a refund.", "Adebayo Okafor"),  # a label, a verb after
        ("Agent: Priya Sharma here, how can I help?", "Priya Sharma"),
        ("Dear Hope,\nYour parcel is late.", "Hope"),  # an ordinary word after a greeting
        ("Hi Joy, thanks for waiting.", "Joy"),
        ("Mr Quick called about the boiler.", "Quick"),  # after a title
        ("Kind regards,\nFaith\nSupport", "Faith"),  # a signature
    ],
)
def test_names_after_labels_greetings_titles_and_sign_offs_are_still_found(
    loaded_scanner, text, name
):
    assert name in [
        text[s.start : s.end] for s in loaded_scanner.scan_text(text) if s.entity_type == "PERSON"
    ]
