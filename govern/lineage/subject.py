"""Which snapshots, runs and adapters hold a data subject: the answer to an access or erasure request.

The subject id is hashed with the workspace's key (`Workspace.hash_subject`) and looked up in the
per-record subject index (`snapshot_records.subject_hash`, indexed), so the query touches only
that subject's rows however many records the catalog holds. Runs that continued from an adapter
trained on the subject are included too: their weights start from that adapter. The raw id is
never stored, logged or returned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, func, select

from govern.catalog.models import (
    Dataset,
    RunEvent,
    Snapshot,
    SnapshotRecord,
    TrainingRun,
)
from govern.lineage.graph import completed_adapter

if TYPE_CHECKING:
    from govern.workspace import Workspace


@dataclass
class SubjectLineage:
    """Everything built from one subject's records, keyed by the subject's keyed hash."""

    subject_hash: str
    snapshots: list[dict[str, Any]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    adapters: list[dict[str, Any]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.snapshots)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject_hash": self.subject_hash,
            "snapshots": self.snapshots,
            "runs": self.runs,
            "adapters": self.adapters,
        }


def subject_snapshots(session: Session, subject_hash: str) -> dict[str, int]:
    """Snapshot id → number of the subject's records in it, from the subject index."""
    rows = session.exec(
        select(SnapshotRecord.snapshot_id, func.count())
        .where(SnapshotRecord.subject_hash == subject_hash)
        .group_by(SnapshotRecord.snapshot_id)
    ).all()
    return {snapshot_id: int(count) for snapshot_id, count in rows}


def lineage_of_subject_hash(session: Session, subject_hash: str) -> SubjectLineage:
    """The lineage of a subject already hashed with the workspace's key."""
    result = SubjectLineage(subject_hash)
    counts = subject_snapshots(session, subject_hash)
    if not counts:
        return result
    from govern.consent.erasure import ledgered_erasures

    # as the verified `subject.erased` entries record it: an erasures row planted around govern
    # erases nothing, and deleting one un-erases nothing
    erased: dict[str, int] = {}
    for snapshot_id, _position in ledgered_erasures(session, subject_hash):
        erased[snapshot_id] = erased.get(snapshot_id, 0) + 1
    snapshots = session.exec(select(Snapshot).where(col(Snapshot.id).in_(list(counts)))).all()
    names = {
        d.id: d.name
        for d in session.exec(
            select(Dataset).where(col(Dataset.id).in_({s.dataset_id for s in snapshots}))
        ).all()
    }
    for snap in sorted(snapshots, key=lambda s: s.ledger_seq):
        result.snapshots.append(
            {
                "id": snap.id,
                "dataset": names.get(snap.dataset_id, snap.dataset_id),
                "transform": snap.transform,
                "parent_id": snap.parent_id,
                "records": counts[snap.id],
                "erased": erased.get(snap.id, 0),
            }
        )
    held = set(counts)
    runs = list(session.exec(select(TrainingRun).order_by(col(TrainingRun.ledger_seq))).all())
    reached: dict[
        str, str | None
    ] = {}  # run id -> the run it continued from (None: trained on the data)
    for run in runs:
        if held & set(json.loads(run.snapshot_ids)):
            reached[run.id] = None
    changed = True
    while changed:  # runs continued from a reached run's adapter, transitively
        changed = False
        for run in runs:
            if run.id not in reached and run.init_run_id in reached:
                reached[run.id] = run.init_run_id
                changed = True
    if not reached:
        return result
    events = session.exec(
        select(RunEvent)
        .where(col(RunEvent.run_id).in_(list(reached)))
        .order_by(col(RunEvent.ledger_seq))
    ).all()
    status: dict[str, str] = {}
    adapters: dict[str, dict[str, Any]] = {}
    for event in events:
        status[event.run_id] = {"checkpoint": "running", "resumed": "running"}.get(
            event.kind, event.kind
        )
        if event.kind == "completed":
            adapters[event.run_id] = completed_adapter(event)
    for run in runs:
        if run.id not in reached:
            continue
        via = reached[run.id]
        result.runs.append(
            {
                "id": run.id,
                "recipe": run.recipe_name,
                "status": status.get(run.id, "running"),
                "snapshots": sorted(held & set(json.loads(run.snapshot_ids))),
                "continued_from": via,
            }
        )
        adapter = adapters.get(run.id)
        if adapter and adapter["hash"]:
            result.adapters.append(
                {
                    "hash": adapter["hash"],
                    "run_id": run.id,
                    "output_dir": run.output_dir,
                    "direct": via is None,
                }
            )
    return result


def subject_lineage(workspace: Workspace, subject_id: str) -> SubjectLineage:
    """Every snapshot, run and adapter whose data included `subject_id` (hashed, never stored raw)."""
    subject_hash = workspace.hash_subject(subject_id)
    with workspace.catalog.reading() as session:
        return lineage_of_subject_hash(session, subject_hash)
