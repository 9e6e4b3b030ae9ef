"""Red team: the erasures table is an index. A row planted around govern erases nothing, and a
row deleted around govern un-erases nothing, in the seed facts of synthetic data, the stored
snapshot's check (gate and `audit verify`) and a subject's lineage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlmodel import select

from govern.catalog.models import Snapshot, SnapshotRecord
from govern.clock import now
from govern.consent.erasure import erase_subject
from govern.ingest.snapshots import snapshot_problems
from govern.lineage.subject import lineage_of_subject_hash
from govern.policy.activation import active_pack_in
from govern.synthetic.facts import seed_facts
from tests.pipeline import governed_workspace
from tests.redteam.conftest import insert_row

SUBJECT = "subj-0010"


def _what_erasure_shows(workspace: Any, snapshot_id: str, subject_hash: str) -> dict[str, Any]:
    """What each reader of erasures reports about the snapshot and the subject."""
    with workspace.catalog.reading() as session:
        snapshot = session.get(Snapshot, snapshot_id)
        assert snapshot is not None
        pack = active_pack_in(workspace, session)
        lineage = lineage_of_subject_hash(session, subject_hash)
        return {
            "seed_unusable": set(
                seed_facts(workspace, session, snapshot_id, pack, now()).record_ids
            ),
            "snapshot_problems": snapshot_problems(workspace, session, snapshot),
            "lineage_erased": {s["id"]: s["erased"] for s in lineage.snapshots},
        }


def _subject_rows(workspace: Any, snapshot_id: str, subject_hash: str) -> list[tuple[int, str]]:
    with workspace.catalog.reading() as session:
        return list(
            session.exec(
                select(SnapshotRecord.position, SnapshotRecord.record_key).where(
                    SnapshotRecord.snapshot_id == snapshot_id,
                    SnapshotRecord.subject_hash == subject_hash,
                )
            ).all()
        )


def test_a_planted_erasure_row_changes_nothing(tmp_path: Path, tiny_model: Path) -> None:
    workspace, _engineer, _officer, snapshot = governed_workspace(tmp_path, tiny_model)
    subject_hash = workspace.hash_subject(SUBJECT)
    rows = _subject_rows(workspace, snapshot.id, subject_hash)
    assert rows
    before = _what_erasure_shows(workspace, snapshot.id, subject_hash)
    assert before["snapshot_problems"] == [] and before["lineage_erased"] == {snapshot.id: 0}
    for position, _key in rows:
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
    after = _what_erasure_shows(workspace, snapshot.id, subject_hash)
    assert after == before, "a planted erasures row changed what govern reports"


def test_a_deleted_erasure_row_does_not_un_erase(tmp_path: Path, tiny_model: Path) -> None:
    workspace, _engineer, officer, snapshot = governed_workspace(tmp_path, tiny_model)
    subject_hash = workspace.hash_subject(SUBJECT)
    keys = {key for _position, key in _subject_rows(workspace, snapshot.id, subject_hash)}
    erase_subject(workspace, officer, SUBJECT)
    erased = _what_erasure_shows(workspace, snapshot.id, subject_hash)
    assert keys <= erased["seed_unusable"]
    assert erased["snapshot_problems"] == []
    assert erased["lineage_erased"] == {snapshot.id: len(keys)}
    with workspace.catalog.engine.begin() as connection:
        connection.exec_driver_sql("DROP TRIGGER erasures_no_delete")
        connection.exec_driver_sql("DELETE FROM erasures")
    after = _what_erasure_shows(workspace, snapshot.id, subject_hash)
    assert after == erased, "deleting erasures rows un-erased the subject"
