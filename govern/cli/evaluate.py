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


@click.command("eval")
@click.argument("run_id")
@click.option(
    "--snapshot",
    "snapshot",
    required=True,
    help="Approved held-out snapshot (not one the run trained on).",
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
    inv: Invocation, run_id: str, snapshot: str, device: str | None, batch_size: int
) -> None:
    """Evaluate RUN's adapter and its base model on an approved, held-out snapshot.

    The snapshot is read through the gate: its bytes, approvals and consent are re-checked from
    scratch, and it is refused (exit 1) if the run trained on it, it derives from or shares
    records with a training snapshot. Loss is the training loss (completion tokens only for
    prompt/completion recipes); perplexity is exp(loss). The result is stored and ledgered
    (run.evaluated). Evaluation spends no privacy budget. Engineer or reviewer keys.

    \b
    Example:
      govern eval run-0123abcd4567 --snapshot 7c21e0 --key eng.key --json
    """
    from govern.evaluation.heldout import evaluation_dict

    row, detail = inv.workspace().evaluation.evaluate(
        inv.actor(), run_id, snapshot, device=device, batch_size=batch_size
    )
    data = evaluation_dict(row, detail)
    inv.emit(data, lambda: _text(data))
