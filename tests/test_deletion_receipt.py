"""Deletion receipts: signed for the subject, holding no personal data beyond their id, verifiable
offline with the signer's public key; an altered or foreign receipt fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from govern.cli import cli
from govern.consent.erasure import erase_subject
from govern.consent.receipt import issue_receipt, verify_receipt
from govern.errors import BadInput, Refused
from govern.ledger.verify import verify_workspace
from tests.conftest import _new_key
from tests.test_erasure import EMAIL, NAME, PHONE, SUBJECT, _people


def _verify(receipt: Path, pem: Path) -> Any:
    return CliRunner().invoke(
        cli, ["consent", "receipt", "verify", str(receipt), "--public-key", str(pem), "--json"]
    )


def test_a_receipt_states_the_erasure_and_verifies_offline_with_the_signers_key(
    fresh_workspace: Any, tmp_path: Path
) -> None:
    engineer, officer, snapshot = _people(fresh_workspace, tmp_path)
    erase_subject(fresh_workspace, officer, SUBJECT)
    receipt, pem = tmp_path / "receipt.json", tmp_path / "officer.pem"
    result = CliRunner().invoke(
        cli,
        [
            "consent",
            "receipt",
            SUBJECT,
            "--out",
            str(receipt),
            "--public-key-out",
            str(pem),
            "--workspace",
            str(fresh_workspace.root),
            "--key",
            str(officer.path),
        ],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(receipt.read_text())["receipt"]
    assert body["subject_id"] == SUBJECT and body["requested_at"]
    assert body["snapshots_blanked"] == [{"snapshot_id": snapshot.id, "records_blanked": 2}]
    assert body["runs_affected"] == []
    text = receipt.read_text()
    assert not any(secret in text for secret in (NAME, EMAIL, PHONE, "signup-form"))

    checked = _verify(receipt, pem)
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.output)["ok"] is True

    altered = tmp_path / "altered.json"
    document = json.loads(receipt.read_text())
    document["receipt"]["snapshots_blanked"] = []
    altered.write_text(json.dumps(document))
    failed = _verify(altered, pem)
    assert failed.exit_code == 3 and "does not verify" in failed.output

    from govern.consent.receipt import public_key_pem

    other = tmp_path / "other.pem"
    other.write_bytes(public_key_pem(engineer.public_key_hex))
    assert "not by the key given" in " ".join(verify_receipt(receipt, other.read_bytes()).problems)
    assert verify_workspace(fresh_workspace).ok


def test_only_officers_issue_receipts_and_only_for_an_erased_subject(
    fresh_workspace: Any, tmp_path: Path
) -> None:
    engineer, officer, _ = _people(fresh_workspace, tmp_path)
    with pytest.raises(BadInput, match="no erasure of this subject"):
        issue_receipt(fresh_workspace, officer, SUBJECT, tmp_path / "r.json")
    erase_subject(fresh_workspace, officer, SUBJECT)
    with pytest.raises(Refused, match="needs the role officer"):
        issue_receipt(fresh_workspace, engineer, SUBJECT, tmp_path / "r.json")
    auditor = _new_key(fresh_workspace, "auditor", "ada")
    with pytest.raises(Refused):
        issue_receipt(fresh_workspace, auditor, SUBJECT, tmp_path / "r.json")
    assert not (tmp_path / "r.json").exists()
