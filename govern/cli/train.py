"""`govern train` and `govern runs`: gated DP-LoRA runs and their records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from govern.cli._common import Invocation, common_options


def _single_result_text(result: dict[str, Any]) -> str:
    guarantee = (
        f"(ε = {result['epsilon']:.3f}, δ = {result['delta']:.2e}, {result['accountant']} accountant)"
        if result.get("private")
        else "(NOT PRIVATE: no differential privacy)"
    )
    return f"Run {result['run_id']} completed: {result['steps']} steps {guarantee}\nAdapter: {result['adapter_dir']}"


def _retrain_text(result: dict[str, Any]) -> str:
    lines = [f"Family {result['family']}:"]
    lines += [
        f"  shard {s['index']}: retrained as {s['run_id']} (was {s['replaces']})"
        for s in result["retrained"]
    ]
    lines += [
        f"  shard {s['index']}: reused {s['run_id']} (its records are unchanged)"
        for s in result["reused"]
    ]
    return "\n".join([*lines, result["next"]])


def _result_text(result: dict[str, Any]) -> str:
    if "shards" in result:
        per = ", ".join(
            f"shard {s['index']} {s['run_id']} ε {s['epsilon']:.3f}" for s in result["shards"]
        )
        return (
            f"Sharded run {result['family']}: ε = {result['epsilon']:.3f} (max over shards); {per}"
        )
    return _single_result_text(result)


@click.command("train")
@click.argument("recipe", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option(
    "--snapshot", "snapshots", multiple=True, help="Approved snapshot to train on (repeatable)."
)
@click.option(
    "--resume", "resume_id", help="Resume this crashed or interrupted run from its last checkpoint."
)
@click.option(
    "--init-adapter", "init_run", help="Continue from this finished run's adapter (multi-stage)."
)
@click.option(
    "--retrain-shards",
    "family",
    help="Retrain only the shards of this sharded run (shards-...) that an erasure changed.",
)
@click.option("--device", help="cpu, cuda or cuda:N (default: cuda when available).")
@common_options(acts_as_key=True)
def train_command(
    inv: Invocation,
    recipe: Path | None,
    snapshots: tuple[str, ...],
    resume_id: str | None,
    init_run: str | None,
    family: str | None,
    device: str | None,
) -> None:
    """Train a LoRA adapter with differential privacy on approved snapshots only.

    The recipe (train/*.toml or .yaml) is checked before any data is read; the gate then checks
    every snapshot's bytes, approvals, consent, roles and privacy budget, and refuses (exit 1)
    with every failed check listed. Ctrl-C stops at a step boundary with a checkpoint. The
    progress bar shows the training loss; it is not covered by ε and is recorded nowhere else
    than the run folder's training-loss.NOT-COVERED-BY-EPSILON.jsonl.

    A recipe with `[train] shards = k` trains k adapters on disjoint shards of subjects (ε: the
    maximum over shards); after `govern consent erase`, `--retrain-shards FAMILY` retrains only
    the shards that held the subject.

    Several processes: `torchrun --nproc-per-node N --no-python govern train ...`; rank 0 admits
    and catalogues the run, the others join it.

    \b
    Example:
      govern train train/dp-lora.toml --snapshot 3f9a1c --key eng.key
      govern train --resume run-0123abcd4567 --key eng.key
      govern train --retrain-shards shards-0123abcd4567 --key eng.key
      torchrun --nproc-per-node 2 --no-python govern train train/dp-lora.toml --snapshot 3f9a1c --key eng.key
    """
    training = inv.workspace().training
    if family:
        retrained = training.retrain_shards(inv.actor(), family, snapshots, device=device)
        inv.emit(retrained, lambda: _retrain_text(retrained))
        return
    if resume_id:
        result = training.resume(
            inv.actor(), resume_id, progress=inv.progress_enabled(), device=device
        )
    else:
        if recipe is None:
            raise click.UsageError("give a RECIPE (or --resume RUN_ID)")
        result = training.train(
            inv.actor(),
            recipe,
            snapshots,
            init_run=init_run,
            progress=inv.progress_enabled(),
            device=device,
        )
    from govern.training.distributed import is_primary_process

    if is_primary_process():  # under torchrun, one answer: rank 0's
        inv.emit(result, lambda: _result_text(result))


@click.group("runs")
def runs_group() -> None:
    """List training runs and show one."""


@runs_group.command("list")
@common_options()
def runs_list(inv: Invocation) -> None:
    """List training runs with status and ε spent.

    \b
    Example:
      govern runs list --json
    """
    rows = inv.workspace().training.runs()
    inv.emit(
        rows,
        lambda: (
            "\n".join(
                f"{r['id']}  {r['status']:<11} {r['recipe']:<24} "
                + (
                    f"ε={r['epsilon_spent']:.3f}"
                    if r["epsilon_spent"] is not None
                    else "not private"
                )
                for r in rows
            )
            or "No runs."
        ),
    )


@runs_group.command("show")
@click.argument("run_id")
@common_options()
def runs_show(inv: Invocation, run_id: str) -> None:
    """Show a run: data, model and recipe hashes, DP parameters, ε spent, events.

    \b
    Example:
      govern runs show run-0123abcd4567
    """
    data = inv.workspace().training.run(run_id)
    inv.emit(
        data,
        lambda: (
            "\n".join(f"{k}: {v}" for k, v in data.items() if k != "events")
            + "\nevents:\n"
            + "\n".join(
                f"  {e['at']}  {e['kind']:<12} step {e['step']}  ε={e['epsilon']}"
                for e in data["events"]
            )
        ),
    )


@runs_group.command("chain")
@click.argument("run_id")
@click.option("--mermaid", is_flag=True, help="Print the chain as a Mermaid flowchart.")
@common_options()
def runs_chain(inv: Invocation, run_id: str, mermaid: bool) -> None:
    """Show a run's stages: stage 1 → stage 2 → … following --init-adapter parents.

    Each stage with its snapshots, ε (and privacy unit) and the adapter - base delta of every
    suite metric run on it.

    \b
    Example:
      govern runs chain run-0123abcd4567
      govern runs chain run-0123abcd4567 --mermaid > chain.mmd
    """
    from govern.evaluation.chain import chain_mermaid, chain_text, run_chain

    with inv.workspace().catalog.reading() as session:
        data = run_chain(session, run_id)
    inv.emit(data, lambda: chain_mermaid(data) if mermaid else chain_text(data))


@runs_group.command("card")
@click.argument("run_id")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the card (default: MODEL_CARD.md in the run folder).",
)
@common_options(acts_as_key=True)
def runs_card(inv: Invocation, run_id: str, out: Path | None) -> None:
    """Render a completed run's model card with its suite results (`govern eval --suite`); ledgered.

    The adapter folder's README.md stays as the run wrote it (its hash is attested); this card
    adds the Hugging Face model-index of every ledgered suite evaluation.

    \b
    Example:
      govern runs card run-0123abcd4567 --out card/README.md --key eng.key
    """
    done = inv.workspace().training.card(inv.actor(), run_id, out)
    inv.emit(
        done,
        lambda: (
            f"Wrote {done['path']} (sha256 {done['card_sha256'][:16]}…, "
            f"{len(done['evaluations'])} suite evaluation(s)); ledger entry {done['ledger_seq']}"
        ),
    )
