"""`Gate`: the doors for training and evaluation, and the ledgered refusal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from govern import clock, ledger
from govern.catalog.models import Snapshot
from govern.errors import BadInput, IntegrityFailure, Refused
from govern.ingest.snapshots import (
    resolve_snapshot,
    snapshot_digest_start,
    store_of,
)
from govern.ingest.subject_index import record_subjects, subject_count
from govern.ledger.authority import ACTIONS, Authority, RegisteredIdentity
from govern.ledger.keys import PrivateIdentity
from govern.policy import TrainingPlan
from govern.policy.activation import active_pack_in
from govern.policy.decisions import erased_positions
from govern.training import spending
from govern.training.shards import ShardSpec, run_shard

if TYPE_CHECKING:
    from govern.workspace import Workspace


from govern.gate.checks import (
    _approval_floor,
    _approvals,
    _dp_floor,
    _earlier_stages,
    _field_floor,
    _held_out,
    _lineage,
    _Review,
    _scan_configuration,
    _shared_records,
    _stage_units,
    _stored_bytes,
)
from govern.gate.handle import _ISSUED, Admission, GatedData

REFUSED_EVENT = "gate.refused"


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
                review.check(
                    "every earlier stage trained with the privacy unit the active pack requires",
                    _stage_units(review, stages),
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
            data = self._handle(review, erased, shard)
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
                training=training,
                init_run_id=init_run_id,
            )

    def recheck(self, session: Session, admission: Admission) -> list[str]:
        """Reasons a training admission no longer holds, re-read in `session` (which holds the ledger's
        write lock, where run.started or run.resumed is recorded): what a second process may have
        changed since `admit` read the catalog (the active pack, consent and approvals, erasures,
        earlier stages). The budget is re-checked apart (training.runs._budget_race)."""
        pack = active_pack_in(self.workspace, session)
        if pack.hash != admission.pack.hash:
            return [
                f"the active policy pack changed since the gate admitted this run ({admission.pack.hash[:12]} "
                f"→ {pack.hash[:12]}); start it again"
            ]
        snapshots = [resolve_snapshot(session, i) for i in admission.data.snapshot_ids]
        review = _Review(self.workspace, session, pack, clock.now(), admission.trainer, snapshots)
        newly_erased = {
            s.id: erased_positions(session, s.id) - admission.data.erased[s.id] for s in snapshots
        }
        review.check(
            "no record erased since admission",
            [
                f"snapshot {sid[:12]}: {len(new)} record(s) erased since the gate admitted this run"
                for sid, new in newly_erased.items()
                if new
            ],
        )
        review.check(
            "approvals and consent still hold", _approvals(review, snapshots, admission.training)
        )
        review.check(
            "an uninvolved officer's approval still holds",
            _approval_floor(review, snapshots, admission.trainer),
        )
        stages = spending.chain(session, admission.init_run_id)
        if stages:
            review.check("earlier stages still hold", _earlier_stages(review, stages))
            review.check("earlier stages' privacy unit", _stage_units(review, stages))
        return review.reasons

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

    def _handle(
        self, review: _Review, erased: dict[str, set[int]], shard: ShardSpec | None = None
    ) -> GatedData:
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
        return GatedData(self.workspace, review.ids, manifests, erased, _ISSUED, subjects, shard)

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
