"""Held-out evaluation of a finished run: loss and perplexity of its adapter and of its base model.

`evaluate_run` is what `govern eval RUN --snapshot ID` does. The held-out snapshot is read only
through the gate (`Gate.admit_for_evaluation`), which re-checks from scratch what the
training gate checks about data: the stored bytes hash to the snapshot id, valid approvals
signed by officer keys cover it under the active pack, and every record's consent is still
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

import math
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from govern import ledger
from govern.catalog.models import Evaluation, TrainingRun
from govern.clock import utc_now
from govern.errors import BadInput, IntegrityFailure, Refused
from govern.gate import Gate
from govern.ledger.authority import require
from govern.ledger.keys import PrivateIdentity
from govern.training.inference import example_losses, load_run_model, supervised_tokens

if TYPE_CHECKING:
    from govern.workspace import Workspace

# ---------------------------------------------------------------------------------------------
# The run's own model


def completed_event(session: Session, run: TrainingRun) -> dict[str, Any]:
    """The payload of the run's verified `run.completed` ledger entry; Refused when the run has not completed."""
    from govern.training import spending

    found = spending.completed_payload(session, run.id)
    if found is None:
        raise Refused(
            f"run {run.id} has not completed; only a finished run's adapter can be evaluated or audited"
        )
    return found


def run_recipe(run: TrainingRun) -> tuple[dict[str, Any], Any]:
    """run.json of a run and its recipe, which must still hash to the catalogued recipe hash."""
    from govern.training.recipe import recipe_from_dict
    from govern.training.trainer import read_run

    info = read_run(run.output_dir)
    recipe = recipe_from_dict(
        info["recipe"],
        source=info["recipe_source"],
        base_dir=Path(info["base_dir"]),
        check_model=False,
    )
    if recipe.hash != run.recipe_hash:
        raise IntegrityFailure(
            f"run {run.id}: the recipe in {run.output_dir}/run.json no longer hashes to the catalogued one"
        )
    return info, recipe


def _perplexity(loss: float) -> float:
    return math.exp(min(loss, 700.0))


# ---------------------------------------------------------------------------------------------
# The evaluation


def evaluate_run(
    workspace: Workspace,
    actor: PrivateIdentity,
    run_id: str,
    snapshot_ref: str,
    device: str | None = None,
    batch_size: int = 32,
) -> tuple[Evaluation, dict[str, Any]]:
    """Evaluate a finished run's adapter and its base model on a held-out snapshot; store and ledger it."""
    from govern.training.data import encode_records
    from govern.training.model import load_tokenizer, pick_device
    from govern.training.run_status import get_run

    with workspace.catalog.reading() as session:
        require(session, actor, "run.evaluate")
        run = get_run(session, run_id)
        adapter_files = completed_event(session, run).get("adapter_files") or {}
    _, recipe = run_recipe(run)
    admission = Gate(workspace).admit_for_evaluation(actor, [snapshot_ref], run.id)
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
        "base_token_perplexity": _perplexity(
            sum(b * t for b, t in zip(base, tokens, strict=True)) / sum(tokens)
        ),
        "adapter_token_perplexity": _perplexity(
            sum(a * t for a, t in zip(adapter, tokens, strict=True)) / sum(tokens)
        ),
        "loss": "per-example mean over supervised tokens, then mean over examples (the training loss)",
        "format": recipe["data"]["format"],
        "max_length": recipe["data"]["max_length"],
        "gate_checks": admission.checks,
        "privacy_charge": "none (no gradient; aggregate losses only)",
    }
    row = Evaluation(
        id=uuid.uuid4().hex,
        run_id=run.id,
        snapshot_id=snapshot_id,
        examples=n,
        base_loss=base_loss,
        base_perplexity=_perplexity(base_loss),
        adapter_loss=adapter_loss,
        adapter_perplexity=_perplexity(adapter_loss),
        created_at=utc_now(),
        created_by=actor.key_id,
        ledger_seq=0,
    )
    with workspace.catalog.transaction() as session:
        ledger.record(session, actor, "run.evaluated", row, [run.id, snapshot_id], detail)
    return row, detail


def evaluation_dict(row: Evaluation, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    """An evaluation as JSON-able data (for --json and reports)."""
    out = {k: getattr(row, k) for k in Evaluation.ledgered_fields}
    out["ledger_seq"] = row.ledger_seq
    if detail:
        out.update({k: v for k, v in detail.items() if k != "gate_checks"})
    return out
