"""Red team: `consent erase` must blank every record of the subject, whatever the catalog says."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from govern.catalog.models import SnapshotRecord
from govern.consent.erasure import erase_subject
from govern.ingest.snapshots import store_of
from tests.pipeline import governed_workspace
from tests.redteam.conftest import insert_row


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
    lines = store_of(workspace).records_path(snapshot.id).read_text().split("\n")
    # the subject's own lines (other subjects' records share some sentences with theirs)
    kept = [p for p in positions if lines[p].strip()]
    assert not kept, f"the erased subject's records at {kept} are still in the snapshot"
    assert '"rec-0001"' not in "\n".join(lines), "the subject's rec-0001 is still stored"
