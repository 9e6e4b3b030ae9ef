"""Erasure of a data subject: their raw records leave every stored snapshot, the proofs stay.

A record is erased by blanking its line in the snapshot's records file; its hash stays in the
manifest, so the snapshot id, the ledger and every signature still verify, and `govern audit
verify` reports the record as erased (listed in the erasures table), not missing. The clear
text of the subject's consent evidence is deleted (the events keep a salted hash of it), and the
catalog is scrubbed, so no deleted byte lingers in SQLite's free pages or write-ahead log.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from govern import ledger, tmpfiles
from govern.atomic import fsync_dir
from govern.catalog.models import Approval, Erasure, SnapshotRecord, TrainingRun
from govern.clock import utc_now
from govern.errors import BadInput
from govern.ingest.snapshots import store_of
from govern.ledger.authority import require, verified_entries
from govern.ledger.keys import Signer

if TYPE_CHECKING:
    from govern.workspace import Workspace


@dataclass
class Impact:
    """Everything that holds or was built from a subject's records."""

    subject_hash: str
    snapshots: dict[str, list[str]] = field(default_factory=dict)  # snapshot id -> record keys
    approvals: list[str] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    evidence_erased: list[str] = field(
        default_factory=list
    )  # consent events whose evidence text was deleted
    remediations: list[str] = field(default_factory=list)  # opened for the runs, one per run
    catalog_scrubbed: bool = (
        True  # False when a reader kept SQLite's write-ahead log from being truncated
    )
    # synthetic snapshot id -> the snapshots above, holding the subject, that seeded it (issue 15)
    synthetic_snapshots: dict[str, list[str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject_hash": self.subject_hash,
            "snapshots": self.snapshots,
            "approvals": self.approvals,
            "runs": self.runs,
            "evidence_erased": self.evidence_erased,
            "synthetic_snapshots": self.synthetic_snapshots,
            "remediations": self.remediations,
        }


def impact(session: Session, subject_hash: str) -> Impact:
    """The snapshots, approvals and training runs that include a subject (from the subject index)."""
    result = Impact(subject_hash)
    rows = session.exec(
        select(SnapshotRecord.snapshot_id, SnapshotRecord.record_key)
        .where(SnapshotRecord.subject_hash == subject_hash)
        .order_by(col(SnapshotRecord.snapshot_id), col(SnapshotRecord.position))
    ).all()
    for snapshot_id, key in rows:
        result.snapshots.setdefault(snapshot_id, []).append(key)
    if result.snapshots:
        from govern.synthetic.provenance import seeded_from

        result.synthetic_snapshots = seeded_from(session, result.snapshots)
        ids = [*result.snapshots, *result.synthetic_snapshots]
        result.approvals = [
            a.id
            for a in session.exec(
                select(Approval).where(
                    col(Approval.snapshot_id).in_(ids), Approval.verdict == "approved"
                )
            )
        ]
        from govern.training.shards import runs_holding_subject

        for run in session.exec(select(TrainingRun)):
            if set(json.loads(run.snapshot_ids)) & set(ids):
                result.runs.append(run.id)
        # a shard run (train.shards) trained only on its shard's subjects
        result.runs = runs_holding_subject(session, result.runs, subject_hash)
        result.runs += continued_from(session, result.runs)
    return result


def continued_from(session: Session, run_ids: list[str]) -> list[str]:
    """Runs whose adapter was continued (init_run_id, at any depth) from one of `run_ids`: they
    carry those runs' training data. As the verified `run.started` entries record them."""
    from govern.training.spending import ledgered_runs

    runs = ledgered_runs(session)
    trained = set(run_ids)
    found = []
    for run_id, run in runs.items():
        if run_id in trained:
            continue
        seen, current = {run_id}, run.init_run_id
        while current and current not in seen:
            if current in trained:
                found.append(run_id)
                break
            seen.add(current)
            parent = runs.get(current)
            current = parent.init_run_id if parent else None
    return found


def ledgered_erasures(
    session: Session, ref: str, before: int | None = None
) -> set[tuple[str, int]]:
    """(snapshot id, position) of every record a verified `subject.erased` entry naming `ref` (a
    subject hash or a snapshot id; entries before seq `before` when given) erased; an erasures
    row written around govern erases nothing."""
    done: set[tuple[str, int]] = set()
    for entry, payload in verified_entries(session, "subject.erased", ref):
        if before is not None and entry.seq >= before:
            continue
        erased = payload.get("erased") if isinstance(payload, dict) else None
        if not isinstance(erased, dict):
            continue
        for snapshot_id, positions in erased.items():
            if isinstance(positions, list):
                done.update((str(snapshot_id), p) for p in positions if isinstance(p, int))
    return done


def _blank_lines(path: Any, positions: set[int], tmp_dir: Any) -> None:
    folder = path.parent
    # The rewrite is staged in the workspace's tmp folder, named for this process, so a killed
    # erasure leaves its copy where the start-up sweep removes it (same file system: a rename).
    tmp = tmpfiles.owned_path(tmp_dir, "erase")
    # The snapshot folder is read-only once published: open it for the rewrite, then close it.
    folder.chmod(stat.S_IRWXU)
    try:
        with open(path, "rb") as source, open(tmp, "wb") as target:
            for position, line in enumerate(source):
                target.write(b"\n" if position in positions else line)
            target.flush()
            os.fsync(target.fileno())
        os.replace(tmp, path)
        path.chmod(stat.S_IRUSR | stat.S_IRGRP)
        fsync_dir(folder)
    finally:
        tmp.unlink(missing_ok=True)
        folder.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)


def erase_subject(workspace: Workspace, actor: Signer, subject_id: str) -> Impact:
    """Erase a subject's raw records from every stored snapshot and ledger it without the raw id.

    Returns the impact (including the runs and adapters trained on the subject), so the officer
    can decide on retraining.
    """
    from govern.consent.registry import erase_evidence

    subject_hash = workspace.hash_subject(subject_id)
    with tmpfiles.terminable(), workspace.catalog.transaction() as session:
        require(session, actor, "consent.erase")
        found = impact(session, subject_hash)
        found.evidence_erased = erase_evidence(session, subject_hash)
        if not found.snapshots and not found.evidence_erased:
            raise BadInput(
                "no stored snapshot or consent evidence holds this subject (check the subject id)"
            )
        done = ledgered_erasures(session, subject_hash)
        now = utc_now()
        todo: dict[str, set[int]] = {}
        for snapshot_id, position in session.exec(
            select(SnapshotRecord.snapshot_id, SnapshotRecord.position).where(
                SnapshotRecord.subject_hash == subject_hash
            )
        ):
            if (snapshot_id, position) not in done:
                todo.setdefault(snapshot_id, set()).add(position)
        entry = ledger.append(
            session,
            actor,
            "subject.erased",
            [subject_hash, *todo],
            {
                "subject_hash": subject_hash,
                "erased": {
                    snapshot_id: sorted(positions) for snapshot_id, positions in todo.items()
                },
                "runs_trained_on_subject": found.runs,
                "evidence_erased": found.evidence_erased,
            },
        )
        from govern.consent.remediation import open_remediations

        opened = open_remediations(session, actor, subject_hash, found.runs, entry.seq)
        found.remediations = [r.id for r in opened]
        # a position whose erasures row was planted (not ledgered) is blanked and ledgered now; the
        # planted row cannot be replaced (append-only), so only positions without a row get one
        planted = set(
            session.exec(
                select(Erasure.snapshot_id, Erasure.position).where(
                    col(Erasure.snapshot_id).in_(list(todo))
                )
            ).all()
        )
        rows = [
            {
                "snapshot_id": s,
                "position": p,
                "subject_hash": subject_hash,
                "erased_at": now,
                "ledger_seq": entry.seq,
            }
            for s, positions in todo.items()
            for p in sorted(positions)
            if (s, p) not in planted
        ]
        if rows:
            session.execute(insert(Erasure), rows)
        store = store_of(workspace)
        # Files are rewritten last, inside the transaction: if one fails, nothing is committed,
        # and a blanked line without an erasure row is reported by verify.
        for snapshot_id, positions in todo.items():
            _blank_lines(store.records_path(snapshot_id), positions, workspace.tmp_dir)
        from govern.evaluation.blind_review import forget_items

        forget_items(workspace, session, set(todo))  # review pages' copies hold record text
    found.catalog_scrubbed = workspace.catalog.scrub()
    return found
