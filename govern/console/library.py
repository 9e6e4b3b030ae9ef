"""The console's one door into the library: every govern import of the console is in this file.

Each function reads what a page shows (plain dicts and lists, ids, hashes, counts and names; never
record text or raw subject ids) or starts a signed action. Roles and separation of duties are the
library's: the actions here run the same functions the CLI runs, with a signer held by the browser
(govern.ledger.signing), and the library refuses a key whose role may not act.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlalchemy import func
from sqlmodel import Session, col, select

from govern import clock
from govern.catalog.models import Dataset, LedgerEntry, ScanFinding, Snapshot
from govern.clock import format_time, parse_time
from govern.consent.erasure import erase_subject, impact
from govern.consent.registry import evidence_refs, history, is_active, revoke
from govern.errors import BadInput, GovernError, IntegrityFailure, NotFound, Refused
from govern.evaluation.release import check_release, release_run
from govern.evaluation.reviews import parse_criteria, review_run, verified_reviews
from govern.ingest.datasets import list_snapshots
from govern.ingest.snapshots import resolve_snapshot
from govern.ledger import GENESIS_HASH, head
from govern.ledger.authority import EVENT_SIGNERS, Authority, RegisteredIdentity, RoleRefused
from govern.ledger.keys import Signer, verify_signature
from govern.ledger.signing import BadSignature, RemoteAction
from govern.ledger.verify import AuditResult, verify_workspace
from govern.lineage.graph import build_graph
from govern.lineage.subject import subject_lineage
from govern.policy.activation import active_pack_in, current_activation
from govern.policy.approvals import (
    approval_problems,
    approve,
    is_approved_for_training,
    list_approvals,
    reject,
)
from govern.policy.decisions import involved_people, latest_scan
from govern.policy.status import rejected_now, status_label
from govern.reports import RENDERED_EVENT, ReportCheck, line_chart, lineage_svg, verify_report
from govern.reports.dataset import consent_facts, dataset_facts, pii_facts, snapshot_facts
from govern.training.runs import get_run, list_runs, run_status
from govern.training.spending import ledgered_runs, run_entries
from govern.workspace import Workspace

__all__ = [
    "AuditResult",
    "BadInput",
    "BadSignature",
    "GovernError",
    "IntegrityFailure",
    "NotFound",
    "Refused",
    "RegisteredIdentity",
    "RemoteAction",
    "ReportCheck",
    "RoleRefused",
    "Workspace",
]

MAX_LISTED = 50  # longest list of record ids a page shows in full
EVENTS = tuple(sorted(EVENT_SIGNERS))


def locate_workspace(path: Path | None) -> Workspace:
    """The workspace the CLI would use: --workspace, $GOVERN_WORKSPACE, or the nearest govern.toml above."""
    return Workspace.locate(path)


# People --------------------------------------------------------------------------------------


def identities(workspace: Workspace) -> dict[str, RegisteredIdentity]:
    """Every key the verified ledger registered, by key id."""
    with workspace.catalog.reading() as session:
        return dict(Authority.of(session).identities)


def identity_signing(
    workspace: Workspace, message: bytes, signature: str
) -> RegisteredIdentity | None:
    """The registered identity whose key made `signature` over `message`, or None."""
    return next(
        (
            found
            for found in identities(workspace).values()
            if verify_signature(found.public_key, message, signature)
        ),
        None,
    )


def ledger_head(workspace: Workspace) -> tuple[int, str]:
    with workspace.catalog.reading() as session:
        top = head(session)
    return (top.seq, top.entry_hash) if top is not None else (0, GENESIS_HASH)


# Signed actions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsoleAction:
    """A state-changing action the console offers: its inputs, and the library call it makes."""

    name: str
    fields: tuple[str, ...]
    run: Callable[[Workspace, Signer, dict[str, str]], Any]
    describe: Callable[[Any], str]


def _text(inputs: dict[str, str], name: str, limit: int = 2000) -> str:
    value = str(inputs.get(name) or "").strip()
    if len(value) > limit:
        raise BadInput(f"{name} is longer than {limit} characters")
    return value


def _approve(workspace: Workspace, signer: Signer, inputs: dict[str, str]) -> Any:
    return approve(workspace, signer, _text(inputs, "snapshot", 64), _text(inputs, "note") or None)


def _reject(workspace: Workspace, signer: Signer, inputs: dict[str, str]) -> Any:
    return reject(workspace, signer, _text(inputs, "snapshot", 64), _text(inputs, "reason"))


def _revoke(workspace: Workspace, signer: Signer, inputs: dict[str, str]) -> Any:
    return revoke(
        workspace, signer, _text(inputs, "subject", 500), _text(inputs, "purpose", 100) or None
    )


def _erase(workspace: Workspace, signer: Signer, inputs: dict[str, str]) -> Any:
    return erase_subject(workspace, signer, _text(inputs, "subject", 500))


def _review(workspace: Workspace, signer: Signer, inputs: dict[str, str]) -> Any:
    rating = _text(inputs, "rating", 2)
    if not rating.isdigit():
        raise BadInput("rating: give a rating from 1 to 5")
    criteria = parse_criteria([c for c in _text(inputs, "criteria").replace(",", " ").split() if c])
    return review_run(
        workspace, signer, _text(inputs, "run", 64), int(rating), criteria, _text(inputs, "notes")
    )


def _release(workspace: Workspace, signer: Signer, inputs: dict[str, str]) -> Any:
    return release_run(workspace, signer, _text(inputs, "run", 64))


ACTIONS: dict[str, ConsoleAction] = {
    action.name: action
    for action in (
        ConsoleAction(
            "approve",
            ("snapshot", "note"),
            _approve,
            lambda r: (
                f"Approved snapshot {r[0].snapshot_id[:12]} under {r[1].pack_name}; approval {r[0].id[:12]}"
            ),
        ),
        ConsoleAction(
            "reject",
            ("snapshot", "reason"),
            _reject,
            lambda r: f"Rejected snapshot {r[0].snapshot_id[:12]}; rejection {r[0].id[:12]}",
        ),
        ConsoleAction(
            "revoke",
            ("subject", "purpose"),
            _revoke,
            lambda r: f"Revoked consent for {', '.join(sorted({e.purpose for e in r}))}",
        ),
        ConsoleAction(
            "erase",
            ("subject",),
            _erase,
            lambda r: (
                f"Erased {sum(len(v) for v in r.snapshots.values())} records from {len(r.snapshots)} snapshots"
                + (f"; runs trained on the subject: {', '.join(r.runs)}" if r.runs else "")
            ),
        ),
        ConsoleAction(
            "review",
            ("run", "rating", "criteria", "notes"),
            _review,
            lambda r: f"Reviewed run {r.run_id}: rating {r.rating}",
        ),
        ConsoleAction(
            "release", ("run",), _release, lambda r: f"Released the adapter of run {r[0].run_id}"
        ),
    )
}


def start_action(
    workspace: Workspace, identity: RegisteredIdentity, name: str, inputs: dict[str, str]
) -> RemoteAction[Any]:
    """A signed action for a key held by the browser; `advance()` it round by round (govern.ledger.signing)."""
    action = ACTIONS.get(name)
    if action is None:
        raise NotFound(f"no console action {name!r}")
    values = {key: str(inputs.get(key) or "") for key in action.fields}
    return RemoteAction(
        workspace,
        identity.key_id,
        identity.public_key,
        lambda signer: action.run(workspace, signer, values),
    )


# Officer: the queue, a snapshot's evidence, consent ------------------------------------------


def _pack_or_error(workspace: Workspace, session: Session) -> tuple[Any, str | None]:
    try:
        return active_pack_in(workspace, session), None
    except GovernError as error:
        return None, str(error)


def _latest_verdict(session: Session, snapshot_id: str) -> Any:
    trusted = [
        row for row in list_approvals(session, snapshot_id) if not approval_problems(session, row)
    ]
    return trusted[-1] if trusted else None


def snapshot_queue(workspace: Workspace, everything: bool = False) -> dict[str, Any]:
    """Snapshots awaiting a decision or an approval under the active pack (or every snapshot)."""
    with workspace.catalog.reading() as session:
        pack, pack_error = _pack_or_error(workspace, session)
        names = {d.id: d.name for d in session.exec(select(Dataset)).all()}
        rows = []
        for snapshot in reversed(list_snapshots(session)):
            verdict = _latest_verdict(session, snapshot.id)
            check = (
                is_approved_for_training(workspace, session, snapshot, pack)
                if pack is not None
                else None
            )
            decision = check.decision if check is not None else None
            failing = [r.rule for r in decision.failures] if decision is not None else []
            if check is not None and check.ok:
                state = "approved"
            elif verdict is not None and verdict.verdict == "rejected":
                state = "rejected"
            elif failing:
                state = "failing"
            else:
                state = "awaiting approval"
            if not everything and state in ("approved", "rejected"):
                continue
            rows.append(
                {
                    "id": snapshot.id,
                    "dataset": names.get(snapshot.dataset_id, snapshot.dataset_id),
                    "transform": snapshot.transform,
                    "records": snapshot.record_count,
                    "created_at": snapshot.created_at,
                    "created_by": snapshot.created_by,
                    "state": state,
                    "status": _decision_status(session, snapshot.id, check),
                    "failing": failing,
                    "last_verdict": (
                        {
                            "verdict": verdict.verdict,
                            "by": verdict.approver_key_id,
                            "at": verdict.signed_at,
                        }
                        if verdict is not None
                        else None
                    ),
                }
            )
    return {"snapshots": rows, "pack": _pack_facts(pack), "pack_error": pack_error}


def _pack_facts(pack: Any) -> dict[str, Any] | None:
    return (
        {"name": pack.name, "version": pack.version, "hash": pack.hash}
        if pack is not None
        else None
    )


def findings_by_type(session: Session, scan_id: str) -> list[dict[str, Any]]:
    """Per entity type: how many findings, in how many records, and the first record ids (never text)."""
    counts = session.exec(
        select(
            ScanFinding.entity_type, func.count(), func.count(func.distinct(ScanFinding.record_key))
        )
        .where(ScanFinding.scan_id == scan_id)
        .group_by(ScanFinding.entity_type)
        .order_by(ScanFinding.entity_type)
    ).all()
    found = []
    for entity_type, findings, records in counts:
        keys = session.exec(
            select(ScanFinding.record_key)
            .where(ScanFinding.scan_id == scan_id, ScanFinding.entity_type == entity_type)
            .distinct()
            .order_by(ScanFinding.record_key)
            .limit(MAX_LISTED)
        ).all()
        found.append(
            {
                "entity_type": entity_type,
                "findings": int(findings),
                "records": int(records),
                "record_ids": list(keys),
            }
        )
    return found


def _decision_status(session: Session, snapshot_id: str, check: Any) -> str:
    """The decision's status in the one vocabulary (govern.policy.status), as the datasheet says it."""
    if check is None or check.decision is None:
        return "no policy pack in force"
    return status_label(check.decision.results, rejected=rejected_now(session, snapshot_id))


def snapshot_evidence(workspace: Workspace, snapshot_ref: str) -> dict[str, Any]:
    """What an officer decides on: provenance, today's rule-by-rule evidence under the active pack,
    consent coverage, the scan summary (counts, types, record ids), and every verdict so far."""
    with workspace.catalog.reading() as session:
        snapshot = resolve_snapshot(session, snapshot_ref)
        dataset = session.get(Dataset, snapshot.dataset_id)
        assert dataset is not None
        pack, pack_error = _pack_or_error(workspace, session)
        check = (
            is_approved_for_training(workspace, session, snapshot, pack)
            if pack is not None
            else None
        )
        scan = latest_scan(session, snapshot.id)
        authority = Authority.of(session)
        verdicts = []
        for row in list_approvals(session, snapshot.id):
            verdicts.append(
                {
                    "id": row.id,
                    "verdict": row.verdict,
                    "by": row.approver_key_id,
                    "at": row.signed_at,
                    "note": row.note,
                    "problems": approval_problems(session, row),
                    "ledger_seq": row.ledger_seq,
                }
            )
        return {
            "snapshot": snapshot_facts(session, snapshot),
            "dataset": dataset_facts(dataset),
            "pack": _pack_facts(pack),
            "pack_error": pack_error,
            "approved": bool(check and check.ok),
            "reasons": check.reasons if check is not None else [],
            "rules": [r.to_dict() for r in check.decision.results]
            if check is not None and check.decision
            else [],
            "outcome": check.decision.outcome if check is not None and check.decision else None,
            "status": _decision_status(session, snapshot.id, check),
            "failing": bool(check and check.decision and check.decision.failed),
            "consent": consent_facts(session, snapshot, pack),
            "pii": pii_facts(session, snapshot),
            "scan": (
                {
                    "id": scan.id,
                    "created_at": scan.created_at,
                    "created_by": scan.created_by,
                    "findings_count": scan.findings_count,
                    "by_type": findings_by_type(session, scan.id),
                }
                if scan is not None
                else None
            ),
            "verdicts": verdicts,
            "involved": [
                key
                for key, found in authority.identities.items()
                if found.person in involved_people(session, snapshot)
            ],
        }


def subject_consent(workspace: Workspace, subject_id: str) -> dict[str, Any]:
    """A subject's consent history, state per purpose now, and what holds their records; by keyed hash."""
    subject_hash = workspace.hash_subject(subject_id)
    now = clock.now()
    with workspace.catalog.reading() as session:
        events = history(session, subject_hash)
        evidence = evidence_refs(session, events)
        found = impact(session, subject_hash)
        purposes = sorted({e.purpose for e in events})
        names = _snapshot_labels(session, list(found.snapshots))
    return {
        "subject_hash": subject_hash,
        "events": [
            {
                "purpose": e.purpose,
                "action": e.action,
                "effective_at": e.effective_at,
                "expires_at": e.expires_at,
                "evidence_ref": evidence.get(e.id, "(erased)" if e.evidence_hash else None),
                "recorded_by": e.recorded_by,
                "ledger_seq": e.ledger_seq,
            }
            for e in events
        ],
        "active": {p: is_active(events, p, now) for p in purposes},
        "snapshots": [
            {
                "id": s,
                "label": names.get(s, s[:12]),
                "records": len(keys),
                "record_ids": keys[:MAX_LISTED],
            }
            for s, keys in found.snapshots.items()
        ],
        "approvals": found.approvals,
        "runs": found.runs,
    }


def _snapshot_labels(session: Session, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = session.exec(
        select(Snapshot, Dataset).where(
            col(Snapshot.id).in_(ids), Snapshot.dataset_id == Dataset.id
        )
    ).all()
    return {s.id: f"{d.name} · {s.transform} · {s.id[:12]}" for s, d in rows}


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
    accountant from the verified `run.charged` entries, with the active pack's lifetime budget."""
    from govern.training.accounting import compose_epsilon

    with workspace.catalog.reading() as session:
        pack, _ = _pack_or_error(workspace, session)
        dp = pack.family("dp") if pack is not None else None
        limit = dp.config.get("lifetime_epsilon_budget") if dp is not None else None
        datasets = {
            d.id: d.name for d in session.exec(select(Dataset).order_by(Dataset.name)).all()
        }
        charged: dict[str, list[tuple[str, float, float, str, float]]] = {}
        for run in ledgered_runs(session).values():
            if not run.private or run.delta is None:
                continue
            steps = [
                (
                    e.recorded_at,
                    float(p["row"]["noise_multiplier"]),
                    float(p["row"]["sample_rate"]),
                    run.accountant,
                    float(run.delta),
                )
                for e, p in run_entries(session, run.run_id, ("run.charged",))
            ]
            for dataset_id in json.loads(run.row.get("dataset_ids") or "[]"):
                charged.setdefault(dataset_id, []).extend(steps)
    found = []
    for dataset_id, steps in charged.items():
        steps.sort()
        delta, accountant = max(s[4] for s in steps), steps[-1][3]
        marks = sorted({round(i * (len(steps) - 1) / max(points - 1, 1)) for i in range(points)})
        series = [
            (
                parse_time(steps[m][0]).timestamp(),
                compose_epsilon([[(s[1], s[2], 1) for s in steps[: m + 1]]], delta, accountant),
            )
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
