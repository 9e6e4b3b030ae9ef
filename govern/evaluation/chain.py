"""A run's chain of stages: stage 1 -> stage 2 -> ..., following `--init-adapter` parents.

Each stage shows the snapshots it trained on, its ε with the privacy unit, and the adapter-minus-
base delta of every suite metric run on it (the newest run of each suite). The stage-N adapter
carries every earlier stage's training, so each ε is stated for that stage's own snapshots; the
chain is read from ledger-backed rows only (runs, verified suite entries).
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from govern.catalog.models import Dataset, Snapshot, TrainingRun
from govern.errors import IntegrityFailure

MAX_STAGES = 100  # a longer chain means a cycle in the catalog: refused, not followed


def _stages(session: Session, run: TrainingRun) -> list[TrainingRun]:
    chain, seen = [run], {run.id}
    while chain[0].init_run_id:
        parent = session.get(TrainingRun, chain[0].init_run_id)
        if parent is None:
            raise IntegrityFailure(
                f"run {chain[0].id} continues run {chain[0].init_run_id}, which is not in the catalog"
            )
        if parent.id in seen or len(chain) >= MAX_STAGES:
            raise IntegrityFailure(f"the --init-adapter chain of run {run.id} loops at {parent.id}")
        seen.add(parent.id)
        chain.insert(0, parent)
    return chain


def _snapshot(session: Session, snapshot_id: str) -> dict[str, Any]:
    snapshot = session.get(Snapshot, snapshot_id)
    dataset = session.get(Dataset, snapshot.dataset_id) if snapshot else None
    return {
        "id": snapshot_id,
        "dataset": dataset.name if dataset else None,
        "records": snapshot.record_count if snapshot else None,
        "transform": snapshot.transform if snapshot else None,
    }


def suite_deltas(session: Session, run_id: str) -> list[dict[str, Any]]:
    """Per suite (its newest run on this adapter): every metric's base, adapter and delta estimates."""
    from govern.evaluation.suite_run import suite_results

    newest: dict[str, dict[str, Any]] = {}
    for result in suite_results(session, run_id):
        newest[result["suite"]] = result
    return [
        {
            "suite": name,
            "ledger_seq": result["ledger_seq"],
            "items": result["items"],
            "snapshot_id": result["snapshot_id"],
            "metrics": result["metrics"],
            "pii_probe": result.get("pii_probe"),
        }
        for name, result in sorted(newest.items())
    ]


def run_chain(session: Session, run_id: str) -> dict[str, Any]:
    """The stages leading to `run_id` (first stage first), each with its data, ε and suite deltas."""
    from govern.training.privacy_unit import run_privacy_unit
    from govern.training.run_status import get_run, run_status

    run = get_run(session, run_id)
    stages = []
    for number, stage in enumerate(_stages(session, run), start=1):
        status = run_status(session, stage)
        unit = run_privacy_unit(session, stage.ledger_seq)
        stages.append(
            {
                "stage": number,
                "run_id": stage.id,
                "recipe": stage.recipe_name,
                "status": status["status"],
                "created_at": stage.created_at,
                "init_run_id": stage.init_run_id,
                "dp": stage.dp_enabled,
                "epsilon": status["epsilon_spent"],
                "delta": stage.delta,
                "privacy_unit": unit.as_dict()["privacy_unit"],
                "snapshots": [_snapshot(session, s) for s in json.loads(stage.snapshot_ids)],
                "suites": suite_deltas(session, stage.id),
            }
        )
    return {"run_id": run.id, "stages": stages}


def _epsilon(stage: dict[str, Any]) -> str:
    if not stage["dp"]:
        return "NOT PRIVATE"
    if stage["epsilon"] is None:
        return "ε not yet spent"
    return f"ε={stage['epsilon']:.3g} (δ={stage['delta']:g}, per {stage['privacy_unit']})"


def _delta(estimate: dict[str, float]) -> str:
    return f"{estimate['mean']:+.3g} [{estimate['low']:+.3g}, {estimate['high']:+.3g}]"


def chain_text(data: dict[str, Any]) -> str:
    """The chain as lines a person reads."""
    lines = [f"Chain of run {data['run_id']} ({len(data['stages'])} stage(s)):"]
    for stage in data["stages"]:
        arrow = "  " if stage["stage"] == 1 else "→ "
        lines.append(
            f"{arrow}stage {stage['stage']}: {stage['run_id']} ({stage['recipe']}, "
            f"{stage['status']}), {_epsilon(stage)}"
        )
        for s in stage["snapshots"]:
            lines.append(f"      data: {s['id'][:12]} of {s['dataset']} ({s['records']} records)")
        for suite in stage["suites"]:
            shown = ", ".join(
                f"{name} {_delta(values['delta'])}" for name, values in suite["metrics"].items()
            )
            lines.append(f"      suite {suite['suite']} (adapter - base): {shown}")
        if not stage["suites"]:
            lines.append("      no suite run (`govern eval RUN --suite NAME`)")
    lines.append(
        "  Each ε covers that stage's own snapshots; a later adapter carries every earlier stage."
    )
    return "\n".join(lines)


def chain_mermaid(data: dict[str, Any]) -> str:
    """The chain as a Mermaid flowchart (ids and numbers only)."""
    lines = ["flowchart LR"]
    for stage in data["stages"]:
        node = f"s{stage['stage']}"
        label = f"stage {stage['stage']}<br/>{stage['run_id']}<br/>{_epsilon(stage)}"
        lines.append(f'  {node}["{label}"]')
        for index, snap in enumerate(stage["snapshots"]):
            lines.append(f'  d{stage["stage"]}_{index}[("{snap["id"][:12]}")] --> {node}')
        if stage["stage"] > 1:
            lines.append(f"  s{stage['stage'] - 1} -->|init adapter| {node}")
    return "\n".join(lines)
