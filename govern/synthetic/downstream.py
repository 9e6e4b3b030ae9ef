"""The downstream check of synthetic data: does a run trained with it do better on real data?

For a run that trained on synthetic snapshots, the partner runs are those trained on exactly its
real snapshots (and the other way round); for every held-out *real* snapshot both were evaluated
on by `govern eval` (verified `run.evaluated` entries), the comparison puts the two adapter
losses side by side. Nothing is computed here that `govern eval` did not record.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session, col, select

from govern.catalog.models import Evaluation, Snapshot, TrainingRun
from govern.ledger.authority import row_problem
from govern.synthetic.provenance import source_of

EVALUATION_EVENTS = ("run.evaluated",)


def _split(session: Session, run: TrainingRun) -> tuple[frozenset[str], frozenset[str]]:
    """A run's (real, synthetic) training snapshots."""
    real: set[str] = set()
    synthetic: set[str] = set()
    for snapshot_id in json.loads(run.snapshot_ids):
        snapshot = session.get(Snapshot, snapshot_id)
        is_synthetic = snapshot is not None and source_of(session, snapshot.dataset_id) is not None
        (synthetic if is_synthetic else real).add(snapshot_id)
    return frozenset(real), frozenset(synthetic)


def _evaluations(session: Session, run_id: str) -> dict[str, Evaluation]:
    """The newest verified evaluation of a run per held-out real snapshot."""
    found: dict[str, Evaluation] = {}
    for row in session.exec(
        select(Evaluation).where(Evaluation.run_id == run_id).order_by(col(Evaluation.ledger_seq))
    ):
        heldout = session.get(Snapshot, row.snapshot_id)
        if heldout is None or source_of(session, heldout.dataset_id) is not None:
            continue  # only real held-out data says how the model does on real data
        if row_problem(session, row, EVALUATION_EVENTS) is None:
            found[row.snapshot_id] = row
    return found


def _loss(row: Evaluation) -> dict[str, Any]:
    return {
        "evaluation": row.id,
        "adapter_loss": row.adapter_loss,
        "adapter_perplexity": row.adapter_perplexity,
        "examples": row.examples,
    }


def downstream_comparison(session: Session, run: TrainingRun) -> list[dict[str, Any]]:
    """With-synthetic against without-synthetic evaluations on the same held-out real snapshots."""
    real, synthetic = _split(session, run)
    mine = _evaluations(session, run.id)
    if not mine:
        return []
    found = []
    for other in session.exec(select(TrainingRun).order_by(col(TrainingRun.ledger_seq))):
        if other.id == run.id:
            continue
        other_real, other_synthetic = _split(session, other)
        if synthetic and not other_synthetic and other_real == real:
            with_run, without_run = run, other
        elif not synthetic and other_synthetic and other_real == real:
            with_run, without_run = other, run
        else:
            continue
        theirs = _evaluations(session, other.id)
        for heldout in sorted(set(mine) & set(theirs)):
            with_row = mine[heldout] if with_run is run else theirs[heldout]
            without_row = theirs[heldout] if with_run is run else mine[heldout]
            found.append(
                {
                    "heldout_snapshot": heldout,
                    "with_synthetic_run": with_run.id,
                    "without_synthetic_run": without_run.id,
                    "synthetic_snapshots": sorted(synthetic or other_synthetic),
                    "with_synthetic": _loss(with_row),
                    "without_synthetic": _loss(without_row),
                    "loss_change": round(with_row.adapter_loss - without_row.adapter_loss, 6),
                }
            )
    return found
