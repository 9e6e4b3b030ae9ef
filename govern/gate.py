"""The one door: training reads snapshot bytes only through the gate's handle.

Before any data is read (and again on resume), `Gate.admit` checks from scratch, for every
snapshot: its stored bytes hash to its id; valid, unrevoked approvals signed by officer keys
cover it under the current policy pack and today's facts (consent included); the key running
the job holds the engineer role and did not approve it; the planned ε fits the pack's per-run
limit and the dataset's remaining lifetime budget. Every failed check is listed, and the
refusal is ledgered. At the moment of reading, `GatedData.read` re-hashes every record against
the approved manifest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlmodel import Session, col, func, select

from govern import ledger
from govern.approvals import is_approved_for_training
from govern.canonical import sha256_hex
from govern.catalog.models import PrivacyCharge, RunEvent, Snapshot, SnapshotRecord, TrainingRun
from govern.decisions import active_pack, erased_positions
from govern.errors import BadInput, IntegrityFailure, Refused
from govern.identities import role_of
from govern.keys import PrivateIdentity
from govern.policy import TrainingPlan
from govern.snapshots import resolve_snapshot, snapshot_digest_start, snapshot_problems, store_of

TRAINING_ROLE = "engineer"


_RUNNING = {None, "resumed", "checkpoint"}


def _history_of(session: Session, run: TrainingRun) -> list[tuple[float, float, int]]:
    """A run's charged steps; a run still running reserves its whole plan until it stops."""
    charges = session.exec(select(PrivacyCharge).where(PrivacyCharge.run_id == run.id).order_by(PrivacyCharge.charge)).all()
    history = [(c.noise_multiplier, c.sample_rate, 1) for c in charges]
    last = session.exec(select(RunEvent.kind).where(RunEvent.run_id == run.id).order_by(col(RunEvent.ledger_seq).desc())).first()
    if run.dp_enabled and last in _RUNNING and len(history) < run.planned_steps and run.noise_multiplier is not None:
        history.append((run.noise_multiplier, run.sample_rate, run.planned_steps - len(history)))
    return history


def run_histories(session: Session, dataset_ids: set[str], exclude_run: str | None = None) -> list[list[tuple[float, float, int]]]:
    """The accountant history of every run that used any snapshot of these datasets.

    Charged steps count whether the run finished or crashed; a run still running also reserves
    the rest of its plan, so two runs admitted side by side cannot overspend a budget together.
    """
    runs = [
        run for run in session.exec(select(TrainingRun))
        if run.id != exclude_run and set(json.loads(run.dataset_ids)) & dataset_ids
    ]
    return [history for history in (_history_of(session, run) for run in runs) if history]


def resumed_history(session: Session, run: TrainingRun) -> list[tuple[float, float, int]]:
    """What a resumed run will have spent: every step charged so far, plus the steps after its
    last checkpoint, which run (and are charged) again."""
    charges = session.exec(select(PrivacyCharge).where(PrivacyCharge.run_id == run.id).order_by(PrivacyCharge.charge)).all()
    checkpoint = session.exec(select(RunEvent.step).where(RunEvent.run_id == run.id, RunEvent.kind == "checkpoint")
                              .order_by(col(RunEvent.ledger_seq).desc())).first() or 0
    history = [(c.noise_multiplier, c.sample_rate, 1) for c in charges]
    if run.noise_multiplier is not None and run.planned_steps > checkpoint:
        history.append((run.noise_multiplier, run.sample_rate, run.planned_steps - checkpoint))
    return history


def dataset_epsilon_spent(session: Session, dataset_id: str, delta: float, accountant: str, exclude_run: str | None = None) -> float:
    """ε already spent (or reserved by running runs) on a dataset: every run on any of its snapshots, composed."""
    from govern.training.accounting import compose_epsilon

    histories = run_histories(session, {dataset_id}, exclude_run)
    return compose_epsilon(histories, delta, accountant) if histories else 0.0


@dataclass
class GatedData:
    """The gate's handle: the only object that reads approved snapshot bytes for training."""

    workspace: Any
    snapshot_ids: Sequence[str]
    manifests: dict[str, list[str]] = field(repr=False, default_factory=dict)
    erased: dict[str, set[int]] = field(repr=False, default_factory=dict)

    def read(self) -> Iterator[Mapping[str, Any]]:
        """Yield the approved records, re-hashing each against the manifest approved by the gate."""
        store = store_of(self.workspace)
        for snapshot_id in self.snapshot_ids:
            expected = self.manifests[snapshot_id]
            position = -1
            with open(store.records_path(snapshot_id), "rb") as handle:
                for position, line in enumerate(handle):
                    if position in self.erased[snapshot_id]:
                        continue
                    data = line.rstrip(b"\n")
                    if position >= len(expected) or sha256_hex(data) != expected[position]:
                        raise IntegrityFailure(
                            f"snapshot {snapshot_id[:12]}: record {position} changed after the gate admitted it; "
                            "training stopped before using it (run `govern audit verify`)"
                        )
                    yield json.loads(data)
            if position + 1 != len(expected):
                raise IntegrityFailure(
                    f"snapshot {snapshot_id[:12]}: its records file was cut short after the gate admitted it "
                    f"({position + 1} of {len(expected)} records); training stopped (run `govern audit verify`)"
                )

    def count(self) -> int:
        return sum(len(m) - len(self.erased[s]) for s, m in self.manifests.items())


@dataclass
class Admission:
    """What the gate admitted: the handle, the plan it checked, and the datasets concerned."""

    data: GatedData
    plan: Any
    dataset_ids: list[str]
    checks: list[str]


class Gate:
    """Admits a training job to approved snapshots, or refuses it with every reason and a ledger entry."""

    def __init__(self, workspace: Any) -> None:
        self.workspace = workspace

    def admit(self, actor: PrivateIdentity, snapshot_refs: Sequence[str], recipe: Any, resuming_run: str | None = None) -> Admission:
        from govern.training.plan import plan_run

        if not snapshot_refs:
            raise Refused("no --snapshot given; the gate admits only named, approved snapshots")
        pack = active_pack(self.workspace)
        now = datetime.now(timezone.utc)
        reasons: list[str] = []
        checks: list[str] = []
        with self.workspace.catalog.reading() as session:
            snapshots: list[Snapshot] = []
            for ref in snapshot_refs:
                snapshot = resolve_snapshot(session, ref)
                if any(s.id == snapshot.id for s in snapshots):
                    raise BadInput(f"snapshot {snapshot.id[:12]} is named twice; each record may be one training example once")
                snapshots.append(snapshot)
            shared = _shared_record(session, [s.id for s in snapshots])
            if shared:
                reasons.append(f"snapshots {shared} hold the same records; train on one of them, or the privacy "
                               "unit (one record) would count twice")
            identity = role_of(session, actor)
            if identity.role != TRAINING_ROLE:
                reasons.append(f"key {identity.key_id} ({identity.name}) has role {identity.role!r}; training needs an engineer key")
            for snapshot in snapshots:
                found = snapshot_problems(self.workspace, session, snapshot)
                reasons += [f"{p}; the stored bytes no longer match what was approved" for p in found]
            checks.append("stored bytes hash to the snapshot ids")
            erased = {s.id: erased_positions(session, s.id) for s in snapshots}
            total = sum(s.record_count - len(erased[s.id]) for s in snapshots)
            plan = plan_run(recipe, total)
            dataset_ids = sorted({s.dataset_id for s in snapshots})
            planned_epsilon = plan.planned_epsilon
            if plan.private and resuming_run is not None:
                from govern.training.accounting import epsilon_of_history

                run = session.get(TrainingRun, resuming_run)
                assert run is not None
                planned_epsilon = epsilon_of_history(resumed_history(session, run), plan.delta, plan.accountant)
            for snapshot in snapshots:
                spent = 0.0
                if plan.private:
                    spent = dataset_epsilon_spent(session, snapshot.dataset_id, plan.delta, plan.accountant, resuming_run)
                training = TrainingPlan(
                    trainer_key_id=actor.key_id, dp_enabled=plan.private,
                    epsilon=planned_epsilon if plan.private else None,
                    delta=plan.delta if plan.private else None, dataset_epsilon_spent=spent,
                )
                check = is_approved_for_training(self.workspace, session, snapshot, training, pack, now)
                reasons += [f"snapshot {snapshot.id[:12]}: {reason}" for reason in check.reasons]
            checks += ["approvals verified from scratch under the current pack", "consent active for every record",
                       "separation of duties", "DP plan within the pack's limits and the lifetime budget"]
            manifests = {}
            if not reasons:
                store = store_of(self.workspace)
                for snapshot in snapshots:
                    # The manifest the reader checks records against is the one proven here to
                    # hash to the approved id, not a second read of the file.
                    hashes = store.manifest_path(snapshot.id).read_text().split()
                    digest = snapshot_digest_start(snapshot.dataset_id)
                    for record_hash in hashes:
                        digest.update(bytes.fromhex(record_hash))
                    if digest.hexdigest() != snapshot.id:
                        raise IntegrityFailure(f"snapshot {snapshot.id[:12]}: its manifest changed while the gate checked it")
                    manifests[snapshot.id] = hashes
        if reasons:
            self._record(actor, "gate.refused", [s.id for s in snapshots], {
                "reasons": reasons, "recipe_hash": recipe.hash, "pack_hash": pack.hash, "resuming_run": resuming_run,
            })
            raise Refused("the training gate refused this run", reasons)
        data = GatedData(self.workspace, [s.id for s in snapshots], manifests, erased)
        return Admission(data=data, plan=plan, dataset_ids=dataset_ids, checks=checks)

    def _record(self, actor: PrivateIdentity, event: str, refs: list[str], payload: dict[str, Any]) -> None:
        with self.workspace.catalog.transaction() as session:
            ledger.append(session, actor, event, refs, payload)



def _shared_record(session: Session, snapshot_ids: list[str]) -> str | None:
    """Two of the snapshots that hold a record in common (e.g. two versions of a dataset), if any."""
    if len(snapshot_ids) < 2:
        return None
    row = session.exec(
        select(SnapshotRecord.record_hash).where(col(SnapshotRecord.snapshot_id).in_(snapshot_ids))
        .group_by(SnapshotRecord.record_hash).having(func.count(func.distinct(SnapshotRecord.snapshot_id)) > 1).limit(1)
    ).first()
    if row is None:
        return None
    holders = session.exec(select(SnapshotRecord.snapshot_id).where(
        SnapshotRecord.record_hash == row, col(SnapshotRecord.snapshot_id).in_(snapshot_ids)).distinct()).all()
    return " and ".join(h[:12] for h in sorted(holders)[:2])
