"""Red team: `consent erase` must blank every record of the subject, whatever the catalog says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from govern.catalog.models import SnapshotRecord
from govern.consent.erasure import erase_subject
from govern.ingest.snapshots import store_of
from tests.pipeline import governed_workspace
from tests.redteam.conftest import insert_row


@pytest.mark.xfail(
    strict=True,
    reason="erase_subject skips positions that any erasures row names (`done`), ledger-vouched "
    "or not: erasures rows INSERTed beforehand leave the subject's records unblanked while "
    "subject.erased is ledgered (consent/erasure.py erase_subject; policy/decisions.py "
    "erased_positions has the same trust)",
)
def test_planted_erasure_rows_do_not_keep_the_subjects_records(
    tmp_path: Path, tiny_model: Path
) -> None:
    workspace, _engineer, officer, snapshot = governed_workspace(tmp_path, tiny_model)
    subject_hash = workspace.hash_subject("subj-0010")
    with workspace.catalog.reading() as session:
        positions = session.exec(
            select(SnapshotRecord.position).where(
                SnapshotRecord.snapshot_id == snapshot.id,
                SnapshotRecord.subject_hash == subject_hash,
            )
        ).all()
    assert positions
    for position in positions:
        insert_row(
            workspace,
            "erasures",
            {
                "snapshot_id": snapshot.id,
                "position": position,
                "subject_hash": subject_hash,
                "erased_at": "2026-01-01T00:00:00Z",
                "ledger_seq": 1,
            },
        )
    erase_subject(workspace, officer, "subj-0010")
    records: Any = store_of(workspace).records_path(snapshot.id).read_text()
    assert "This is urgent. How do I reset my password?" not in records, (
        "the erased subject's record is still in the snapshot"
    )
