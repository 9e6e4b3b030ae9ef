"""Red team: deletion receipts. README: "an altered receipt or another key exits 3"."""

from __future__ import annotations

import json
from pathlib import Path

from govern.canonical import canonical_bytes
from govern.consent.receipt import RECEIPT_TYPE, public_key_pem, verify_receipt
from govern.ledger.keys import generate_identity

STATEMENT = {
    "type": RECEIPT_TYPE,
    "subject_id": "cust-1042",
    "requested_at": "2026-12-01T10:00:00Z",
    "erasures": [{"ledger_seq": 40, "recorded_at": "2026-12-01T10:00:00Z"}],
    "snapshots_blanked": [{"snapshot_id": "a" * 64, "records_blanked": 3}],
    "runs_affected": [
        {
            "run_id": "run-1",
            "remediation_id": "r" * 32,
            "decision": "open",
            "decided_at": None,
            "justification": None,
            "retrained_as": None,
        }
    ],
    "issued_at": "2026-12-02T10:00:00Z",
    "ledger_head": {"seq": 41, "hash": "b" * 64},
}


def _issued(tmp_path: Path) -> tuple[Path, bytes]:
    """A receipt exactly as issue_receipt writes it (same document, same signature)."""
    officer = generate_identity()
    document = {
        "receipt": STATEMENT,
        "signer_key_id": officer.key_id,
        "signer_public_key": officer.public_key_hex,
        "signature": officer.sign(canonical_bytes(STATEMENT)),
    }
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    assert verify_receipt(path, public_key_pem(officer.public_key_hex)).ok
    return path, public_key_pem(officer.public_key_hex)


def test_a_receipt_with_a_planted_duplicate_key_does_not_verify(tmp_path: Path) -> None:
    path, key = _issued(tmp_path)
    text = path.read_text()
    edited = text.replace('"decision": "open"', '"decision": "withdraw", "decision": "open"', 1)
    assert edited != text
    path.write_text(edited)
    assert not verify_receipt(path, key).ok


def test_a_receipt_with_an_added_unsigned_statement_does_not_verify(tmp_path: Path) -> None:
    path, key = _issued(tmp_path)
    document = json.loads(path.read_text())
    document["runs_affected"] = [{"run_id": "run-1", "decision": "retrain"}]
    document["note"] = "Every model trained on your data was retrained without it."
    path.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    assert not verify_receipt(path, key).ok
