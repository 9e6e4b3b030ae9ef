"""`govern eval`: loss and perplexity of a run's adapter and its base model on held-out data."""

from __future__ import annotations

from typing import Any

import click

from govern.cli._common import Invocation, common_options


def _text(data: dict[str, Any]) -> str:
    gain = data["base_loss"] - data["adapter_loss"]
    return (
        f"Evaluation {data['id']} of run {data['run_id']} on held-out snapshot {data['snapshot_id'][:12]} "
        f"({data['examples']} examples)\n"
        f"  base model : loss {data['base_loss']:.4f}  perplexity {data['base_perplexity']:.2f}\n"
        f"  adapter    : loss {data['adapter_loss']:.4f}  perplexity {data['adapter_perplexity']:.2f}\n"
        f"  the adapter {'lowers' if gain > 0 else 'does not lower'} the held-out loss by {gain:.4f}"
    )


METRIC_NAMES = {
    "exact_match": "exact match",
    "rouge_l": "ROUGE-L",
    "chrf": "chrF",
    "accuracy": "label accuracy",
    "loss": "loss",
}


def suite_text(data: dict[str, Any]) -> str:
    """A suite result as a table: metric, base, adapter, difference, each with its interval."""
    level = round(100 * data["bootstrap"]["confidence"])
    lines = [
        f"Suite {data['suite']} on run {data['run_id']}: {data['items']} held-out items of snapshot "
        f"{data['snapshot_id'][:12]} ({level}% bootstrap intervals, greedy decoding)",
        f"  suite sha256 {data['suite_hash']} (a pack's release.require_suite pins it)",
        f"  {'metric':<15} {'base':>22} {'adapter':>22} {'adapter - base':>24}",
    ]

    def cell(est: dict[str, float]) -> str:
        return f"{est['mean']:.3f} [{est['low']:.3f}, {est['high']:.3f}]"

    for name, est in data["metrics"].items():
        lines.append(
            f"  {METRIC_NAMES.get(name, name):<15} {cell(est['base']):>22} "
            f"{cell(est['adapter']):>22} {cell(est['delta']):>24}"
        )
    probe = data.get("pii_probe")
    if probe:
        lines.append(
            f"  PII probe: {probe['outputs_with_pii']} of {probe['outputs']} outputs hold personal "
            f"data; {probe['matched_training_values']} value(s) match the run's training data"
        )
    return "\n".join(lines)


@click.command("eval")
@click.argument("run_id")
@click.option(
    "--snapshot",
    "snapshot",
    help="Approved held-out snapshot (not one the run trained on): loss and perplexity.",
)
@click.option(
    "--suite",
    "suite",
    help="Evaluation suite evals/NAME.yaml: generation metrics for base and adapter, with intervals.",
)
@click.option("--device", help="cpu, cuda or cuda:N (default: cuda when available).")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=32,
    show_default=True,
    help="Examples per forward pass.",
)
@common_options(acts_as_key=True)
def eval_command(
    inv: Invocation,
    run_id: str,
    snapshot: str | None,
    suite: str | None,
    device: str | None,
    batch_size: int,
) -> None:
    """Evaluate RUN's adapter and its base model on an approved, held-out snapshot.

    The snapshot is read through the gate: its bytes, approvals and consent are re-checked from
    scratch, and it is refused (exit 1) if the run trained on it, it derives from or shares
    records with a training snapshot. Loss is the training loss (completion tokens only for
    prompt/completion recipes); perplexity is exp(loss). The result is stored and ledgered
    (run.evaluated). Evaluation spends no privacy budget. Engineer or reviewer keys.

    \b
    With --suite NAME, base and adapter generate (greedy, batched) on the suite's held-out prompts
    and are scored on its metrics (exact match, ROUGE-L, chrF, label accuracy, loss), each with a
    bootstrap interval and the adapter-minus-base difference; outputs are scanned for personal data
    seen in training (the PII probe). Ledgered as run.suite_evaluated.

    \b
    Example:
      govern eval run-0123abcd4567 --snapshot 7c21e0 --key eng.key --json
      govern eval run-0123abcd4567 --suite support-answers --key eng.key
    """
    from govern.errors import BadInput

    if (snapshot is None) == (suite is None):
        raise BadInput("give exactly one of --snapshot SNAPSHOT or --suite NAME")
    if suite is not None:
        from govern.evaluation.suite_run import evaluate_suite

        result = evaluate_suite(inv.workspace(), inv.actor(), run_id, suite, device=device)
        inv.emit(result, lambda: suite_text(result))
        return
    assert snapshot is not None
    from govern.evaluation.heldout import evaluation_dict

    row, detail = inv.workspace().evaluation.evaluate(
        inv.actor(), run_id, snapshot, device=device, batch_size=batch_size
    )
    data = evaluation_dict(row, detail)
    inv.emit(data, lambda: _text(data))
