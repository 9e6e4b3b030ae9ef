"""Training runs in the catalog: start a gated DP-LoRA run, resume it, and record every event.

`start_run` is what `govern train` does: load the recipe (errors before any data is read), ask
the gate, catalogue the run's plan (re-checking the budget under the ledger's write lock), then
hand the gate's data handle to the trainer with hooks that ledger each step's privacy charge
(before the step runs), checkpoints, completion and failure. A run that dies before its first
step, or anywhere outside the trainer's own handling, still ends `failed` in the ledger, so it
reserves nothing afterwards.

Status and ε come from the verified ledger (govern.training.spending), never from a catalog row alone.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from govern import ledger
from govern.canonical import canonical_json
from govern.catalog.models import PrivacyCharge, RunEvent, TrainingRun
from govern.clock import utc_now
from govern.errors import BadInput, IntegrityFailure, Refused
from govern.gate import Admission, Gate
from govern.ledger.authority import require
from govern.ledger.keys import PrivateIdentity
from govern.training import spending
from govern.training.hooks import TrainingHooks
from govern.training.run_status import charges_count, get_run
from govern.training.shard_settings import shard_count
from govern.training.sharded_runs import shard_payload, start_sharded_run

if TYPE_CHECKING:
    from govern.workspace import Workspace

TERMINAL_STATES = ("completed", "failed", "interrupted")


def load_workspace_recipe(workspace: Workspace, recipe_path: Path) -> Any:
    """A recipe, with relative paths resolved against the workspace root."""
    from govern.training.recipe import load_recipe

    path = Path(recipe_path)
    if not path.is_file() and (workspace.root / path).is_file():
        path = workspace.root / path
    return load_recipe(path, base_dir=workspace.root)


class LedgerHooks(TrainingHooks):
    """Trainer hooks that ledger run events and privacy charges (the rows are their indexes)."""

    def __init__(
        self,
        workspace: Workspace,
        actor: PrivateIdentity,
        run_id: str,
        admission: Admission | None = None,
    ) -> None:
        self.workspace = workspace
        self.actor = actor
        self.run_id = run_id
        self.admission = admission  # a resumed run's: re-checked where run.resumed is recorded
        self.attempt = 1
        self.ended = False

    def _event(
        self,
        session: Session,
        kind: str,
        step: int,
        epsilon: float | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        detail = detail or {}
        entry = ledger.append(
            session,
            self.actor,
            f"run.{kind}",
            [self.run_id],
            {
                "run_id": self.run_id,
                "step": step,
                "epsilon": epsilon,
                **detail,
            },
        )
        session.add(
            RunEvent(
                id=uuid.uuid4().hex,
                run_id=self.run_id,
                kind=kind,
                step=step,
                epsilon=epsilon,
                loss=None,
                detail=canonical_json(detail),
                recorded_at=utc_now(),
                ledger_seq=entry.seq,
            )
        )
        if kind in TERMINAL_STATES:
            self.ended = True

    def on_start(self, info: dict[str, Any]) -> None:
        self.attempt = int(info.get("attempts", 1))
        if self.attempt <= 1:
            return
        reasons: list[str] = []
        with self.workspace.catalog.transaction() as session:
            if self.admission is not None:
                ledger.lock(session)
                reasons = Gate(self.workspace).recheck(session, self.admission)
            if not reasons:
                self._event(session, "resumed", 0, detail={"attempt": info["attempts"]})
        if reasons and self.admission is not None:
            self.ended = True  # refused before resuming: the run stays as it was
            raise Gate(self.workspace).refuse(
                self.actor,
                [self.run_id, *self.admission.data.snapshot_ids],
                reasons,
                {
                    "resuming_run": self.run_id,
                    "pack_hash": self.admission.pack.hash,
                    "race": "consent, approvals, erasures or the pack changed since admission",
                },
            )

    def on_step_charged(self, step: int, noise_multiplier: float, sample_rate: float) -> None:
        with self.workspace.catalog.transaction() as session:
            record_charge(
                session, self.actor, self.run_id, step, self.attempt, noise_multiplier, sample_rate
            )

    def on_checkpoint(self, state: dict[str, Any], path: Path) -> None:
        with self.workspace.catalog.transaction() as session:
            self._event(
                session,
                "checkpoint",
                int(state["step"]),
                epsilon=state.get("epsilon"),
                detail={"charges": charges_count(session, self.run_id), "checkpoint": path.name},
            )

    def on_complete(self, result: dict[str, Any]) -> None:
        # Only ε-covered figures and hashes enter the ledger: no training loss, no batch sizes.
        with self.workspace.catalog.transaction() as session:
            self._event(
                session,
                "completed",
                int(result["steps"]),
                epsilon=result.get("epsilon"),
                detail={
                    key: result.get(key)
                    for key in (
                        "delta",
                        "accountant",
                        "noise_multiplier",
                        "sample_rate",
                        "max_grad_norm",
                        "charged_steps",
                        "clipping_mode",
                        "adapter_files",
                        "adapter_hash",
                        "private",
                        "privacy_rng",
                    )
                },
            )

    def on_failure(self, error: BaseException, state: dict[str, Any]) -> None:
        from govern.training import Interrupted

        kind = "interrupted" if isinstance(error, Interrupted) else "failed"
        with self.workspace.catalog.transaction() as session:
            self._event(
                session,
                kind,
                int(state.get("step", 0)),
                detail={"error": f"{type(error).__name__}: {error}"[:500]},
            )

    def ensure_ended(self, error: BaseException) -> None:
        """Ledger `failed` for a run that stopped without the trainer recording why (e.g. before its first step)."""
        if not self.ended:
            self.on_failure(error, {"step": 0})


def record_charge(
    session: Session,
    actor: PrivateIdentity,
    run_id: str,
    step: int,
    attempt: int,
    noise_multiplier: float,
    sample_rate: float,
) -> PrivacyCharge:
    """Ledger one step's privacy charge (`run.charged`) and index it."""
    row = PrivacyCharge(
        run_id=run_id,
        charge=charges_count(session, run_id) + 1,
        step=step,
        attempt=attempt,
        noise_multiplier=noise_multiplier,
        sample_rate=sample_rate,
        recorded_at=utc_now(),
    )
    ledger.record(session, actor, "run.charged", row, [run_id], {"run_id": run_id})
    return row


def reconcile_charges(workspace: Workspace, actor: PrivateIdentity, run: TrainingRun) -> int:
    """Ledger journal charges the ledger lacks (a crash between the journal's fsync and the commit)."""
    from govern.training.run_files import JOURNAL_FILE, read_jsonl

    # The trainer's own reader: a line torn by the crash is dropped, as the trainer drops it.
    rows = read_jsonl(Path(run.output_dir) / JOURNAL_FILE)
    added = 0
    with workspace.catalog.transaction() as session:
        have = charges_count(session, run.id)
        for row in rows[have:]:
            record_charge(
                session,
                actor,
                run.id,
                int(row["step"]),
                int(row.get("attempt", 0)),
                float(row["noise_multiplier"]),
                float(row["sample_rate"]),
            )
            added += 1
    return added


def _create_run(
    workspace: Workspace,
    actor: PrivateIdentity,
    recipe: Any,
    admission: Admission,
    run_dir: Path,
    init_run_id: str | None,
    canaries: dict[str, Any] | None = None,
) -> TrainingRun:
    from govern.training.model import hash_model_folder

    plan = admission.plan
    run = TrainingRun(
        id=run_dir.name,
        recipe_name=str(recipe["name"] or Path(recipe.source).stem),
        recipe_hash=recipe.hash,
        snapshot_ids=canonical_json(list(admission.data.snapshot_ids)),
        dataset_ids=canonical_json(admission.dataset_ids),
        base_model_hash=hash_model_folder(recipe.model_path)["hash"],
        init_run_id=init_run_id,
        dp_enabled=plan.private,
        noise_multiplier=plan.noise_multiplier,
        sample_rate=plan.sample_rate,
        max_grad_norm=plan.max_grad_norm,
        target_epsilon=plan.target_epsilon,
        delta=plan.delta,
        accountant=plan.accountant,
        planned_steps=plan.steps,
        output_dir=str(run_dir),
        created_at=utc_now(),
        created_by=actor.key_id,
        ledger_seq=0,
    )
    reasons: list[str] = []
    race = ""
    with workspace.catalog.transaction() as session:
        ledger.lock(session)
        reasons = Gate(workspace).recheck(session, admission)
        race = "consent, approvals, erasures or the pack changed since admission"
        if not reasons:
            reasons = _budget_race(session, admission)
            race = "budget reserved meanwhile"
        if not reasons:
            ledger.record(
                session,
                actor,
                "run.started",
                run,
                [run.id, *admission.data.snapshot_ids],
                {
                    "gate_checks": admission.checks,
                    "planned_epsilon": plan.planned_epsilon,
                    "records": admission.data.count(),
                    "pack": {
                        "name": admission.pack.name,
                        "version": admission.pack.version,
                        "hash": admission.pack.hash,
                    },
                    "privacy": "differentially private" if plan.private else "NOT PRIVATE",
                    "privacy_unit": plan.unit,
                    **(
                        {"max_records_per_subject": plan.max_records_per_subject}
                        if plan.unit == "subject"
                        else {}
                    ),
                    "dp_waiver": admission.dp_waiver,
                    "earlier_stages": admission.chain,
                    "budget_pool_runs": admission.pool_runs,
                    "adapter_epsilon_planned": admission.chain_epsilon()
                    if admission.chain
                    else plan.planned_epsilon,
                    **({"canaries": canaries} if canaries else {}),
                    **({"shard": shard_payload(admission)} if admission.shard else {}),
                },
            )
    if reasons:
        raise Gate(workspace).refuse(
            actor,
            list(admission.data.snapshot_ids),
            reasons,
            {
                "recipe_hash": recipe.hash,
                "pack_hash": admission.pack.hash,
                "race": race,
            },
        )
    return run


def _budget_race(session: Session, admission: Admission) -> list[str]:
    """Re-check the lifetime budget under the write lock, where the run's reservation is made:
    another run admitted a moment ago may have reserved what the gate saw as free."""
    plan = admission.plan
    dp = admission.pack.family("dp")
    budget = dp.config.get("lifetime_epsilon_budget") if dp else None
    if not plan.private or budget is None:
        return []
    after = spending.epsilon_with(session, list(admission.data.snapshot_ids), plan, admission.shard)
    if after > float(budget):
        return [
            f"runs admitted meanwhile reserved the budget: with this run the data's subjects would reach "
            f"ε {after:.3f}, over the lifetime budget {budget}"
        ]
    return []


def start_run(
    workspace: Workspace,
    actor: PrivateIdentity,
    recipe_path: Path,
    snapshot_refs: list[str],
    init_run_id: str | None = None,
    progress: bool = False,
    device: str | None = None,
) -> dict[str, Any]:
    """Gate, catalogue and run a training job; returns the trainer's result (ε, adapter, hashes).

    Under torchrun only rank 0 comes through here to the gate and the catalogue; the other ranks
    join its run (`join_run`).
    """
    from govern.evaluation.privacy_audit.canaries import plant_canaries
    from govern.training.distributed import Distributed
    from govern.training.trainer import train

    dist = Distributed.from_env()
    if not dist.primary:
        return join_run(workspace, actor, recipe_path, dist, device)
    try:
        Gate(workspace).require(
            actor, "run.train"
        )  # before reading the recipe: a wrong key learns nothing
        recipe = load_workspace_recipe(workspace, recipe_path)
        if shard_count(recipe.settings) > 1:  # k shard runs (govern.training.sharded_runs)
            return start_sharded_run(workspace, actor, recipe, snapshot_refs, init_run_id, device)
        admission = Gate(workspace).admit(actor, snapshot_refs, recipe, init_run_id=init_run_id)
        init_adapter = None
        if init_run_id:
            with workspace.catalog.reading() as session:
                init_adapter = Path(get_run(session, init_run_id).output_dir) / "adapter"
        run_dir = Path(recipe.output_dir) / f"run-{uuid.uuid4().hex[:12]}"
        # Canaries (recipe [audit]) are drawn now so run.started commits to their file's hash;
        # the secrets and which were included stay in the run folder until `govern audit privacy`.
        canaries = plant_canaries(recipe, run_dir)
        run = _create_run(workspace, actor, recipe, admission, run_dir, init_run_id, canaries)
    except BaseException as error:
        _tell_ranks(
            dist,
            {
                "failed": f"{type(error).__name__}: {error}",
                "exit_code": getattr(error, "exit_code", 1),
            },
        )
        raise
    hooks = LedgerHooks(workspace, actor, run.id)
    try:
        if dist.world_size > 1:
            dist.broadcast(
                {
                    "run_id": run.id,
                    "plan": admission.plan.as_dict(),
                    "init_adapter": str(init_adapter) if init_adapter else None,
                }
            )
        return train(
            recipe,
            admission.data,
            run_dir=run_dir,
            hooks=hooks,
            progress=progress,
            device=device,
            init_adapter=init_adapter,
        )
    except BaseException as error:
        hooks.ensure_ended(error)
        raise


def _tell_ranks(dist: Any, message: dict[str, Any]) -> None:
    if dist.world_size > 1:
        with contextlib.suppress(Exception):  # the group may be what failed
            dist.broadcast(message)


def join_run(
    workspace: Workspace,
    actor: PrivateIdentity,
    recipe_path: Path,
    dist: Any,
    device: str | None = None,
) -> dict[str, Any]:
    """A torchrun rank other than 0: train in the run rank 0 admitted and catalogued.

    Rank 0 broadcasts the run id and its plan. This rank then gets its own handle from the gate
    (`Gate.handle_for_run`: the run must be a running one the ledger recorded, the stored bytes
    are re-proved against the snapshot ids, and every record is re-hashed as it is read); it
    admits nothing new and ledgers nothing. Its recipe and plan must equal rank 0's. It calls
    no hook: a rank that dies is recorded as the run's failure by rank 0.
    """
    from govern.training.trainer import train

    with workspace.catalog.reading() as session:
        require(
            session, actor, "run.train"
        )  # before reading the recipe: a wrong key learns nothing
    recipe = load_workspace_recipe(workspace, recipe_path)
    admitted = dist.broadcast(None)
    if "failed" in admitted:
        kind = {1: Refused, 3: IntegrityFailure}.get(int(admitted["exit_code"]), BadInput)
        raise kind(f"rank 0 did not start the run: {admitted['failed']}")
    with workspace.catalog.reading() as session:
        run = get_run(session, admitted["run_id"])
    if run.recipe_hash != recipe.hash:
        raise IntegrityFailure(
            f"rank {dist.rank}: recipe {recipe.source} does not hash to run {run.id}'s recipe"
        )
    data = Gate(workspace).handle_for_run(run.id)
    return train(
        recipe,
        data,
        run_dir=Path(run.output_dir),
        device=device,
        init_adapter=admitted["init_adapter"],
    )


def resume_run(
    workspace: Workspace,
    actor: PrivateIdentity,
    run_id: str,
    progress: bool = False,
    device: str | None = None,
) -> dict[str, Any]:
    """Re-gate a crashed or interrupted run with its own snapshots and continue from its checkpoint."""
    from govern.training.recipe import recipe_from_dict
    from govern.training.trainer import read_run, resume

    with workspace.catalog.reading() as session:
        require(session, actor, "run.train")
        run = get_run(session, run_id)
        state, _ = spending.state(session, run.id)
        if state == "completed":
            raise Refused(f"run {run.id} already completed; nothing to resume")
    reconcile_charges(workspace, actor, run)
    info = read_run(run.output_dir)
    recipe = recipe_from_dict(
        info["recipe"],
        source=info["recipe_source"],
        base_dir=Path(info["base_dir"]),
        check_model=False,
    )
    if recipe.hash != run.recipe_hash:
        raise BadInput(f"run {run.id}: its stored recipe no longer hashes to the catalogued one")
    admission = Gate(workspace).admit(
        actor, json.loads(run.snapshot_ids), recipe, resuming_run=run.id
    )
    hooks = LedgerHooks(workspace, actor, run.id, admission)
    try:
        return resume(run.output_dir, admission.data, hooks=hooks, progress=progress, device=device)
    except BaseException as error:
        hooks.ensure_ended(error)
        raise
