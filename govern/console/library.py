"""The console's one door into the library: every govern import of the console is in this file,
in audit_reads.py (what the auditor and run pages read) and review_reads.py (the blind-review
page), which it re-exports.

Each function reads what a page shows (plain dicts and lists, ids, hashes, counts and names; never
record text or raw subject ids) or starts a signed action. Roles and separation of duties are the
library's: the actions here run the same functions the CLI runs, with a signer held by the browser
(govern.ledger.signing), and the library refuses a key whose role may not act.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from govern import clock
from govern.catalog.models import Dataset, ScanFinding, Snapshot
from govern.consent.erasure import erase_subject, impact
from govern.consent.registry import evidence_refs, history, is_active, revoke
from govern.console.audit_reads import (
    activation,
    budget,
    chart_over_time,
    identities,
    ledger_page,
    pack_or_error,
    parse_when,
    refusals,
    report_file,
    reports,
    reports_folder,
    run_detail,
    run_lineage,
    runs,
    subject_lookup,
    verify,
    verify_uploaded_report,
)
from govern.console.review_reads import (
    REVIEW_FIELDS,
    record_console_verdicts,
    review_sample,
    review_samples,
)
from govern.errors import BadInput, GovernError, IntegrityFailure, NotFound, Refused
from govern.evaluation.release import release_run
from govern.evaluation.reviews import parse_criteria, review_run
from govern.ingest.datasets import list_snapshots
from govern.ingest.snapshots import resolve_snapshot
from govern.ledger import GENESIS_HASH, head
from govern.ledger.authority import EVENT_SIGNERS, Authority, RegisteredIdentity, RoleRefused
from govern.ledger.keys import Signer, verify_signature
from govern.ledger.signing import BadSignature, RemoteAction
from govern.ledger.verify import AuditResult
from govern.policy.approvals import (
    approval_problems,
    approve,
    is_approved_for_training,
    list_approvals,
    reject,
)
from govern.policy.decisions import involved_people, latest_scan
from govern.policy.status import rejected_now, status_label
from govern.reports import ReportCheck
from govern.reports.dataset import consent_facts, dataset_facts, pii_facts, snapshot_facts
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
    "activation",
    "budget",
    "chart_over_time",
    "identities",
    "ledger_page",
    "parse_when",
    "refusals",
    "report_file",
    "reports",
    "reports_folder",
    "review_sample",
    "review_samples",
    "run_detail",
    "run_lineage",
    "runs",
    "subject_lookup",
    "verify",
    "verify_uploaded_report",
]

MAX_LISTED = 50  # longest list of record ids a page shows in full
EVENTS = tuple(sorted(EVENT_SIGNERS))


def locate_workspace(path: Path | None) -> Workspace:
    """The workspace the CLI would use: --workspace, $GOVERN_WORKSPACE, or the nearest govern.toml above."""
    return Workspace.locate(path)


# People --------------------------------------------------------------------------------------


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
            "blind_review",
            REVIEW_FIELDS,
            record_console_verdicts,
            lambda r: f"Recorded {r['answered']} verdict(s) on sample {r['sample_id'][:12]}",
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
    values = {key: str(inputs.get(key) or "") for key in action.fields if not key.endswith("*")}
    prefixes = tuple(key[:-1] for key in action.fields if key.endswith("*"))
    values.update({k: str(v) for k, v in inputs.items() if prefixes and k.startswith(prefixes)})
    return RemoteAction(
        workspace,
        identity.key_id,
        identity.public_key,
        lambda signer: action.run(workspace, signer, values),
    )


# Officer: the queue, a snapshot's evidence, consent ------------------------------------------


def _latest_verdict(session: Session, snapshot_id: str) -> Any:
    trusted = [
        row for row in list_approvals(session, snapshot_id) if not approval_problems(session, row)
    ]
    return trusted[-1] if trusted else None


def snapshot_queue(workspace: Workspace, everything: bool = False) -> dict[str, Any]:
    """Snapshots awaiting a decision or an approval under the active pack (or every snapshot)."""
    with workspace.catalog.reading() as session:
        pack, pack_error = pack_or_error(workspace, session)
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
        pack, pack_error = pack_or_error(workspace, session)
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
