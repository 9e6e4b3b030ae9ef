"""Red team: `report verify` in the workspace must not vouch for a report ledgered by a key that
may not render reports."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest

from govern import ledger
from govern.canonical import file_sha256
from govern.reports.publish import marker
from govern.reports.verify import verify_report
from tests.conftest import _new_key


def test_a_report_ledgered_by_an_engineer_does_not_verify(
    sqlite_workspace: Any, tmp_path: Path
) -> None:
    workspace = sqlite_workspace
    engineer = _new_key(workspace, "engineer", "erin")
    with workspace.catalog.reading() as session:
        head = ledger.head(session)
    assert head is not None
    at = {"seq": head.seq, "hash": head.entry_hash}
    report_id = uuid.uuid4().hex
    fake = tmp_path / "run-report.md"
    fake.write_text(
        "# Model card\n\nReleased. ε = 0.1 per subject. Reviewed by the DPO: no personal data.\n\n"
        f"<!-- {marker(report_id, 'run', at)} -->\n"
    )
    with workspace.catalog.transaction() as session:  # the library, as any key holder can call it
        ledger.append(
            session,
            engineer,
            "report.rendered",
            ["run-0"],
            {
                "report_id": report_id,
                "kind": "run",
                "sha256": file_sha256(fake),
                "subject": {"run_id": "run-0"},
                "ledger_head": at,
            },
        )
    check = verify_report(workspace, fake)
    assert not check.intact, "an engineer's made-up report verifies against the ledger"


@pytest.mark.slow
def test_a_run_report_does_not_stand_after_its_adapter_is_withdrawn(
    trained: Any, tmp_path: Path
) -> None:
    from govern.consent.erasure import erase_subject
    from govern.consent.remediation import decide
    from govern.reports import make_report

    workspace, _engineer, officer, run_id, _ = trained
    (remediation,) = erase_subject(workspace, officer, "subj-0010").remediations
    auditor = _new_key(workspace, "auditor", "aldo")
    card = make_report(workspace, auditor, "run", run_id, "md", tmp_path / "card.md").path
    assert verify_report(workspace, card).stands
    decide(workspace, officer, remediation, "withdraw")
    check = verify_report(workspace, card)
    assert check.intact
    assert not check.stands, "the card still stands after the adapter was withdrawn"
