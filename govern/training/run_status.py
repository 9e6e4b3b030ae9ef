"""Reading runs back: one run, every run, and a run's status and ε from the verified ledger.

Kept apart from `runs.py` (which starts runs through the gate) so that `govern runs list|show`
import neither the gate nor the policy engine, and never Opacus unless a crash left charges
past the last checkpoint.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from govern.catalog.models import RunEvent, TrainingRun
from govern.errors import NotFound
from govern.training import spending


def get_run(session: Session, run_id: str) -> TrainingRun:
    run = session.get(TrainingRun, run_id)
    if run is None:
        raise NotFound(f"no training run {run_id!r}; `govern runs list` shows them")
    return run


def list_runs(session: Session) -> list[TrainingRun]:
    return list(session.exec(select(TrainingRun).order_by(col(TrainingRun.ledger_seq))).all())


def charges_count(session: Session, run_id: str) -> int:
    """How many steps the ledger charged to the run."""
    return len(spending.charges(session, run_id))


def run_status(session: Session, run: TrainingRun) -> dict[str, Any]:
    """A run's plan and its latest state, for `govern runs list|show`, from the verified ledger."""
    ledgered = spending.ledgered_runs(session).get(run.id)
    events = session.exec(
        select(RunEvent).where(RunEvent.run_id == run.id).order_by(col(RunEvent.ledger_seq))
    ).all()
    if ledgered is None:
        status = "unverified"
        charged: list[tuple[float, float, int]] = []
    else:
        current, _ = spending.state(session, run.id)
        status = {"started": "running", "checkpoint": "running", "resumed": "running"}.get(
            current, current
        )
        charged = spending.charges(session, run.id)
    spent = None
    if run.dp_enabled and run.delta is not None and charged:
        spent = _ledgered_epsilon(session, run.id, len(charged))
        if spent is None:  # charges past the last checkpoint: compose them (loads Opacus)
            from govern.training.accounting import epsilon_of_history

            spent = epsilon_of_history(charged, run.delta, run.accountant or "prv")
    completed = next((e for e in reversed(events) if e.kind == "completed"), None)
    return {
        "id": run.id,
        "status": status,
        "recipe": run.recipe_name,
        "recipe_hash": run.recipe_hash,
        "snapshots": json.loads(run.snapshot_ids),
        "datasets": json.loads(run.dataset_ids),
        "base_model_hash": run.base_model_hash,
        "init_run": run.init_run_id,
        "dp": run.dp_enabled,
        "privacy": "differentially private" if run.dp_enabled else "NOT PRIVATE",
        "noise_multiplier": run.noise_multiplier,
        "sample_rate": run.sample_rate,
        "max_grad_norm": run.max_grad_norm,
        "delta": run.delta,
        "target_epsilon": run.target_epsilon,
        "accountant": run.accountant,
        "planned_steps": run.planned_steps,
        "charged_steps": len(charged),
        "epsilon_spent": spent,
        "adapter": json.loads(completed.detail).get("adapter_files") if completed else None,
        "output_dir": run.output_dir,
        "created_at": run.created_at,
        "created_by": run.created_by,
        "events": [
            {"kind": e.kind, "step": e.step, "epsilon": e.epsilon, "at": e.recorded_at}
            for e in events
        ],
    }


def _ledgered_epsilon(session: Session, run_id: str, charges: int) -> float | None:
    """ε of the run's verified checkpoint or completion entry that covers exactly its `charges` charges.

    The trainer computes ε at checkpoints and at the end over every charged step, and ledgers it
    with the charge count, so `govern runs list` need not load the accountant (Opacus) again.
    None when charges came after the newest such entry (a crash between checkpoints).
    """
    for _, payload in reversed(
        spending.run_entries(session, run_id, ("run.checkpoint", "run.completed"))
    ):
        covered = payload.get("charges", payload.get("charged_steps"))
        epsilon = payload.get("epsilon")
        if isinstance(epsilon, int | float) and covered == charges:
            return float(epsilon)
    return None
