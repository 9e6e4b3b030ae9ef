"""What the audit report lists, entry by entry, for a period: policy decisions (failed first),
PII scans and remediations (derived snapshots and provenance amendments that answer a failing
decision). Counts alone do not tell an auditor which decision failed or what was done about it.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from govern.catalog.models import (
    LedgerEntry,
    PolicyDecision,
    ProvenanceAmendment,
    Scan,
    Snapshot,
)
from govern.policy.status import status_label
from govern.reports._base import MAX_LISTED, loads


def _seqs(entries: list[LedgerEntry], *events: str) -> list[int]:
    return [e.seq for e in entries if e.event in events]


def decisions_in(session: Session, entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    """Every policy decision recorded in the period, failed ones first, then by ledger entry."""
    seqs = _seqs(entries, "policy.decided")
    if not seqs:
        return []
    rows = session.exec(
        select(PolicyDecision)
        .where(col(PolicyDecision.ledger_seq).in_(seqs))
        .order_by(col(PolicyDecision.ledger_seq))
    ).all()
    found = []
    for row in rows:
        result = loads(row.result, {})
        results = result.get("results", [])
        label = status_label(results)
        found.append(
            {
                "id": row.id,
                "seq": row.ledger_seq,
                "at": row.created_at,
                "by": row.created_by,
                "snapshot_id": row.snapshot_id,
                "pack": f"{row.pack_name} {row.pack_version}",
                "status": label,
                "failed": label.startswith("data rules failed"),
                "failed_rules": [
                    {"rule": r.get("rule"), "message": r.get("message")}
                    for r in results
                    if r.get("status") == "fail"
                ],
            }
        )
    found.sort(key=lambda d: (not d["failed"], d["seq"]))
    return found[:MAX_LISTED]


def scans_in(session: Session, entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    """Every PII scan recorded in the period, with its findings per entity type."""
    seqs = _seqs(entries, "pii.scanned")
    if not seqs:
        return []
    rows = session.exec(
        select(Scan).where(col(Scan.ledger_seq).in_(seqs)).order_by(col(Scan.ledger_seq))
    ).all()
    found = []
    for scan in rows:
        by_type: dict[str, int] = {}
        for row in loads(scan.summary, []):
            name = str(row.get("entity_type"))
            by_type[name] = by_type.get(name, 0) + int(row.get("count", 0))
        found.append(
            {
                "id": scan.id,
                "seq": scan.ledger_seq,
                "at": scan.created_at,
                "by": scan.created_by,
                "snapshot_id": scan.snapshot_id,
                "findings": scan.findings_count,
                "by_type": dict(sorted(by_type.items())),
                "config_hash": scan.config_hash,
            }
        )
    return found[:MAX_LISTED]


def _failing_rules(session: Session, snapshot_id: str | None) -> list[str]:
    if not snapshot_id:
        return []
    latest = session.exec(
        select(PolicyDecision)
        .where(PolicyDecision.snapshot_id == snapshot_id)
        .order_by(col(PolicyDecision.ledger_seq).desc())
    ).first()
    results = loads(latest.result, {}).get("results", []) if latest else []
    return [str(r.get("rule")) for r in results if r.get("status") == "fail"]


def remediations_in(session: Session, entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    """Derived snapshots (anonymized, consent-filtered) and provenance amendments in the period,
    each with the failing rules of what it answers (the parent's newest decision)."""
    found: list[dict[str, Any]] = []
    snapshot_seqs = _seqs(entries, "snapshot.created")
    if snapshot_seqs:
        for snapshot in session.exec(
            select(Snapshot)
            .where(
                col(Snapshot.ledger_seq).in_(snapshot_seqs), col(Snapshot.parent_id).is_not(None)
            )
            .order_by(col(Snapshot.ledger_seq))
        ).all():
            found.append(
                {
                    "seq": snapshot.ledger_seq,
                    "at": snapshot.created_at,
                    "by": snapshot.created_by,
                    "kind": snapshot.transform,
                    "what": f"{snapshot.transform} of snapshot {str(snapshot.parent_id)[:12]} "
                    f"into {snapshot.id[:12]} ({snapshot.record_count} records)",
                    "from_snapshot": snapshot.parent_id,
                    "to_snapshot": snapshot.id,
                    "answers_failing_rules": _failing_rules(session, snapshot.parent_id),
                }
            )
    amendment_seqs = _seqs(entries, "dataset.amended")
    if amendment_seqs:
        for row in session.exec(
            select(ProvenanceAmendment)
            .where(col(ProvenanceAmendment.ledger_seq).in_(amendment_seqs))
            .order_by(col(ProvenanceAmendment.ledger_seq))
        ).all():
            found.append(
                {
                    "seq": row.ledger_seq,
                    "at": row.amended_at,
                    "by": row.amended_by,
                    "kind": "provenance amended",
                    "what": f"dataset {row.dataset_id}: {row.field} set to {row.value!r} ({row.reason})",
                    "from_snapshot": None,
                    "to_snapshot": None,
                    "answers_failing_rules": [],
                }
            )
    found.sort(key=lambda r: r["seq"])
    return found[:MAX_LISTED]
