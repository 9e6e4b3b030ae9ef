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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlmodel import Session

from govern import ledger
from govern.authority import require
from govern.canonical import file_sha256
from govern.catalog.models import Evaluation, TrainingRun, ledgered_row
from govern.clock import utc_now
from govern.errors import BadInput, IntegrityFailure, Refused
from govern.gate import Gate
from govern.keys import PrivateIdentity


# ---------------------------------------------------------------------------------------------
# The run's own model


def completed_event(session: Session, run: TrainingRun) -> dict[str, Any]:
    """The payload of the run's verified `run.completed` ledger entry; Refused when the run has not completed."""
    from govern import spending

    found = spending.completed_payload(session, run.id)
    if found is None:
        raise Refused(f"run {run.id} has not completed; only a finished run's adapter can be evaluated or audited")
    return found


def run_recipe(run: TrainingRun) -> tuple[dict[str, Any], Any]:
    """run.json of a run and its recipe, which must still hash to the catalogued recipe hash."""
    from govern.training.recipe import recipe_from_dict
    from govern.training.trainer import read_run

    info = read_run(run.output_dir)
    recipe = recipe_from_dict(info["recipe"], source=info["recipe_source"], base_dir=Path(info["base_dir"]), check_model=False)
    if recipe.hash != run.recipe_hash:
        raise IntegrityFailure(f"run {run.id}: the recipe in {run.output_dir}/run.json no longer hashes to the catalogued one")
    return info, recipe


def load_run_model(run: TrainingRun, recipe: Any, adapter_files: dict[str, str] | None, device: Any) -> Any:
    """The run's base model with its adapter (a PeftModel, eval mode), after checking both hashes.

    `model.disable_adapter()` gives the base model. IntegrityFailure when the base model folder
    or any adapter file differs from what the run recorded.
    """
    from peft import PeftModel

    from govern.training.model import load_base_model
    from govern.training.recipe import hash_model_folder

    if hash_model_folder(recipe.model_path)["hash"] != run.base_model_hash:
        raise IntegrityFailure(f"run {run.id}: the base model in {recipe.model_path} is not the one the run trained on")
    adapter_dir = Path(run.output_dir) / "adapter"
    if not adapter_dir.is_dir():
        raise IntegrityFailure(f"run {run.id}: its adapter folder {adapter_dir} is missing")
    for name, digest in sorted((adapter_files or {}).items()):
        path = adapter_dir / name
        if not path.is_file() or file_sha256(path) != digest:
            raise IntegrityFailure(f"run {run.id}: adapter file {path} does not hash to what the run recorded")
    import warnings

    from transformers.utils import logging as hf_logging

    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # no "Loading weights" bar in a command's output
    try:
        base = load_base_model(recipe.model_path, recipe["model"]["quantization"], device)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)
            model = PeftModel.from_pretrained(base, adapter_dir, is_trainable=False)
    finally:
        if bar:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    model.eval()
    return model


def example_losses(model: Any, examples: Sequence[tuple[list[int], list[int]]], pad_token_id: int, device: Any,
                   batch_size: int = 32) -> list[float]:
    """Each example's mean loss over its supervised tokens (the training loss), in order."""
    import torch

    from govern.training.data import Collator
    from govern.training.loss import per_example_loss

    collator = Collator(pad_token_id)
    out: list[float] = []
    with torch.no_grad():
        for start in range(0, len(examples), batch_size):
            batch = collator(list(examples[start:start + batch_size]))
            batch = {k: v.to(device) for k, v in batch.items()}
            logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
            out += [float(x) for x in per_example_loss(logits, batch["labels"]).cpu()]
    return out


def supervised_tokens(examples: Sequence[tuple[list[int], list[int]]]) -> list[int]:
    """How many tokens each example's loss averages over (labels after the first position)."""
    from govern.training.data import IGNORE_INDEX

    return [max(1, sum(1 for label in labels[1:] if label != IGNORE_INDEX)) for _, labels in examples]


def _perplexity(loss: float) -> float:
    return math.exp(min(loss, 700.0))


# ---------------------------------------------------------------------------------------------
# The evaluation


def evaluate_run(workspace: Any, actor: PrivateIdentity, run_id: str, snapshot_ref: str,
                 device: str | None = None, batch_size: int = 32) -> tuple[Evaluation, dict[str, Any]]:
    """Evaluate a finished run's adapter and its base model on a held-out snapshot; store and ledger it."""
    from govern.runs import get_run
    from govern.training.data import encode_records
    from govern.training.model import load_tokenizer, pick_device

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
