"""The one door: training and evaluation read snapshot bytes only through the gate's handle.

`Gate.admit` (training) and `Gate.admit_for_evaluation` run the same core of small checks, from
scratch, on what the verified ledger says (never on a catalog row alone):

  every door   the acting key is a registered identity allowed the action; no entry was deleted;
               each snapshot's lineage (rows, datasets) was recorded by verified ledger entries;
               its stored bytes hash to its id; its newest ledgered scan used the workspace's
               scanner configuration; the active pack's data rules pass on today's facts
               (consent included); verified approvals under the active pack cover it.
  floors       at least one approval by an officer who, as a person, neither registered nor
  (training)   derived the data nor will train on it; differential privacy unless the active
               pack waives it with a stated reason (the run is then NOT PRIVATE); the recipe
               trains only on the snapshot's declared (and so scanned) text fields.
  training     the pack's DP limits; the lifetime budget of every subject in the data, composed
               by the accountant over every run that trained on any of them plus this plan;
               for a continued adapter, every earlier stage's data re-checked as above.
  evaluation   the snapshots are held out from every stage of the run.

Every refusal lists each reason and is ledgered (`gate.refused`). At the moment of reading,
`GatedData.read` re-hashes every record against the manifest the gate proved.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, func, select

from govern import clock, ledger
from govern.canonical import sha256_hex
from govern.catalog.models import Dataset, Snapshot, SnapshotRecord
from govern.errors import BadInput, IntegrityFailure, Refused
from govern.ingest.snapshots import (
    ancestors,
    resolve_snapshot,
    snapshot_digest_start,
    snapshot_problems,
    store_of,
)
from govern.ingest.subject_index import record_subjects, subject_count
from govern.ledger.authority import ACTIONS, Authority, RegisteredIdentity
from govern.ledger.keys import PrivateIdentity
from govern.policy import Pack, TrainingPlan
from govern.policy.activation import active_pack_in
from govern.policy.approvals import is_approved_for_training
from govern.policy.decisions import erased_positions, involved_people, latest_scan, lineage_problems
from govern.training import spending
from govern.training.shards import ShardSpec, run_shard

if TYPE_CHECKING:
    from govern.workspace import Workspace

REFUSED_EVENT = "gate.refused"
_ISSUED = object()  # only the gate holds this: a GatedData made without it refuses to exist


@dataclass
class GatedData:
    """The gate's handle: the only object that reads approved snapshot bytes for training."""

    workspace: Workspace
    snapshot_ids: Sequence[str]
    manifests: dict[str, list[str]] = field(repr=False, default_factory=dict)
    erased: dict[str, set[int]] = field(repr=False, default_factory=dict)
    issued_by: object = field(repr=False, default=None)
    # per snapshot, the keyed subject hash of each unerased record (the proven subject index)
    subjects: dict[str, list[str]] = field(repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        if self.issued_by is not _ISSUED:
            raise Refused(
                "training data comes only from the gate (govern.gate.Gate.admit); "
                "a GatedData made elsewhere is refused"
            )

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

    def record_subjects(self) -> list[str]:
        """The subject hash of each record `read` yields, in the same order."""
        return [subject for s in self.snapshot_ids for subject in self.subjects[s]]


@dataclass
class Admission:
    """What the gate admitted: the handle, the plan it checked, the pack, and what it checked."""

    data: GatedData
    plan: Any
    dataset_ids: list[str]
    checks: list[str]
    pack: Pack
    trainer: RegisteredIdentity
    chain: list[str] = field(
        default_factory=list
    )  # earlier stages of a continued adapter, newest first
    chain_history: list[tuple[float, float, int]] = field(default_factory=list)
    pool_runs: list[str] = field(default_factory=list)
    dp_waiver: str | None = None
    shard: ShardSpec | None = None  # the shard of subjects this run trains on (train.shards)

    @property
    def not_private(self) -> bool:
        return not self.plan.private

    def chain_epsilon(self) -> float | None:
        """ε of the adapter this run produces: every earlier stage and this plan, composed (None if not private)."""
        from govern.training.accounting import compose_epsilon

        if not self.plan.private:
            return None
        return compose_epsilon(
            [self.chain_history, self.plan.history()], self.plan.delta, self.plan.accountant
        )


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


# -- the doors -------------------------------------------------------------------------------------


class Gate:
    """Admits a job to approved snapshots, or refuses it with every reason and a ledger entry."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def _open(
        self, session: Session, actor: PrivateIdentity, action: str, snapshot_refs: Sequence[str]
    ) -> _Review:
        if not snapshot_refs:
            raise Refused("no --snapshot given; the gate admits only named, approved snapshots")
        identity = Authority.of(session).of_actor(actor)
        broken = ledger.continuity_problem(session)
        if broken:
            raise IntegrityFailure(broken)
        pack = active_pack_in(self.workspace, session)
        snapshots: list[Snapshot] = []
        for ref in snapshot_refs:
            snapshot = resolve_snapshot(session, ref)
            if any(s.id == snapshot.id for s in snapshots):
                raise BadInput(
                    f"snapshot {snapshot.id[:12]} is named twice; each record may be one training example once"
                )
            snapshots.append(snapshot)
        review = _Review(self.workspace, session, pack, clock.now(), identity, snapshots)
        roles = ACTIONS[action]
        review.check(
            f"the acting key holds the role {' or '.join(roles)}",
            []
            if identity.role in roles
            else [
                f"{identity.describe()} may not {action.replace('.', ' ')}; this needs the role {' or '.join(roles)}"
            ],
        )
        review.check("no two snapshots share a record", _shared_records(session, review.ids))
        review.check("lineage recorded by verified ledger entries", _lineage(review))
        review.check("stored bytes hash to the snapshot ids", _stored_bytes(review, snapshots))
        review.check(
            "scanned under the workspace's scanner configuration",
            _scan_configuration(review, snapshots),
        )
        return review

    def admit(
        self,
        actor: PrivateIdentity,
        snapshot_refs: Sequence[str],
        recipe: Any,
        resuming_run: str | None = None,
        init_run_id: str | None = None,
        shard: ShardSpec | None = None,
    ) -> Admission:
        """Admit a training run of `recipe` on these snapshots (or a resumed run), or refuse it.

        With `shard` (or resuming a shard run) the run reads, plans and is charged for the records of
        that shard's subjects only; the other shards' records are left out of its handle like erased ones.
        """
        from govern.training.accounting import epsilon_of_history
        from govern.training.plan import plan_run

        with self.workspace.catalog.reading() as session:
            review = self._open(session, actor, "run.train", snapshot_refs)
            erased = {s.id: erased_positions(session, s.id) for s in review.snapshots}
            shard = shard or (run_shard(session, resuming_run) if resuming_run else None)
            erased = shard.restrict(session, erased) if shard is not None else erased
            plan = plan_run(
                recipe,
                sum(s.record_count - len(erased[s.id]) for s in review.snapshots),
                subject_count(session, review.ids, erased)
                if recipe.privacy_unit == "subject"
                else None,
            )
            own = plan.history()
            if resuming_run is not None:
                run = spending.ledgered_runs(session).get(resuming_run)
                if run is None:
                    raise IntegrityFailure(
                        f"run {resuming_run} has no verified run.started entry in the ledger"
                    )
                own = spending.resumed_history(session, run)
                init_run_id = run.init_run_id
            stages = spending.chain(session, init_run_id)
            if init_run_id and not stages:
                raise Refused(
                    f"run {init_run_id} is not a run the ledger recorded; nothing to continue"
                )
            chain_history = [step for stage in stages for step in spending.history(session, stage)]
            planned_epsilon = (
                epsilon_of_history(own, plan.delta, plan.accountant)
                if plan.private and own and plan.delta is not None and plan.accountant is not None
                else None
            )
            review.check(
                "the recipe trains only on declared, scanned text fields",
                _field_floor(review, review.snapshots, recipe),
            )
            dp_problems, waiver = _dp_floor(review, plan)
            review.check("differential privacy, or the active pack's stated waiver", dp_problems)
            budget_problems, pool, spent, after = spending.budget_problems(
                session, review.pack, review.ids, plan, own, resuming_run, shard
            )
            training = TrainingPlan(
                trainer_key_id=actor.key_id,
                trainer_person=review.actor.person,
                dp_enabled=plan.private,
                epsilon=planned_epsilon,
                delta=plan.delta if plan.private else None,
                dataset_epsilon_spent=spent,
                lifetime_epsilon_after=after if plan.private else None,
                privacy_unit=plan.unit,
                max_records_per_subject=plan.max_records_per_subject,
            )
            review.check(
                "approvals verified from scratch under the active pack; consent active for every record",
                _approvals(review, review.snapshots, training),
            )
            review.check(
                "an approval by an officer uninvolved in the data or the run",
                _approval_floor(review, review.snapshots, review.actor),
            )
            review.check(
                "lifetime ε of every subject, composed over every run that used them",
                budget_problems,
            )
            if stages:
                review.check(
                    "every earlier stage's data still approved, consented and unerased",
                    _earlier_stages(review, stages),
                )
            if review.reasons:
                raise self.refuse(
                    actor,
                    review.ids,
                    review.reasons,
                    {
                        "recipe_hash": recipe.hash,
                        "pack_hash": review.pack.hash,
                        "resuming_run": resuming_run,
                        "init_run": init_run_id,
                        **({"shard": shard.as_dict()} if shard is not None else {}),
                    },
                )
            data = self._handle(review, erased)
            return Admission(
                data=data,
                plan=plan,
                dataset_ids=sorted({s.dataset_id for s in review.snapshots}),
                checks=review.checks,
                pack=review.pack,
                trainer=review.actor,
                chain=[s.run_id for s in stages],
                chain_history=chain_history,
                pool_runs=pool,
                dp_waiver=waiver,
                shard=shard,
            )

    def admit_for_evaluation(
        self, actor: PrivateIdentity, snapshot_refs: Sequence[str], run_id: str
    ) -> Admission:
        """Admit reading held-out snapshots to evaluate (or audit) a finished run; no budget is spent."""
        from govern.training.plan import PrivacyPlan

        with self.workspace.catalog.reading() as session:
            review = self._open(session, actor, "run.evaluate", snapshot_refs)
            review.check(
                "approvals verified from scratch under the active pack; consent active for every record",
                _approvals(review, review.snapshots, None),
            )
            review.check(
                "an approval by an officer uninvolved in the data",
                _approval_floor(review, review.snapshots, None),
            )
            review.check(
                "held out from every stage of the run", _held_out(session, run_id, review.snapshots)
            )
            if review.reasons:
                raise self.refuse(
                    actor,
                    [run_id, *review.ids],
                    review.reasons,
                    {
                        "purpose": "evaluation",
                        "run_id": run_id,
                        "pack_hash": review.pack.hash,
                    },
                )
            erased = {s.id: erased_positions(session, s.id) for s in review.snapshots}
            data = self._handle(review, erased)
            plan = PrivacyPlan(
                private=False,
                num_examples=data.count(),
                sample_rate=0.0,
                steps=0,
                logical_batch_size=0,
            )
            return Admission(
                data=data,
                plan=plan,
                dataset_ids=sorted({s.dataset_id for s in review.snapshots}),
                checks=review.checks,
                pack=review.pack,
                trainer=review.actor,
            )

    def require(self, actor: PrivateIdentity, action: str) -> RegisteredIdentity:
        """The actor's registered identity; a key whose role may not perform `action` is refused, and
        the refusal ledgered (a key the ledger never registered is refused without an entry)."""
        with self.workspace.catalog.reading() as session:
            identity = Authority.of(session).of_actor(actor)
        roles = ACTIONS[action]
        if identity.role not in roles:
            raise self.refuse(
                actor,
                [],
                [
                    f"{identity.describe()} may not {action.replace('.', ' ')}; this needs the "
                    f"role {' or '.join(roles)}"
                ],
                {"action": action},
            )
        return identity

    def handle_for_run(self, run_id: str) -> GatedData:
        """A fresh handle on a running run's snapshots, re-proved against their ids, for another process
        of the same run (a torchrun rank); it admits nothing new and ledgers nothing."""
        with self.workspace.catalog.reading() as session:
            run = spending.ledgered_runs(session).get(run_id)
            if run is None:
                raise IntegrityFailure(
                    f"run {run_id} has no verified run.started entry in the ledger"
                )
            state, _ = spending.state(session, run_id)
            if state not in spending.RUNNING_STATES:
                raise Refused(
                    f"run {run_id} is {state}; only a running run's processes may read its data"
                )
            snapshots = [resolve_snapshot(session, i) for i in run.snapshot_ids]
            review = _Review(
                self.workspace,
                session,
                active_pack_in(self.workspace, session),
                clock.now(),
                Authority.of(session).identity(run.row["created_by"])
                or RegisteredIdentity("", "", "", "", "", 0),
                snapshots,
            )
            problems = _stored_bytes(review, snapshots)
            if problems:
                raise IntegrityFailure("; ".join(problems))
            return self._handle(review, {s.id: erased_positions(session, s.id) for s in snapshots})

    def _handle(self, review: _Review, erased: dict[str, set[int]]) -> GatedData:
        store = store_of(self.workspace)
        manifests = {}
        for snapshot in review.snapshots:
            # The manifest the reader checks records against is the one proven here to hash to the
            # approved id, not a second read of the file.
            hashes = store.manifest_path(snapshot.id).read_text().split()
            digest = snapshot_digest_start(snapshot.dataset_id)
            for record_hash in hashes:
                digest.update(bytes.fromhex(record_hash))
            if digest.hexdigest() != snapshot.id:
                raise IntegrityFailure(
                    f"snapshot {snapshot.id[:12]}: its manifest changed while the gate checked it"
                )
            manifests[snapshot.id] = hashes
        subjects = {
            s.id: record_subjects(review.session, s.id, erased[s.id]) for s in review.snapshots
        }
        return GatedData(self.workspace, review.ids, manifests, erased, _ISSUED, subjects)

    def refuse(
        self, actor: PrivateIdentity, refs: list[str], reasons: list[str], payload: dict[str, Any]
    ) -> Refused:
        """Ledger a refusal with every reason and return the error to raise."""
        with self.workspace.catalog.transaction() as session:
            ledger.append(session, actor, REFUSED_EVENT, refs, {"reasons": reasons, **payload})
        return Refused(
            "the training gate refused this run"
            if payload.get("purpose") != "evaluation"
            else "the evaluation gate refused this run",
            reasons,
        )
