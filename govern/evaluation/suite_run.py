"""`govern eval RUN --suite NAME`: base and adapter generate on the suite's held-out prompts and are
scored on every metric the suite names, each with a bootstrap interval; stored in the ledger.

The held-out snapshot is read through the gate's evaluation door (as `govern eval --snapshot`):
approved, consented, not trained on. Outputs are scored in memory and dropped; the ledger keeps
per-metric estimates, the generation settings and the PII probe's counts, never generated text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from govern import ledger
from govern.errors import BadInput
from govern.evaluation import metrics
from govern.evaluation.heldout import completed_event, run_recipe
from govern.evaluation.suites import Suite, load_suite, suite_path
from govern.gate import Gate
from govern.ledger.authority import require
from govern.ledger.keys import PrivateIdentity

SUITE_EVENT = "run.suite_evaluated"


@dataclass(frozen=True)
class SuiteItems:
    """The suite's records as prompts and references, in snapshot order."""

    snapshot_id: str
    records: list[Mapping[str, Any]]
    prompts: list[str]
    references: list[str]


def suite_items(workspace: Any, actor: PrivateIdentity, run_id: str, suite: Suite) -> SuiteItems:
    """The suite's held-out records, admitted by the gate's evaluation door."""
    admission = Gate(workspace).admit_for_evaluation(actor, [suite.snapshot], run_id)
    records = list(admission.data.read())
    if suite.limit:
        records = records[: suite.limit]
    if not records:
        raise BadInput(f"suite {suite.name}: snapshot {suite.snapshot} holds no records")
    prompts: list[str] = []
    references: list[str] = []
    for number, record in enumerate(records, start=1):
        for key, out in ((suite.prompt_field, prompts), (suite.reference_field, references)):
            value = record.get(key)
            if not isinstance(value, str):
                raise BadInput(
                    f"suite {suite.name}: record {number} of snapshot "
                    f"{admission.data.snapshot_ids[0][:12]} has no text field {key!r}"
                )
            out.append(value)
    return SuiteItems(admission.data.snapshot_ids[0], records, prompts, references)


def _estimates(
    suite: Suite, base: list[float], adapter: list[float]
) -> dict[str, dict[str, float]]:
    b = suite.bootstrap
    return {
        "base": metrics.bootstrap(base, b.resamples, b.confidence, b.seed).as_dict(),
        "adapter": metrics.bootstrap(adapter, b.resamples, b.confidence, b.seed).as_dict(),
        "delta": metrics.paired_difference(
            adapter, base, b.resamples, b.confidence, b.seed
        ).as_dict(),
    }


def generate_both(
    workspace: Any, actor: PrivateIdentity, run_id: str, suite: Suite, device: str | None
) -> tuple[Any, SuiteItems, list[str], list[str], Any]:
    """The run's base and adapter continuations of the suite's prompts (same prompts, greedy)."""
    from govern.evaluation.generation import generate
    from govern.training.inference import load_run_model
    from govern.training.model import load_tokenizer, pick_device
    from govern.training.run_status import get_run

    with workspace.catalog.reading() as session:
        require(session, actor, "run.evaluate")
        run = get_run(session, run_id)
        adapter_files = completed_event(session, run).get("adapter_files") or {}
    _, recipe = run_recipe(run)
    items = suite_items(workspace, actor, run.id, suite)
    tokenizer = load_tokenizer(recipe.tokenizer_path)
    torch_device = pick_device(device)
    model = load_run_model(run, recipe, adapter_files, torch_device)
    settings = suite.generation
    options = {
        "max_new_tokens": settings.max_new_tokens,
        "batch_size": settings.batch_size,
        "device": torch_device,
    }
    adapter = generate(model, tokenizer, items.prompts, label="adapter", **options)
    with model.disable_adapter():
        base = generate(model, tokenizer, items.prompts, label="base model", **options)
    return run, items, base, adapter, (model, tokenizer, recipe, torch_device)


def evaluate_suite(
    workspace: Any, actor: PrivateIdentity, run_id: str, suite_name: str, device: str | None = None
) -> dict[str, Any]:
    """Run a suite on a finished run; return (and ledger) the per-metric estimates."""
    suite = load_suite(suite_path(workspace, suite_name))
    run, items, base_out, adapter_out, loaded = generate_both(
        workspace, actor, run_id, suite, device
    )
    scores: dict[str, dict[str, dict[str, float]]] = {}
    for name in suite.metrics:
        if name == "loss":
            scores[name] = _estimates(suite, *_losses(suite, items, loaded))
            continue
        scorer = metrics.SCORERS[name]
        base = [
            scorer(metrics.clean_generation(o), r)
            for o, r in zip(base_out, items.references, strict=True)
        ]
        adapter = [
            scorer(metrics.clean_generation(o), r)
            for o, r in zip(adapter_out, items.references, strict=True)
        ]
        scores[name] = _estimates(suite, base, adapter)
    payload: dict[str, Any] = {
        "run_id": run.id,
        "suite": suite.name,
        "suite_hash": suite.hash,
        "snapshot_id": items.snapshot_id,
        "items": len(items.prompts),
        "generation": {**suite.generation.model_dump(), "decoding": "greedy"},
        "bootstrap": suite.bootstrap.model_dump(),
        "metrics": scores,
        "privacy_charge": "none (no gradient; aggregate scores only)",
    }
    with workspace.catalog.transaction() as session:
        if suite.pii_probe:
            from govern.evaluation.regurgitation import probe_outputs

            payload["pii_probe"] = probe_outputs(workspace, session, run, adapter_out)
        entry = ledger.append(session, actor, SUITE_EVENT, [run.id, items.snapshot_id], payload)
    return {**payload, "ledger_seq": entry.seq}


def _losses(suite: Suite, items: SuiteItems, loaded: Any) -> tuple[list[float], list[float]]:
    from govern.training.data import encode_records
    from govern.training.inference import example_losses

    model, tokenizer, recipe, device = loaded
    settings = {
        "format": "prompt_completion",
        "prompt_field": suite.prompt_field,
        "completion_field": suite.reference_field,
        "max_length": recipe["data"]["max_length"],
    }
    examples = encode_records(items.records, tokenizer, settings)
    batch = suite.generation.batch_size
    adapter = example_losses(model, examples, tokenizer.pad_token_id, device, batch)
    with model.disable_adapter():
        base = example_losses(model, examples, tokenizer.pad_token_id, device, batch)
    return base, adapter


def suite_results(session: Session, run_id: str) -> list[dict[str, Any]]:
    """A run's suite evaluations, from the ledger entries that recorded them (oldest first)."""
    from govern.ledger.authority import verified_entries

    return [
        {**payload, "ledger_seq": entry.seq}
        for entry, payload in verified_entries(session, SUITE_EVENT, run_id)
    ]
