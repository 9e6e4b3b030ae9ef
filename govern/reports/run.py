"""The run report: a model card for one training run and its adapter.

Base model and its hash, recipe and its hash, the snapshots and their approvals, the DP
guarantee, each dataset's remaining budget, loss and ε curves, the lineage graph, the gate's
checks, and whether the ledger verifies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from govern.catalog.models import Dataset, LedgerEntry, RunEvent, Snapshot, TrainingRun
from govern.ingest.snapshots import ancestors
from govern.reports._base import (
    MAX_LISTED,
    ReportKind,
    entries_on,
    header,
    loads,
    payload_of,
    register,
    revocations_touching,
    short,
)
from govern.reports.dataset import approval_facts
from govern.reports.run_evaluation import evaluation_facts
from govern.training.privacy_unit import PrivacyUnit, run_privacy_unit

RECIPE_SECTIONS = ("lora", "dp", "schedule", "data")


def build_run_report(workspace: Any, run_id: str) -> dict[str, Any]:
    """The facts of a run's model card, read from the catalog, the run folder and a ledger verification."""
    from govern.ledger.verify import verify_workspace
    from govern.training.run_status import get_run, run_status

    with workspace.catalog.reading() as session:
        run = get_run(session, run_id)
        snapshot_ids = loads(run.snapshot_ids, [])
        dataset_ids = loads(run.dataset_ids, [])
        facts = header(
            session,
            workspace,
            "run",
            {"id": run.id, "label": f"training run {run.id}"},
            {"snapshot_ids": snapshot_ids, "dataset_ids": dataset_ids, "run_ids": [run.id]},
        )
        status = run_status(session, run)
        folder = run_folder(run)
        facts.update(
            {
                "run": _run_facts(run, status, folder),
                "recipe": _recipe_facts(run, folder),
                "base_model": _base_model_facts(run, folder),
                "dp": _dp_facts(run, status, folder, run_privacy_unit(session, run.ledger_seq))
                | {"shard": _shard_facts(session, run.id)},
                "budget": budget_facts(workspace, session, snapshot_ids, run.delta, run.accountant),
                "snapshots": [_snapshot_facts(session, sid) for sid in snapshot_ids],
                "metrics": privacy_curve(session, run.id),
                "gate": _gate_facts(session, run),
                "adapter": _adapter_facts(session, run, folder),
                "lineage": lineage_graph(session, run),
                "events": status["events"],
                "release": release_facts(workspace, session, run),
                "synthetic_comparison": _synthetic_comparison(session, run),
                "evaluation": evaluation_facts(session, run),
            }
        )
    facts["verification"] = verification_facts(verify_workspace(workspace))
    return facts


def run_folder(run: TrainingRun) -> dict[str, Any]:
    """What the run folder holds: run.json, result.json and the metrics (missing files read as empty)."""
    from govern.training.run_files import RESULT_FILE, RUN_FILE

    root = Path(run.output_dir)

    def read_json(name: str) -> dict[str, Any]:
        try:
            data = json.loads((root / name).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    return {
        "run": read_json(RUN_FILE),
        "result": read_json(RESULT_FILE),
        "present": (root / RUN_FILE).is_file(),
    }


def privacy_curve(session: Session, run_id: str) -> list[dict[str, Any]]:
    """ε spent at each ledgered checkpoint and at completion. Training loss is not shown: it is a
    statistic of the private data that ε does not cover."""
    from govern.training.spending import LIFECYCLE_EVENTS, run_entries

    return [
        {"step": payload.get("step"), "epsilon": payload.get("epsilon")}
        for entry, payload in run_entries(session, run_id, LIFECYCLE_EVENTS)
        if entry.event in ("run.checkpoint", "run.completed") and payload.get("epsilon") is not None
    ]


def _run_facts(run: TrainingRun, status: dict[str, Any], folder: dict[str, Any]) -> dict[str, Any]:
    info = folder["run"]
    return {
        "id": run.id,
        "status": status["status"],
        "recipe_name": run.recipe_name,
        "created_at": run.created_at,
        "created_by": run.created_by,
        "init_run_id": run.init_run_id,
        "planned_steps": run.planned_steps,
        "charged_steps": status["charged_steps"],
        "ledger_seq": run.ledger_seq,
        "device": info.get("device"),
        "attempts": info.get("attempts"),
        "versions": info.get("versions", {}),
        "run_folder_present": folder["present"],
    }


def _recipe_facts(run: TrainingRun, folder: dict[str, Any]) -> dict[str, Any]:
    recipe = folder["run"].get("recipe", {})
    return {
        "name": run.recipe_name,
        "hash": run.recipe_hash,
        "source": Path(folder["run"]["recipe_source"]).name
        if folder["run"].get("recipe_source")
        else None,
        "settings": {
            name: recipe.get(name) for name in RECIPE_SECTIONS if isinstance(recipe.get(name), dict)
        },
    }


def _base_model_facts(run: TrainingRun, folder: dict[str, Any]) -> dict[str, Any]:
    base = folder["run"].get("base_model", {})
    return {
        "hash": run.base_model_hash,
        "name": Path(base["path"]).name if base.get("path") else None,
        "files": base.get("files", {}),
        "quantization": folder["run"].get("quantization"),
    }


def _shard_facts(session: Session, run_id: str) -> dict[str, Any] | None:
    """The shard a sharded run trained (`train.shards`), from its verified run.started entry."""
    from govern.training.shards import run_shard

    spec = run_shard(session, run_id)
    if spec is None:
        return None
    return {"family": spec.family, "index": spec.index, "of": spec.of}


def _dp_facts(
    run: TrainingRun, status: dict[str, Any], folder: dict[str, Any], unit: PrivacyUnit
) -> dict[str, Any]:
    from govern.training.card import guarantee_sentence

    result = folder["result"]
    plan = folder["run"].get("plan", {})
    facts = {
        "enabled": run.dp_enabled,
        "epsilon": result.get("epsilon", status["epsilon_spent"]),
        "epsilon_from_charges": status["epsilon_spent"],
        "delta": run.delta,
        "accountant": run.accountant,
        "max_grad_norm": run.max_grad_norm,
        "noise_multiplier": run.noise_multiplier,
        "sample_rate": run.sample_rate,
        "target_epsilon": run.target_epsilon,
        "planned_epsilon": plan.get("planned_epsilon"),
        "steps": result.get("steps", status["charged_steps"]),
        "charged_steps": status["charged_steps"],
        "clipping_mode": result.get("clipping_mode") or folder["run"].get("clipping_mode"),
        "privacy_unit": unit.describe(),
        "max_records_per_subject": unit.max_records_per_subject,
    }
    facts["statement"] = (
        guarantee_sentence({**facts, "private": run.dp_enabled, **unit.as_dict()})
        if (not run.dp_enabled or facts["epsilon"] is not None)
        else "The run has not finished; no guarantee is stated yet."
    )
    return facts


def budget_facts(
    workspace: Any,
    session: Session,
    snapshot_ids: list[str],
    delta: float | None,
    accountant: str | None,
) -> list[dict[str, Any]]:
    """Per dataset of the run: the lifetime ε budget (from the active pack), the ε its subjects have spent
    over every run that used them, and what remains."""
    from govern.reports.dataset import _active_pack
    from govern.training import spending

    pack, _ = _active_pack(workspace)
    dp = dict(pack.rules.get("dp") or {}) if pack is not None else {}
    budget = dp.get("lifetime_epsilon_budget")
    by_dataset: dict[str, list[str]] = {}
    for snapshot_id in snapshot_ids:
        snapshot = session.get(Snapshot, snapshot_id)
        if snapshot is not None:
            by_dataset.setdefault(snapshot.dataset_id, []).append(snapshot_id)
    found = []
    for dataset_id, ids in by_dataset.items():
        dataset = session.get(Dataset, dataset_id)
        spent = spending.spent_epsilon(session, ids, delta, accountant or "prv") if delta else None
        found.append(
            {
                "dataset_id": dataset_id,
                "dataset_name": dataset.name if dataset else None,
                "lifetime_budget": float(budget) if budget is not None else None,
                "spent": spent,
                "remaining": (float(budget) - spent)
                if budget is not None and spent is not None
                else None,
                "delta": delta,
                "accountant": accountant,
                "pack": pack.name if pack is not None else None,
            }
        )
    return found


def _snapshot_facts(session: Session, snapshot_id: str) -> dict[str, Any]:
    snapshot = session.get(Snapshot, snapshot_id)
    if snapshot is None:
        return {"id": snapshot_id, "missing": True, "approvals": []}
    dataset = session.get(Dataset, snapshot.dataset_id)
    approvals = approval_facts(session, snapshot_id)
    return {
        "id": snapshot.id,
        "missing": False,
        "dataset_id": snapshot.dataset_id,
        "dataset_name": dataset.name if dataset else None,
        "transform": snapshot.transform,
        "parent_id": snapshot.parent_id,
        "record_count": snapshot.record_count,
        "license": dataset.license if dataset else None,
        "legal_basis": dataset.legal_basis if dataset else None,
        "approvals": approvals,
        "verified_approvals": sum(
            1
            for a in approvals
            if a["verdict"] == "approved"
            and a["signature_verified"]
            and not a["voided_by_later_rejection"]
        ),
        "rejections": sum(1 for a in approvals if a["verdict"] == "rejected"),
    }


def _gate_facts(session: Session, run: TrainingRun) -> dict[str, Any]:
    entry = session.get(LedgerEntry, run.ledger_seq)
    payload = payload_of(entry) if entry else {}
    return {
        "checks": payload.get("gate_checks", []),
        "planned_epsilon": payload.get("planned_epsilon"),
        "records": payload.get("records"),
        "admitted_at": entry.recorded_at if entry else None,
        "ledger_seq": run.ledger_seq,
    }


def _adapter_facts(
    session: Session, run: TrainingRun, folder: dict[str, Any]
) -> dict[str, Any] | None:
    completed = session.exec(
        select(RunEvent)
        .where(RunEvent.run_id == run.id, RunEvent.kind == "completed")
        .order_by(col(RunEvent.ledger_seq).desc())
    ).first()
    if completed is None:
        return None
    detail = loads(completed.detail, {})
    return {
        "hash": detail.get("adapter_hash"),
        "files": detail.get("adapter_files") or {},
        "folder": "adapter/",
        "ledger_seq": completed.ledger_seq,
    }


def lineage_graph(session: Session, run: TrainingRun) -> dict[str, Any]:
    """Nodes and edges from datasets through snapshots (and their parents) to the run, its adapter and later runs."""
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, str]] = []

    def node(node_id: str, kind: str, label: str, detail: str = "") -> None:
        nodes.setdefault(node_id, {"id": node_id, "kind": kind, "label": label, "detail": detail})

    for snapshot_id in loads(run.snapshot_ids, []):
        snapshot = session.get(Snapshot, snapshot_id)
        if snapshot is None:
            continue
        chain = list(reversed(ancestors(session, snapshot)))
        dataset = session.get(Dataset, chain[0].dataset_id)
        node(
            chain[0].dataset_id,
            "dataset",
            dataset.name if dataset else chain[0].dataset_id,
            chain[0].dataset_id,
        )
        previous = chain[0].dataset_id
        for item in chain:
            node(
                item.id,
                "snapshot",
                short(item.id),
                f"{item.transform}, {item.record_count} records",
            )
            edges.append({"from": previous, "to": item.id, "label": item.transform})
            previous = item.id
        edges.append({"from": snapshot_id, "to": run.id, "label": "trained on"})
    if run.init_run_id:
        node(run.init_run_id, "run", run.init_run_id, "earlier stage")
        edges.append({"from": run.init_run_id, "to": run.id, "label": "continued"})
    node(run.id, "run", run.id, run.recipe_name)
    completed = session.exec(
        select(RunEvent).where(RunEvent.run_id == run.id, RunEvent.kind == "completed")
    ).first()
    if completed is not None:
        adapter_hash = loads(completed.detail, {}).get("adapter_hash") or ""
        node(f"adapter:{run.id}", "adapter", f"adapter {short(adapter_hash)}", "LoRA adapter")
        edges.append({"from": run.id, "to": f"adapter:{run.id}", "label": "produced"})
    for later in session.exec(select(TrainingRun).where(TrainingRun.init_run_id == run.id)).all():
        node(later.id, "run", later.id, "continued from this run")
        edges.append(
            {
                "from": f"adapter:{run.id}" if completed is not None else run.id,
                "to": later.id,
                "label": "continued",
            }
        )
    unique = [dict(t) for t in dict.fromkeys(tuple(sorted(e.items())) for e in edges)]
    return {"nodes": list(nodes.values()), "edges": unique}


def verification_facts(result: Any) -> dict[str, Any]:
    """A verify_workspace result, trimmed for a report."""
    return {
        "ok": result.ok,
        "entries": result.entries,
        "head_seq": result.head_seq,
        "head_hash": result.head_hash,
        "rows_checked": result.rows_checked,
        "snapshots_checked": result.snapshots_checked,
        "erased_records": result.erased_records,
        "problems": result.problems[:MAX_LISTED],
        "problem_count": len(result.problems),
    }


def run_contradictions(
    session: Session, ledgered: dict[str, Any], later: list[LedgerEntry]
) -> list[str]:
    """Later rejections, failing decisions, erasures or consent revocations touching the run's
    snapshots, and a later run state change or remediation decision withdrawing its adapter."""
    covers = ledgered.get("covers", {})
    snapshot_ids = covers.get("snapshot_ids", [])
    found = []
    for e in entries_on(
        later, snapshot_ids, ("snapshot.rejected", "subject.erased", "policy.decided")
    ):
        if e.event == "policy.decided" and payload_of(e).get("outcome") != "fail":
            continue
        what = {
            "snapshot.rejected": "a snapshot of this run was rejected",
            "subject.erased": "a data subject in this run's snapshots was erased",
            "policy.decided": "a policy decision on a snapshot of this run failed",
        }[e.event]
        found.append(f"ledger entry {e.seq} ({e.event}, {e.recorded_at}): {what}")
    for e in entries_on(
        later, covers.get("run_ids", []), ("run.failed", "run.resumed", "run.interrupted")
    ):
        found.append(
            f"ledger entry {e.seq} ({e.event}, {e.recorded_at}): the run changed state after this report"
        )
    for e in entries_on(later, covers.get("run_ids", []), ("remediation.decided",)):
        row = payload_of(e).get("row")
        if isinstance(row, dict) and row.get("decision") == "withdraw":
            found.append(
                f"ledger entry {e.seq} ({e.event}, {e.recorded_at}): the run's adapter was withdrawn"
            )
    head = int(ledgered.get("ledger_head", {}).get("seq", 0))
    return found + revocations_touching(session, snapshot_ids, head)


register(ReportKind("run", "Training run report (model card)", run_contradictions))


def _synthetic_comparison(session: Session, run: TrainingRun) -> list[dict[str, Any]]:
    """This run beside the one trained with (or without) synthetic data, on held-out real data (issue 15)."""
    from govern.synthetic.downstream import downstream_comparison

    return downstream_comparison(session, run)


def release_facts(workspace: Any, session: Session, run: TrainingRun) -> dict[str, Any]:
    """Evaluations, the deciding privacy audit, reviews (signatures checked), releases and the
    release rules as they stand: what issue a release on, shown in the model card. Only rows a
    verified ledger entry vouches for are evidence (`row_problem`); any other row is listed
    under `unverified`, with why, and counted for nothing."""
    import json as _json

    from sqlmodel import col, select

    from govern.catalog.models import Evaluation, Release
    from govern.consent.remediation import remediation_states
    from govern.evaluation.heldout import evaluation_dict
    from govern.evaluation.privacy_audit.audit import audit_dict, vouched_audits, worst_audit
    from govern.evaluation.release import check_release
    from govern.evaluation.reviews import verified_reviews
    from govern.ledger.authority import row_problem

    unverified: list[str] = []

    def vouched(rows: Any, event: str) -> list[Any]:
        kept = []
        for row in rows:
            problem = row_problem(session, row, (event,))
            if problem is None:
                kept.append(row)
            else:
                unverified.append(problem)
        return kept

    evaluations = [
        evaluation_dict(e)
        for e in vouched(
            session.exec(
                select(Evaluation)
                .where(Evaluation.run_id == run.id)
                .order_by(col(Evaluation.ledger_seq))
            ),
            "run.evaluated",
        )
    ]
    audits, unvouched_audits = vouched_audits(session, run.id)
    unverified += unvouched_audits
    audit = worst_audit(audits)
    reviews, invalid = verified_reviews(session, run.id)
    unverified += invalid  # a forged or planted review is named with the other unvouched rows
    releases = vouched(
        session.exec(
            select(Release).where(Release.run_id == run.id).order_by(col(Release.ledger_seq))
        ),
        "run.released",
    )
    return {
        "evaluations": evaluations,
        "privacy_audit": audit_dict(audit) if audit else None,
        "reviews": [
            {
                "rating": r.rating,
                "criteria": _json.loads(r.criteria),
                "notes": r.notes,
                "reviewer": r.reviewer_key_id,
                "role": identity.role,
                "signed_at": r.signed_at,
            }
            for r, identity in reviews
        ],
        "invalid_reviews": invalid,
        "unverified": unverified,
        "released": [
            {"at": r.released_at, "by": r.released_by, "ledger_seq": r.ledger_seq} for r in releases
        ],
        "rules": [rule.to_dict() for rule in check_release(workspace, session, run)],
        "withdrawn": _withdrawal(session, run.id),
        "remediations": [m.to_dict() for m in remediation_states(session, run_id=run.id)],
    }


def _withdrawal(session: Session, run_id: str) -> dict[str, Any] | None:
    """The remediation decision that withdrew the adapter, or None."""
    from govern.consent.remediation import withdrawn

    found = withdrawn(session, run_id)
    if found is None:
        return None
    return {"decision": found.id, "at": found.decided_at, "by": found.decided_by}
