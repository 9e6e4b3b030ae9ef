"""Regression (issue 13): the quickstart's anonymized snapshot kept three full names
("Hello, Hana Costa here" in rec-0005 and rec-0053, "Grace Costa" in rec-0011) while the
residual scan reported none, so an approved and trained snapshot held names."""

from __future__ import annotations

import json
from pathlib import Path

from govern.pii import redact_file

TICKETS = Path(__file__).resolve().parents[2] / "examples" / "quickstart" / "tickets.jsonl"


def test_redacting_the_quickstart_tickets_leaves_none_of_their_customers_names(
    tmp_path: Path,
) -> None:
    out = tmp_path / "redacted.jsonl"
    redact_file(TICKETS, ["prompt", "completion"], out, id_field="id")
    redacted = {
        row["id"]: row for row in map(json.loads, out.read_text(encoding="utf-8").splitlines())
    }
    for record_id, name in (
        ("rec-0005", "Hana Costa"),
        ("rec-0053", "Hana Costa"),
        ("rec-0011", "Grace Costa"),
    ):
        assert name not in redacted[record_id]["prompt"], redacted[record_id]["prompt"]
    originals = [json.loads(line) for line in TICKETS.read_text(encoding="utf-8").splitlines()]
    # Every "Customer: <greeting>, <First Last>" of the raw tickets is gone after redaction.
    import re

    said = re.compile(r"(?:this is|Hello,|It's|My name is|Hi, this is) ([A-Z][a-z]+ [A-Z][\w'-]+)")
    leaked = [
        (r["id"], m)
        for r in originals
        for m in said.findall(r["prompt"])
        if m in redacted[r["id"]]["prompt"]
    ]
    assert leaked == []
