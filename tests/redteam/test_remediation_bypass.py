"""Red team: erasure remediations. A row written around govern must not stop an erasure from
blocking the release of a run trained on the erased subject."""

from __future__ import annotations

from typing import Any

import pytest

from govern.consent.erasure import erase_subject
from govern.evaluation.release import check_release
from govern.training.runs import get_run
from tests.redteam.conftest import insert_row

pytestmark = pytest.mark.slow


def _remediation_rule(workspace: Any, run_id: str) -> Any:
    with workspace.catalog.reading() as session:
        rules = check_release(workspace, session, get_run(session, run_id))
    return next(r for r in rules if r.rule == "release.remediation")


def test_a_planted_remediation_row_does_not_stop_the_erasure_blocking_release(
    trained: Any,
) -> None:
    workspace, _engineer, officer, run_id, _ = trained
    subject_hash = workspace.hash_subject("subj-0010")  # also in snapshot_records.subject_hash
    insert_row(
        workspace,
        "remediations",
        {
            "id": "f" * 32,
            "run_id": run_id,
            "subject_hash": subject_hash,
            "erasure_seq": 0,
            "opened_at": "2026-01-01T00:00:00Z",
            "ledger_seq": 0,
        },
    )
    found = erase_subject(workspace, officer, "subj-0010")
    assert found.runs == [run_id]
    rule = _remediation_rule(workspace, run_id)
    assert not rule.passed, "a run trained on an erased subject is releasable"


def test_a_deleted_remediation_row_does_not_unblock_release(trained: Any) -> None:
    workspace, _engineer, officer, run_id, _ = trained
    erase_subject(workspace, officer, "subj-0010")
    assert not _remediation_rule(workspace, run_id).passed
    with workspace.catalog.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER remediations_no_delete")
        connection.exec_driver_sql("DELETE FROM remediations")
    assert not _remediation_rule(workspace, run_id).passed, "release unblocked by a DELETE"


def test_an_erasure_reaches_adapters_continued_from_a_run_trained_on_the_subject(
    trained: Any, tmp_path: Any
) -> None:
    import json
    from pathlib import Path

    from govern.ingest.datasets import DatasetSpec, add_dataset
    from govern.pii.scans import scan_snapshot
    from govern.policy.approvals import approve
    from govern.training.runs import start_run
    from tests.pipeline import EXAMPLES

    workspace, engineer, officer, first, _ = trained
    others = tmp_path / "others.jsonl"
    others.write_text(
        "".join(
            line + "\n"
            for line in EXAMPLES.read_text().splitlines()
            if json.loads(line)["subject_id"] != "subj-0010"
        )
    )
    spec = DatasetSpec(
        name="support-more",
        source="example helpdesk export, second batch",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject_id",
        text_fields=("prompt", "completion"),
        id_field="id",
    )
    second_snapshot = add_dataset(workspace, engineer, spec, others).snapshot
    scan_snapshot(workspace, engineer, second_snapshot.id, processes=1)
    approve(workspace, officer, second_snapshot.id)
    second = start_run(
        workspace, engineer, Path("train/gate.toml"), [second_snapshot.id], init_run_id=first
    )["run_id"]
    found = erase_subject(workspace, officer, "subj-0010")
    assert first in found.runs
    assert second in found.runs, "the continued adapter, built on the subject's data, is missed"
    assert not _remediation_rule(workspace, second).passed
