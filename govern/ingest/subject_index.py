"""Who each record of a snapshot is about, read from its catalogued subject index.

The index (position → keyed subject hash) is the one `snapshot_problems` proves against the
snapshot's `subject_index_hash`; the gate reads it in the same session, after that check, to give
subject-level DP its privacy units. Subjects appear only as keyed hashes.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, func, select

from govern.catalog.models import SnapshotRecord


def record_subjects(session: Session, snapshot_id: str, erased: Iterable[int]) -> list[str]:
    """The subject hash of every unerased record of a snapshot, in position order."""
    skip = set(erased)
    table: dict[str, str] = {}  # one string object per subject, however many records it has
    rows = session.exec(
        select(SnapshotRecord.position, SnapshotRecord.subject_hash)
        .where(SnapshotRecord.snapshot_id == snapshot_id)
        .order_by(col(SnapshotRecord.position))
        .execution_options(yield_per=5000)
    )
    return [
        table.setdefault(subject, subject) for position, subject in rows if position not in skip
    ]


def subject_count(session: Session, snapshot_ids: list[str], erased: dict[str, set[int]]) -> int:
    """How many distinct subjects the unerased records of these snapshots are about."""
    if not any(erased.values()):
        return int(
            session.exec(
                select(func.count(func.distinct(SnapshotRecord.subject_hash))).where(
                    col(SnapshotRecord.snapshot_id).in_(snapshot_ids)
                )
            ).one()
        )
    return len({s for i in snapshot_ids for s in record_subjects(session, i, erased[i])})
