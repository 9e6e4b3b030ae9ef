"""Held-out evaluation of a finished run: loss and perplexity of its adapter and of its base model.

`evaluate_run` is what `govern eval RUN --snapshot ID` does. The held-out snapshot is read only
through the gate (`EvaluationGate.admit_for_evaluation`), which re-checks from scratch what the
training gate checks about data: the stored bytes hash to the snapshot id, valid approvals
signed by officer keys cover it under the current pack, and every record's consent is still
active. It adds the held-out checks: the snapshot is not one the run (or any run whose adapter
it continued) trained on, is not derived from one nor a parent of one, and shares no record
hash with them. Evaluation computes no gradient and releases only aggregate losses, so it
charges no privacy budget. A refusal lists every reason and is ledgered (`gate.refused`).

Loss is the training loss: each example's next-token cross-entropy averaged over its own
supervised tokens (the completion only, for prompt_completion recipes), then averaged over the
examples; perplexity is exp of that mean. The token-weighted perplexity is ledgered beside it.
The base model is the run's adapter switched off, so both see the same weights and tokenizer;
both the base model's files and the adapter's files must hash to what the run recorded.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from govern import ledger
from govern.catalog.models import (
    Evaluation,
    RunEvent,
    Snapshot,
    SnapshotRecord,
    TrainingRun,
    ledgered_row,
)
from govern.clock import utc_now
from govern.decisions import active_pack, erased_positions
from govern.errors import BadInput, IntegrityFailure, Refused
from govern.gate import Admission, Gate, GatedData
from govern.identities import role_of
from govern.keys import PrivateIdentity
from govern.snapshots import resolve_snapshot, snapshot_problems, store_of
from govern.training.inference import example_losses, load_run_model, supervised_tokens

EVALUATION_ROLES = ("engineer", "reviewer")


# ---------------------------------------------------------------------------------------------
# The run's own model


def completed_event(session: Session, run: TrainingRun) -> RunEvent:
    """The run's completion event; Refused when the run has not completed."""
    event = session.exec(select(RunEvent).where(RunEvent.run_id == run.id, RunEvent.kind == "completed")).first()
    if event is None:
        raise Refused(f"run {run.id} has not completed; only a finished run's adapter can be evaluated or audited")
    return event


def run_recipe(run: TrainingRun) -> tuple[dict[str, Any], Any]:
    """run.json of a run and its recipe, which must still hash to the catalogued recipe hash."""
    from govern.training.recipe import recipe_from_dict
    from govern.training.trainer import read_run

    info = read_run(run.output_dir)
    recipe = recipe_from_dict(info["recipe"], source=info["recipe_source"], base_dir=Path(info["base_dir"]), check_model=False)
    if recipe.hash != run.recipe_hash:
        raise IntegrityFailure(f"run {run.id}: the recipe in {run.output_dir}/run.json no longer hashes to the catalogued one")
    return info, recipe


def training_snapshot_ids(session: Session, run: TrainingRun) -> set[str]:
    """Snapshots the run trained on, and those of every run whose adapter it continued."""
    seen: set[str] = set()
    current: TrainingRun | None = run
    visited: set[str] = set()
    while current is not None and current.id not in visited:
        visited.add(current.id)
        seen |= set(json.loads(current.snapshot_ids))
        current = session.get(TrainingRun, current.init_run_id) if current.init_run_id else None
    return seen


def _perplexity(loss: float) -> float:
    return math.exp(min(loss, 700.0))


# ---------------------------------------------------------------------------------------------
# The gate for held-out data


class EvaluationGate(Gate):
    """The gate's door for evaluation: the same data checks as training, plus held-out checks.

    Training admission (`Gate.admit`) is untouched; this door admits only keys that may
    evaluate, never plans a privacy charge, and hands out the same re-hashing `GatedData`.
    """

    def admit_for_evaluation(self, actor: PrivateIdentity, snapshot_refs: Sequence[str], run: TrainingRun) -> Admission:
        from govern.approvals import is_approved_for_training

        if not snapshot_refs:
            raise Refused("no --snapshot given; evaluation reads only named, approved, held-out snapshots")
        pack = active_pack(self.workspace)
        now = datetime.now(UTC)
        reasons: list[str] = []
        checks: list[str] = []
        with self.workspace.catalog.reading() as session:
            snapshots = [resolve_snapshot(session, ref) for ref in snapshot_refs]
            identity = role_of(session, actor)
            if identity.role not in EVALUATION_ROLES:
                reasons.append(f"key {identity.key_id} ({identity.name}) has role {identity.role!r}; "
                               f"evaluation needs {' or '.join(EVALUATION_ROLES)}")
            for snapshot in snapshots:
                found = snapshot_problems(self.workspace, session, snapshot)
                reasons += [f"{p}; the stored bytes no longer match what was approved" for p in found]
            checks.append("stored bytes hash to the snapshot ids")
            for snapshot in snapshots:
                check = is_approved_for_training(self.workspace, session, snapshot, None, pack, now)
                reasons += [f"snapshot {snapshot.id[:12]}: {reason}" for reason in check.reasons]
            checks += ["approvals verified from scratch under the current pack", "consent active for every record"]
            reasons += held_out_problems(session, run, snapshots)
            checks.append("held out: not trained on by the run (or the runs it continued), no shared record hash, "
                          "not derived from or a parent of a training snapshot")
            erased = {s.id: erased_positions(session, s.id) for s in snapshots}
            manifests = {}
            if not reasons:
                store = store_of(self.workspace)
                for snapshot in snapshots:
                    manifests[snapshot.id] = store.manifest_path(snapshot.id).read_text().split()
        if reasons:
            self._record(actor, "gate.refused", [run.id, *(s.id for s in snapshots)], {
                "purpose": "evaluation", "run_id": run.id, "reasons": reasons, "pack_hash": pack.hash,
            })
            raise Refused(f"the evaluation gate refused snapshot(s) {', '.join(s.id[:12] for s in snapshots)} "
                          f"as held-out data for run {run.id}", reasons)
        data = GatedData(self.workspace, [s.id for s in snapshots], manifests, erased)
        return Admission(data=data, plan=None, dataset_ids=sorted({s.dataset_id for s in snapshots}), checks=checks)


def _lineage(session: Session, snapshot_id: str) -> set[str]:
    """The snapshot and every ancestor (parent, its parent, ...)."""
    out: set[str] = set()
    current: str | None = snapshot_id
    while current and current not in out:
        out.add(current)
        row = session.get(Snapshot, current)
        current = row.parent_id if row else None
    return out


def held_out_problems(session: Session, run: TrainingRun, snapshots: Sequence[Snapshot]) -> list[str]:
    """Why these snapshots are not held-out data for `run` (empty when they are)."""
    trained = training_snapshot_ids(session, run)
    trained_lineage: set[str] = set()
    for snapshot_id in trained:
        trained_lineage |= _lineage(session, snapshot_id)
    problems = []
    for snapshot in snapshots:
        name = f"snapshot {snapshot.id[:12]}"
        if snapshot.id in trained:
            problems.append(f"{name} was used to train run {run.id} (or a run it continued); it is not held-out data")
            continue
        ancestors = _lineage(session, snapshot.id)
        if ancestors & trained:
            problems.append(f"{name} is derived from a snapshot run {run.id} trained on; it is not held-out data")
            continue
        if snapshot.id in trained_lineage:
            problems.append(f"{name} is a parent of a snapshot run {run.id} trained on; it is not held-out data")
            continue
        shared = session.exec(
            select(SnapshotRecord.record_hash)
            .where(SnapshotRecord.snapshot_id == snapshot.id)
            .where(col(SnapshotRecord.record_hash).in_(
                select(SnapshotRecord.record_hash).where(col(SnapshotRecord.snapshot_id).in_(sorted(trained)))))
        ).all()
        if shared:
            problems.append(f"{name} shares {len(set(shared))} record(s) with the snapshots run {run.id} trained on; "
                            "held-out data must not overlap the training data")
    return problems


# ---------------------------------------------------------------------------------------------
# The evaluation


def evaluate_run(workspace: Any, actor: PrivateIdentity, run_id: str, snapshot_ref: str,
                 device: str | None = None, batch_size: int = 32) -> tuple[Evaluation, dict[str, Any]]:
    """Evaluate a finished run's adapter and its base model on a held-out snapshot; store and ledger it."""
    from govern.runs import get_run
    from govern.training.data import encode_records
    from govern.training.model import load_tokenizer, pick_device

    with workspace.catalog.reading() as session:
        run = get_run(session, run_id)
        done = completed_event(session, run)
        adapter_files = json.loads(done.detail).get("adapter_files") or {}
    _, recipe = run_recipe(run)
    admission = EvaluationGate(workspace).admit_for_evaluation(actor, [snapshot_ref], run)
    snapshot_id = admission.data.snapshot_ids[0]
    records = list(admission.data.read())
    if not records:
        raise BadInput(f"snapshot {snapshot_id[:12]} holds no records to evaluate on")
    tokenizer = load_tokenizer(recipe.tokenizer_path)
    examples = encode_records(records, tokenizer, recipe["data"])
    del records
    torch_device = pick_device(device)
    model = load_run_model(run, recipe, adapter_files, torch_device)
    adapter = example_losses(model, examples, tokenizer.pad_token_id, torch_device, batch_size)
    with model.disable_adapter():
        base = example_losses(model, examples, tokenizer.pad_token_id, torch_device, batch_size)
    tokens = supervised_tokens(examples)
    n = len(examples)
    base_loss, adapter_loss = sum(base) / n, sum(adapter) / n
    detail = {
        "tokens": sum(tokens),
        "base_token_perplexity": _perplexity(sum(b * t for b, t in zip(base, tokens)) / sum(tokens)),
        "adapter_token_perplexity": _perplexity(sum(a * t for a, t in zip(adapter, tokens)) / sum(tokens)),
        "loss": "per-example mean over supervised tokens, then mean over examples (the training loss)",
        "format": recipe["data"]["format"], "max_length": recipe["data"]["max_length"],
        "gate_checks": admission.checks, "privacy_charge": "none (no gradient; aggregate losses only)",
    }
    row = Evaluation(
        id=uuid.uuid4().hex, run_id=run.id, snapshot_id=snapshot_id, examples=n,
        base_loss=base_loss, base_perplexity=_perplexity(base_loss),
        adapter_loss=adapter_loss, adapter_perplexity=_perplexity(adapter_loss),
        created_at=utc_now(), created_by=actor.key_id, ledger_seq=0,
    )
    with workspace.catalog.transaction() as session:
        entry = ledger.append(session, actor, "run.evaluated", [run.id, snapshot_id], {"row": ledgered_row(row), **detail})
        row.ledger_seq = entry.seq
        session.add(row)
    return row, detail


def evaluation_dict(row: Evaluation, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """An evaluation as JSON-able data (for --json and reports)."""
    out = {k: getattr(row, k) for k in Evaluation.ledgered_fields}
    out["ledger_seq"] = row.ledger_seq
    if detail:
        out.update({k: v for k, v in detail.items() if k != "gate_checks"})
    return out
