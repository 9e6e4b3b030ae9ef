"""What the console's auditor and run pages read: ledger pages, verification, reports, runs,
lineage, subjects, refusals and the privacy budget, and who the registered keys are (plain data; no record text, no raw subject ids).

With govern/console/library.py, the only place the console imports govern from; library.py
re-exports these, so pages call them as `lib.<name>`.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy import func
from sqlmodel import Session, col, select

from govern.catalog.models import Dataset, LedgerEntry
from govern.clock import format_time, parse_time
from govern.errors import BadInput, GovernError, NotFound
from govern.evaluation.release import check_release
from govern.evaluation.reviews import verified_reviews
from govern.ledger.authority import Authority, RegisteredIdentity
from govern.ledger.verify import AuditResult, verify_workspace
from govern.lineage.graph import build_graph
from govern.lineage.subject import subject_lineage
from govern.policy.activation import active_pack_in, current_activation
from govern.reports import RENDERED_EVENT, ReportCheck, line_chart, lineage_svg, verify_report
from govern.training.run_status import get_run, list_runs, run_status
from govern.training.spending import ledgered_runs, run_entries
from govern.workspace import Workspace


def identities(workspace: Workspace) -> dict[str, RegisteredIdentity]:
    """Every key the verified ledger registered, by key id."""
    with workspace.catalog.reading() as session:
        return dict(Authority.of(session).identities)


def pack_or_error(workspace: Workspace, session: Session) -> tuple[Any, str | None]:
    """The pack in force, or None and why there is none to use."""
    try:
        return active_pack_in(workspace, session), None
    except GovernError as error:
        return None, str(error)


# Auditor -------------------------------------------------------------------------------------


def parse_when(text: str | None, end: bool = False) -> str | None:
    """A user's date or time as the ledger writes times; a bare date as `end` covers that whole day."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = parse_time(text)
    except ValueError:
        raise BadInput(
            f"{text!r} is not a date or time (write 2024-05-01 or 2024-05-01T12:00)"
        ) from None
    if end and len(text) == 10:
        from datetime import timedelta

        value += timedelta(days=1)
    return format_time(value)


def ledger_page(
    workspace: Workspace,
    event: str | None = None,
    actors: list[str] | None = None,
    since: str | None = None,
    until: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """One page of ledger entries, newest first, filtered by event, actor keys and time (keyset paging)."""
    start, end = parse_when(since), parse_when(until, end=True)
    conditions: list[Any] = []
    if event:
        conditions.append(LedgerEntry.event == event)
    if actors is not None:
        conditions.append(col(LedgerEntry.actor_key_id).in_(actors))
    if start:
        conditions.append(LedgerEntry.recorded_at >= start)
    if end:
        conditions.append(LedgerEntry.recorded_at < end)
    with workspace.catalog.reading() as session:
        total = session.exec(select(func.count()).select_from(LedgerEntry).where(*conditions)).one()
        query = select(LedgerEntry).where(*conditions)
        if before:
            query = query.where(LedgerEntry.seq < before)
        rows = session.exec(query.order_by(col(LedgerEntry.seq).desc()).limit(limit + 1)).all()
    entries = [
        {
            "seq": e.seq,
            "recorded_at": e.recorded_at,
            "actor": e.actor_key_id,
            "event": e.event,
            "refs": json.loads(e.refs),
            "payload": json.loads(e.payload),
            "hash": e.entry_hash,
        }
        for e in rows[:limit]
    ]
    return {
        "entries": entries,
        "total": int(total),
        "next_before": entries[-1]["seq"] if len(rows) > limit else None,
    }


def verify(workspace: Workspace, progress: Callable[[str, int, int], None]) -> AuditResult:
    """`govern audit verify`, telling `progress` (stage, done, total) as it goes."""
    return verify_workspace(workspace, progress=progress)


def reports(workspace: Workspace) -> list[dict[str, Any]]:
    """Every report a verified-looking `report.rendered` entry recorded, newest first, and whether its file is here."""
    folder = reports_folder(workspace)
    with workspace.catalog.reading() as session:
        entries = session.exec(
            select(LedgerEntry)
            .where(LedgerEntry.event == RENDERED_EVENT)
            .order_by(col(LedgerEntry.seq).desc())
        ).all()
    found = []
    for entry in entries:
        payload = json.loads(entry.payload)
        name = str(payload.get("file_name") or "")
        found.append(
            {
                "seq": entry.seq,
                "at": entry.recorded_at,
                "by": entry.actor_key_id,
                "kind": payload.get("kind"),
                "format": payload.get("format"),
                "subject": (payload.get("subject") or {}).get("label"),
                "file_name": name,
                "sha256": payload.get("sha256"),
                "bytes": payload.get("bytes"),
                "present": bool(name) and (folder / name).is_file(),
            }
        )
    return found


def reports_folder(workspace: Workspace) -> Path:
    return (workspace.root / "audit_reports").resolve()


def report_file(workspace: Workspace, name: str) -> tuple[Path, dict[str, Any]]:
    """A ledgered report file in audit_reports/ by its file name; NotFound for anything else
    (another folder, a name no `report.rendered` entry recorded, a link leading out)."""
    folder = reports_folder(workspace)
    listed = next((r for r in reports(workspace) if r["file_name"] == name), None)
    if listed is None or "/" in name or "\\" in name or name in ("", ".", ".."):
        raise NotFound(f"no ledgered report named {name!r}")
    path = (folder / name).resolve()
    if path.parent != folder or not path.is_file():
        raise NotFound(f"no ledgered report named {name!r}")
    return path, listed


def verify_uploaded_report(workspace: Workspace, data: bytes, filename: str) -> ReportCheck:
    """`govern report verify` on uploaded bytes (written to a private temporary file, then removed)."""
    suffix = "".join(c for c in Path(filename).suffix[:8] if c.isalnum() or c == ".")
    with tempfile.TemporaryDirectory(dir=workspace.tmp_dir) as folder:
        path = Path(folder) / f"uploaded{suffix}"
        path.write_bytes(data)
        check = verify_report(workspace, path)
    check.path = Path(filename).name
    return check


def runs(workspace: Workspace) -> list[dict[str, Any]]:
    """Every run with its status and ε, from the verified ledger (govern.training.runs.run_status), newest first."""
    with workspace.catalog.reading() as session:
        return [_status(session, run) for run in reversed(list_runs(session))]


def _status(session: Session, run: Any) -> dict[str, Any]:
    try:
        return run_status(session, run)
    except ImportError:  # ε needs the accountant (govern[train]); the rest does not
        return {
            "id": run.id,
            "status": "?",
            "recipe": run.recipe_name,
            "dp": run.dp_enabled,
            "epsilon_spent": None,
            "privacy": "differentially private" if run.dp_enabled else "NOT PRIVATE",
            "created_at": run.created_at,
            "created_by": run.created_by,
            "snapshots": json.loads(run.snapshot_ids),
            "delta": run.delta,
            "planned_steps": run.planned_steps,
            "charged_steps": None,
            "events": [],
        }


def run_detail(workspace: Workspace, run_id: str) -> dict[str, Any]:
    """A run's status, its reviews (verified), and the pack's release rules evaluated now."""
    with workspace.catalog.reading() as session:
        run = get_run(session, run_id)
        status = _status(session, run)
        reviews, review_problems = verified_reviews(session, run.id)
        try:
            rules = [r.to_dict() for r in check_release(workspace, session, run)]
            rules_error = None
        except GovernError as error:
            rules, rules_error = [], str(error)
    return {
        "run": status,
        "reviews": [
            {
                "by": r.reviewer_key_id,
                "rating": r.rating,
                "criteria": json.loads(r.criteria),
                "notes": r.notes,
                "at": r.signed_at,
            }
            for r, _ in reviews
        ],
        "review_problems": review_problems,
        "release_rules": rules,
        "release_error": rules_error,
    }


def run_lineage(workspace: Workspace, run_id: str) -> dict[str, Any]:
    """The lineage of a run (source files to adapters) as nodes and edges, and drawn as inline SVG."""
    graph = build_graph(workspace, run_id).to_dict()
    people = identities(workspace)

    def by_name(
        text: str,
    ) -> str:  # the graph names approvers by key id prefix; the console names people
        for key_id, found in people.items():
            text = text.replace(key_id[:12], found.name)
        return text

    for node in graph["nodes"]:
        node["label"] = by_name(str(node["label"]))
    drawable = {
        "nodes": [
            {
                "id": n["id"],
                "kind": n["kind"],
                "label": n["label"],
                "detail": ", ".join(
                    f"{k} {v}"
                    for k, v in sorted(n["attrs"].items())
                    if isinstance(v, (str, int, float))
                ),
            }
            for n in graph["nodes"]
        ],
        "edges": [
            {"from": e["source"], "to": e["target"], "label": e["relation"]} for e in graph["edges"]
        ],
    }
    return {"graph": graph, "svg": lineage_svg(drawable)}


def subject_lookup(workspace: Workspace, subject_id: str) -> dict[str, Any]:
    """Which snapshots, runs and adapters hold or were built from a subject's records."""
    return subject_lineage(workspace, subject_id).to_dict()


def refusals(workspace: Workspace, before: int | None = None, limit: int = 50) -> dict[str, Any]:
    """The gate's refusals, newest first, each with every reason it gave."""
    return ledger_page(workspace, event="gate.refused", before=before, limit=limit)


def budget(workspace: Workspace, points: int = 24) -> list[dict[str, Any]]:
    """Per dataset: ε spent over time by the private runs that trained on it, composed by the
    accountant from the verified `run.charged` entries (the shards of one family in parallel, as
    the gate composes them), with the active pack's lifetime budget."""
    from govern.training.parallel import group_by_shard, pool_epsilon
    from govern.training.shards import ShardSpec

    with workspace.catalog.reading() as session:
        pack, _ = pack_or_error(workspace, session)
        dp = pack.family("dp") if pack is not None else None
        limit = dp.config.get("lifetime_epsilon_budget") if dp is not None else None
        datasets = {
            d.id: d.name for d in session.exec(select(Dataset).order_by(Dataset.name)).all()
        }
        # per dataset: (recorded at, run id, σ, q, accountant, δ) of every charged step
        charged: dict[str, list[tuple[str, str, float, float, str, float]]] = {}
        shards: dict[str, ShardSpec | None] = {}
        for run in ledgered_runs(session).values():
            if not run.private or run.delta is None:
                continue
            shards[run.run_id] = ShardSpec.from_payload(run.payload)
            steps = [
                (
                    e.recorded_at,
                    run.run_id,
                    float(p["row"]["noise_multiplier"]),
                    float(p["row"]["sample_rate"]),
                    run.accountant,
                    float(run.delta),
                )
                for e, p in run_entries(session, run.run_id, ("run.charged",))
            ]
            for dataset_id in json.loads(run.row.get("dataset_ids") or "[]"):
                charged.setdefault(dataset_id, []).extend(steps)

    def spent_by(
        steps: list[tuple[str, str, float, float, str, float]], delta: float, accountant: str
    ) -> float:
        histories: dict[str, list[tuple[float, float, int]]] = {}
        for _at, run_id, sigma, rate, _acc, _delta in steps:
            histories.setdefault(run_id, []).append((sigma, rate, 1))
        sequential, families = group_by_shard((shards[r], h) for r, h in histories.items())
        return pool_epsilon(sequential, families, delta, accountant)

    found = []
    for dataset_id, steps in charged.items():
        steps.sort()
        delta, accountant = max(s[5] for s in steps), steps[-1][4]
        marks = sorted({round(i * (len(steps) - 1) / max(points - 1, 1)) for i in range(points)})
        series = [
            (parse_time(steps[m][0]).timestamp(), spent_by(steps[: m + 1], delta, accountant))
            for m in marks
        ]
        found.append(
            {
                "dataset_id": dataset_id,
                "dataset": datasets.get(dataset_id, dataset_id),
                "steps": len(steps),
                "spent": series[-1][1],
                "budget": float(limit) if limit is not None else None,
                "delta": delta,
                "accountant": accountant,
                "series": [
                    {"at": format_time(datetime.fromtimestamp(x, UTC)), "epsilon": y}
                    for x, y in series
                ],
                "chart": chart_over_time(
                    series,
                    f"ε spent on {datasets.get(dataset_id, dataset_id)}",
                    "ε",
                    (float(limit), f"lifetime budget {limit}") if limit is not None else None,
                ),
            }
        )
    return sorted(found, key=lambda b: b["dataset"])


def chart_over_time(
    series: list[tuple[float, float]], title: str, y_label: str, limit: tuple[float, str] | None
) -> Markup:
    """A line chart with UTC dates (and times, for a series within a day) on the x axis."""
    span = max(x for x, _ in series) - min(x for x, _ in series) if series else 0

    def when(x: float) -> str:
        moment = datetime.fromtimestamp(x, UTC)
        return moment.strftime(
            "%H:%M:%S" if span < 600 else "%m-%d %H:%M" if span < 2 * 86400 else "%Y-%m-%d"
        )

    return line_chart(
        series,
        title,
        y_label,
        x_label="time (UTC)",
        width=720,
        height=260,
        x_format=when,
        limit=limit,
    )


def activation(workspace: Workspace) -> dict[str, Any] | None:
    with workspace.catalog.reading() as session:
        found = current_activation(session)
    return found.to_dict() if found is not None else None
