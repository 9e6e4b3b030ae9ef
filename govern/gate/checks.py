"""The gate's checks: the core every door runs, the training floors, budget and held-out data."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, func, select

from govern.catalog.models import Dataset, Snapshot, SnapshotRecord
from govern.ingest.snapshots import (
    ancestors,
    snapshot_problems,
)
from govern.ledger.authority import RegisteredIdentity
from govern.policy import Pack, TrainingPlan
from govern.policy.approvals import is_approved_for_training
from govern.policy.decisions import erased_positions, involved_people, latest_scan, lineage_problems
from govern.training import spending

if TYPE_CHECKING:
    from govern.workspace import Workspace


def recipe_fields(recipe: Any) -> list[str]:
    """The record fields a recipe trains on."""
    data = recipe["data"]
    kind = data["format"]
    if kind == "text":
        return [data["text_field"]]
    if kind == "prompt_completion":
        return [data["prompt_field"], data["completion_field"]]
    return [data[f"{kind}_field"]] if f"{kind}_field" in data else []


@dataclass
class _Review:
    """One admission being reviewed: its context, and every check made and reason found."""

    workspace: Workspace
    session: Session
    pack: Pack
    now: datetime
    actor: RegisteredIdentity
    snapshots: list[Snapshot]
    reasons: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def check(self, label: str, problems: list[str]) -> None:
        self.checks.append(label)
        self.reasons += problems

    @property
    def ids(self) -> list[str]:
        return [s.id for s in self.snapshots]


# -- the small checks every door runs --------------------------------------------------------------


def _shared_records(session: Session, snapshot_ids: list[str]) -> list[str]:
    if len(snapshot_ids) < 2:
        return []
    row = session.exec(
        select(SnapshotRecord.record_hash)
        .where(col(SnapshotRecord.snapshot_id).in_(snapshot_ids))
        .group_by(SnapshotRecord.record_hash)
        .having(func.count(func.distinct(SnapshotRecord.snapshot_id)) > 1)
        .limit(1)
    ).first()
    if row is None:
        return []
    holders = session.exec(
        select(SnapshotRecord.snapshot_id)
        .where(SnapshotRecord.record_hash == row, col(SnapshotRecord.snapshot_id).in_(snapshot_ids))
        .distinct()
    ).all()
    return [
        f"snapshots {' and '.join(h[:12] for h in sorted(holders)[:2])} hold the same records; train on one of "
        "them, or the privacy unit (one record) would count twice"
    ]


def _lineage(review: _Review) -> list[str]:
    return [problem for s in review.snapshots for problem in lineage_problems(review.session, s)]


def _stored_bytes(review: _Review, snapshots: list[Snapshot]) -> list[str]:
    return [
        f"{p}; the stored bytes no longer match what was approved"
        for s in snapshots
        for p in snapshot_problems(review.workspace, review.session, s)
    ]


def _scan_configuration(review: _Review, snapshots: list[Snapshot]) -> list[str]:
    from govern.pii.scans import scanner_config

    expected = scanner_config(review.workspace).config_hash()
    problems = []
    for snapshot in snapshots:
        scan = latest_scan(review.session, snapshot.id)
        if scan is None:
            problems.append(
                f"snapshot {snapshot.id[:12]}: no ledgered PII scan; run `govern scan {snapshot.id[:12]}`"
            )
        elif scan.config_hash != expected:
            problems.append(
                f"snapshot {snapshot.id[:12]}: its scan {scan.id[:12]} used scanner configuration {scan.config_hash[:12]}, "
                f"not the workspace's {expected[:12]} ([pii] in govern.toml changed?); scan it again"
            )
    return problems


def _approvals(
    review: _Review, snapshots: list[Snapshot], training: TrainingPlan | None
) -> list[str]:
    reasons = []
    for snapshot in snapshots:
        check = is_approved_for_training(
            review.workspace, review.session, snapshot, review.pack, training, review.now
        )
        reasons += [f"snapshot {snapshot.id[:12]}: {reason}" for reason in check.reasons]
    return reasons


# -- the floors no pack lowers ---------------------------------------------------------------------


def _approval_floor(
    review: _Review, snapshots: list[Snapshot], trainer: RegisteredIdentity | None
) -> list[str]:
    """At least one verified approval, under the active pack, by an officer uninvolved as a person."""
    from govern.policy.approvals import verified_approvals

    problems = []
    for snapshot in snapshots:
        involved = set(involved_people(review.session, snapshot)) | (
            {trainer.person} if trainer else set()
        )
        approvals, _ = verified_approvals(review.session, snapshot.id, review.pack)
        independent = [a for a in approvals if "officer" in a.roles and a.person not in involved]
        if not independent:
            problems.append(
                f"snapshot {snapshot.id[:12]}: no approval by an officer who neither registered, derived nor trains "
                "this data (a floor no pack lowers); have such an officer run `govern approve`"
            )
    return problems


def _dp_floor(review: _Review, plan: Any) -> tuple[list[str], str | None]:
    """DP, unless the active pack waives it with a reason (the run is then labelled NOT PRIVATE)."""
    if plan.private:
        return [], None
    family = review.pack.family("dp")
    waiver = getattr(family, "waiver", None)
    if not waiver:
        return [
            f"the recipe trains without differential privacy, and the active pack {review.pack.name} does not "
            "waive it; enable [dp] in the recipe (DP is a floor no pack lowers silently)"
        ], None
    return [], str(waiver)


def _field_floor(review: _Review, snapshots: list[Snapshot], recipe: Any) -> list[str]:
    """The recipe trains only on the text fields the dataset declared, which are the fields scanned."""
    wanted = recipe_fields(recipe)
    problems = []
    for snapshot in snapshots:
        dataset = review.session.get(Dataset, snapshot.dataset_id)
        declared = set(json.loads(dataset.text_fields)) if dataset else set()
        undeclared = [name for name in wanted if name not in declared]
        if undeclared or not wanted:
            problems.append(
                f"snapshot {snapshot.id[:12]}: the recipe trains on {', '.join(undeclared) or 'no field'}, which the "
                f"dataset did not declare as text fields ({', '.join(sorted(declared))}); only declared fields are "
                "scanned, so only they may be trained on"
            )
    return problems


# -- training only ---------------------------------------------------------------------------------


def _earlier_stages(review: _Review, stages: list[spending.LedgeredRun]) -> list[str]:
    """A continued adapter carries every earlier stage's data: each must still pass, with nothing erased."""
    problems = []
    for stage in stages:
        state, _ = spending.state(review.session, stage.run_id)
        if state != "completed":
            problems.append(
                f"earlier stage {stage.run_id} did not complete; only a finished adapter can be continued"
            )
            continue
        snapshots = [
            s
            for s in (review.session.get(Snapshot, i) for i in stage.snapshot_ids)
            if s is not None
        ]
        for snapshot in snapshots:
            if erased_positions(review.session, snapshot.id):
                problems.append(
                    f"earlier stage {stage.run_id} trained on snapshot {snapshot.id[:12]}, from which records "
                    "were erased since; its adapter holds them, so retrain from the start instead"
                )
        problems += [f"earlier stage {stage.run_id}: {p}" for p in _stored_bytes(review, snapshots)]
        problems += [
            f"earlier stage {stage.run_id}: {p}" for p in _approvals(review, snapshots, None)
        ]
    return problems


def _stage_units(review: _Review, stages: list[spending.LedgeredRun]) -> list[str]:
    """Under a pack requiring subject-level DP, every earlier stage of a continued adapter must have
    been trained by subject too: its composed ε is stated per subject."""
    from govern.training.privacy_unit import SUBJECT, run_privacy_unit

    family = review.pack.family("dp")
    if family is None or family.config.get("unit") != SUBJECT:
        return []
    return [
        f"earlier stage {stage.run_id} was trained with ε per {unit.unit}, but the active pack "
        f"{review.pack.name} requires subject-level DP for the whole adapter; retrain from the "
        "start by subject instead of continuing it"
        for stage in stages
        if (unit := run_privacy_unit(review.session, stage.seq)).unit != SUBJECT
    ]


def _held_out(session: Session, run_id: str, snapshots: list[Snapshot]) -> list[str]:
    """Evaluation data shares nothing with any stage of the run: no snapshot, ancestor, child or record."""
    run = spending.ledgered_runs(session).get(run_id)
    if run is None:
        return [f"run {run_id} has no verified run.started entry in the ledger"]
    trained = {
        i for stage in [run, *spending.chain(session, run.init_run_id)] for i in stage.snapshot_ids
    }
    trained_lineage = {
        a.id for i in trained if (t := session.get(Snapshot, i)) for a in ancestors(session, t)
    }
    problems = []
    for snapshot in snapshots:
        name = f"snapshot {snapshot.id[:12]}"
        if snapshot.id in trained:
            problems.append(
                f"{name} was used to train run {run_id} (or a stage before it); it is not held-out data"
            )
        elif {a.id for a in ancestors(session, snapshot)} & trained:
            problems.append(
                f"{name} is derived from a snapshot run {run_id} trained on; it is not held-out data"
            )
        elif snapshot.id in trained_lineage:
            problems.append(
                f"{name} is a parent of a snapshot run {run_id} trained on; it is not held-out data"
            )
        else:
            shared = session.exec(
                select(SnapshotRecord.record_hash)
                .where(SnapshotRecord.snapshot_id == snapshot.id)
                .where(
                    col(SnapshotRecord.record_hash).in_(
                        select(SnapshotRecord.record_hash).where(
                            col(SnapshotRecord.snapshot_id).in_(sorted(trained))
                        )
                    )
                )
            ).all()
            if shared:
                problems.append(
                    f"{name} shares {len(set(shared))} record(s) with the snapshots run {run_id} trained on; "
                    "held-out data must not overlap the training data"
                )
    return problems
