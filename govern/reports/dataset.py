"""The dataset report: a datasheet for one snapshot.

Provenance, license and legal basis; consent coverage; the PII scan configuration and findings
before and after anonymization; the policy pack and every rule's result with its evidence;
approvals with their signatures verified. Counts, record ids, key ids and subject hashes only:
never record text or raw subject ids.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, func, select

from govern import clock
from govern.catalog.models import (
    Dataset,
    Identity,
    LedgerEntry,
    PolicyDecision,
    Scan,
    Snapshot,
    SnapshotRecord,
    TrainingRun,
)
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

SCAN_CONFIG_KEYS = (
    "config_hash",
    "spacy_model",
    "spacy_model_version",
    "presidio_version",
    "language",
    "entities",
    "score_threshold",
)


def build_dataset_report(workspace: Any, snapshot_ref: str) -> dict[str, Any]:
    """The facts of a snapshot's datasheet, read from the catalog (and the ledger head they reflect)."""
    from govern.ingest.snapshots import resolve_snapshot

    with workspace.catalog.reading() as session:
        snapshot = resolve_snapshot(session, snapshot_ref)
        dataset = session.get(Dataset, snapshot.dataset_id)
        assert dataset is not None
        facts = header(
            session,
            workspace,
            "dataset",
            {"id": snapshot.id, "label": f"snapshot {short(snapshot.id)} of {dataset.name}"},
            {"snapshot_ids": [snapshot.id], "dataset_ids": [dataset.id]},
        )
        pack, pack_error = _active_pack(workspace)
        facts.update(
            {
                "dataset": dataset_facts(dataset),
                "snapshot": snapshot_facts(session, snapshot),
                "lineage": lineage_facts(session, snapshot),
                "consent": consent_facts(session, snapshot, pack),
                "pii": pii_facts(session, snapshot),
                "policy": policy_facts(session, snapshot, pack, pack_error),
                "approvals": approval_facts(session, snapshot.id),
                "readiness": readiness_facts(workspace, session, snapshot, pack, pack_error),
                "runs": [run.id for run in runs_using(session, [snapshot.id])],
            }
        )
    return facts


def _active_pack(workspace: Any) -> tuple[Any, str | None]:
    from govern.errors import GovernError
    from govern.policy.activation import active_pack

    try:
        return active_pack(workspace), None
    except GovernError as error:
        return None, str(error)


def dataset_facts(dataset: Dataset) -> dict[str, Any]:
    return {
        "id": dataset.id,
        "name": dataset.name,
        "source": dataset.source,
        "license": dataset.license,
        "legal_basis": dataset.legal_basis,
        "jurisdiction": dataset.jurisdiction,
        "collected_at": dataset.collected_at,
        "synthetic_generator": dataset.synthetic_generator,
        "subject_field": dataset.subject_field,
        "text_fields": loads(dataset.text_fields, []),
        "id_field": dataset.id_field,
        "registered_at": dataset.created_at,
        "registered_by": dataset.created_by,
        "ledger_seq": dataset.ledger_seq,
    }


def snapshot_facts(session: Session, snapshot: Snapshot) -> dict[str, Any]:
    from govern.policy.decisions import erased_positions

    subjects = session.exec(
        select(func.count(func.distinct(SnapshotRecord.subject_hash))).where(
            SnapshotRecord.snapshot_id == snapshot.id
        )
    ).one()
    return {
        "id": snapshot.id,
        "dataset_id": snapshot.dataset_id,
        "parent_id": snapshot.parent_id,
        "transform": snapshot.transform,
        "transform_hash": snapshot.transform_hash,
        "source_name": snapshot.source_name,
        "source_sha256": snapshot.source_sha256,
        "record_count": snapshot.record_count,
        "byte_size": snapshot.byte_size,
        "distinct_subjects": int(subjects),
        "erased_records": len(erased_positions(session, snapshot.id)),
        "subject_index_hash": snapshot.subject_index_hash,
        "created_at": snapshot.created_at,
        "created_by": snapshot.created_by,
        "ledger_seq": snapshot.ledger_seq,
    }


def _transform_config(session: Session, snapshot: Snapshot) -> Any:
    entry = session.get(LedgerEntry, snapshot.ledger_seq)
    return payload_of(entry).get("transform_config") if entry else None


def lineage_facts(session: Session, snapshot: Snapshot) -> dict[str, Any]:
    """Where the snapshot came from (its parents and their transforms) and what was derived from it."""
    children = session.exec(
        select(Snapshot).where(Snapshot.parent_id == snapshot.id).order_by(col(Snapshot.ledger_seq))
    ).all()
    return {
        "ancestry": [
            {
                "id": s.id,
                "transform": s.transform,
                "transform_hash": s.transform_hash,
                "parent_id": s.parent_id,
                "record_count": s.record_count,
                "created_at": s.created_at,
                "transform_config": _transform_config(session, s),
            }
            for s in ancestors(session, snapshot)
        ],
        "derived": [
            {"id": s.id, "transform": s.transform, "record_count": s.record_count} for s in children
        ],
    }


def consent_facts(session: Session, snapshot: Snapshot, pack: Any) -> list[dict[str, Any]]:
    """Coverage of the snapshot's records by active grants, for each purpose the pack asks about."""
    from govern.consent.registry import coverage
    from govern.policy.decisions import erased_positions

    if pack is None:
        return []
    now = clock.now()
    erased = erased_positions(session, snapshot.id)
    found = []
    for purpose in pack.consent_purposes():
        cov = coverage(session, snapshot.id, purpose, now, erased)
        total = cov.records_with_grant + len(cov.records_without_grant)
        found.append(
            {
                "purpose": purpose,
                "records": total,
                "records_with_grant": cov.records_with_grant,
                "records_without_grant": len(cov.records_without_grant),
                "share": round(cov.records_with_grant / total, 6) if total else None,
                "uncovered_record_ids": list(cov.records_without_grant[:MAX_LISTED]),
            }
        )
    return found


def scan_facts(scan: Scan) -> dict[str, Any]:
    """A scan's configuration and summary; the stored config holds no matched text."""
    config = loads(scan.config, {})
    return {
        "id": scan.id,
        "snapshot_id": scan.snapshot_id,
        "created_at": scan.created_at,
        "created_by": scan.created_by,
        "config": {key: config.get(key) for key in SCAN_CONFIG_KEYS if key in config},
        "findings_count": scan.findings_count,
        "findings_hash": scan.findings_hash,
        "summary": sorted(
            loads(scan.summary, []), key=lambda r: (r.get("entity_type", ""), r.get("field") or "")
        ),
        "ledger_seq": scan.ledger_seq,
    }


def _latest_scan(session: Session, snapshot_id: str) -> Scan | None:
    return session.exec(
        select(Scan).where(Scan.snapshot_id == snapshot_id).order_by(col(Scan.ledger_seq).desc())
    ).first()


def pii_facts(session: Session, snapshot: Snapshot) -> dict[str, Any]:
    """PII findings before and after anonymization, per entity type and field.

    For an anonymized snapshot, "before" is its parent's latest scan and "after" its own; for a
    snapshot with an anonymized child, "before" is its own and "after" the child's.
    """
    scans = [
        scan_facts(s)
        for s in session.exec(
            select(Scan).where(Scan.snapshot_id == snapshot.id).order_by(col(Scan.ledger_seq))
        ).all()
    ]
    before_snapshot: Snapshot | None = None
    after_snapshot: Snapshot | None = None
    if snapshot.transform == "anonymize" and snapshot.parent_id:
        before_snapshot, after_snapshot = session.get(Snapshot, snapshot.parent_id), snapshot
    else:
        child = session.exec(
            select(Snapshot)
            .where(Snapshot.parent_id == snapshot.id, Snapshot.transform == "anonymize")
            .order_by(col(Snapshot.ledger_seq).desc())
        ).first()
        before_snapshot, after_snapshot = snapshot, child
    before = _latest_scan(session, before_snapshot.id) if before_snapshot else None
    after = _latest_scan(session, after_snapshot.id) if after_snapshot else None
    return {
        "scans": scans,
        "before": scan_facts(before) if before else None,
        "after": scan_facts(after) if after else None,
        "before_snapshot": before_snapshot.id if before_snapshot else None,
        "after_snapshot": after_snapshot.id if after_snapshot else None,
        "comparison": _compare(before, after),
    }


def _compare(before: Scan | None, after: Scan | None) -> list[dict[str, Any]]:
    counts: dict[tuple[str, str], dict[str, int | None]] = {}
    for name, scan in (("before", before), ("after", after)):
        if scan is None:
            continue
        for row in loads(scan.summary, []):
            key = (str(row.get("entity_type")), str(row.get("field") or ""))
            counts.setdefault(
                key, {"before": 0 if before else None, "after": 0 if after else None}
            )[name] = int(row.get("count", 0))
    return [{"entity_type": t, "field": f, **c} for (t, f), c in sorted(counts.items())]


def policy_facts(
    session: Session, snapshot: Snapshot, pack: Any, pack_error: str | None
) -> dict[str, Any]:
    """The active pack, every stored decision on the snapshot, and the newest one's rule results."""
    decisions = session.exec(
        select(PolicyDecision)
        .where(PolicyDecision.snapshot_id == snapshot.id)
        .order_by(col(PolicyDecision.ledger_seq))
    ).all()
    latest = decisions[-1] if decisions else None
    result = loads(latest.result, {}) if latest else {}
    return {
        "active_pack": (
            {
                "name": pack.name,
                "version": pack.version,
                "hash": pack.hash,
                "disclaimer": pack.disclaimer,
                "description": pack.description,
                "families": [f.name for f in pack.families],
            }
            if pack is not None
            else None
        ),
        "active_pack_error": pack_error,
        "decisions": [
            {
                "id": d.id,
                "pack_name": d.pack_name,
                "pack_version": d.pack_version,
                "pack_hash": d.pack_hash,
                "outcome": loads(d.result, {}).get("outcome"),
                "passed": d.passed,
                "created_at": d.created_at,
                "created_by": d.created_by,
                "ledger_seq": d.ledger_seq,
            }
            for d in decisions
        ],
        "latest": {
            "id": latest.id,
            "pack": result.get("pack"),
            "outcome": result.get("outcome"),
            "evaluated_at": result.get("evaluated_at"),
            "inputs_digest": result.get("inputs_digest"),
            "excluded_record_ids": list(result.get("excluded_record_ids", []))[:MAX_LISTED],
            "results": [
                {
                    "rule": r.get("rule"),
                    "phase": r.get("phase"),
                    "status": r.get("status"),
                    "message": r.get("message"),
                    "evidence": r.get("evidence", {}),
                }
                for r in result.get("results", [])
            ],
        }
        if latest
        else None,
    }


def approval_facts(session: Session, snapshot_id: str) -> list[dict[str, Any]]:
    """Every approval and rejection of the snapshot, each signature re-verified with the registered key."""
    from govern.policy.approvals import approval_problems, list_approvals

    rows = list_approvals(session, snapshot_id)
    last_rejection = max((r.ledger_seq for r in rows if r.verdict == "rejected"), default=0)
    found = []
    for row in rows:
        problems = approval_problems(session, row)
        identity = session.get(Identity, row.approver_key_id)
        found.append(
            {
                "id": row.id,
                "verdict": row.verdict,
                "approver_key_id": row.approver_key_id,
                "approver_name": identity.name if identity else None,
                "approver_role": identity.role if identity else None,
                "signed_at": row.signed_at,
                "decision_id": row.decision_id,
                "pack_hash": row.pack_hash,
                "note": row.note,
                "signature_verified": not problems,
                "problems": problems,
                "voided_by_later_rejection": row.verdict == "approved"
                and row.ledger_seq < last_rejection,
                "ledger_seq": row.ledger_seq,
            }
        )
    return found


def readiness_facts(
    workspace: Any, session: Session, snapshot: Snapshot, pack: Any, pack_error: str | None
) -> dict[str, Any]:
    """Whether approvals cover the snapshot for training today (the gate's check, without a plan)."""
    from govern.policy.approvals import is_approved_for_training

    if pack is None:
        return {
            "approved_for_training": False,
            "reasons": [f"the active policy pack does not load: {pack_error}"],
            "verified_approvers": [],
        }
    check = is_approved_for_training(workspace, session, snapshot, pack=pack)
    return {
        "approved_for_training": check.ok,
        "reasons": check.reasons,
        "verified_approvers": sorted({a.approver_key_id for a in check.approvals}),
    }


def runs_using(session: Session, snapshot_ids: list[str]) -> list[TrainingRun]:
    wanted = set(snapshot_ids)
    return [
        run
        for run in session.exec(select(TrainingRun).order_by(col(TrainingRun.ledger_seq))).all()
        if wanted & set(loads(run.snapshot_ids, []))
    ]


def dataset_contradictions(
    session: Session, ledgered: dict[str, Any], later: list[LedgerEntry]
) -> list[str]:
    """Later approvals, rejections, decisions, scans, erasures or revocations on the reported snapshot."""
    snapshot_ids = ledgered.get("covers", {}).get("snapshot_ids", [])
    found = [
        f"ledger entry {e.seq} ({e.event}, {e.recorded_at}) concerns snapshot {', '.join(short(s) for s in snapshot_ids)} "
        "after this report was made"
        for e in entries_on(
            later,
            snapshot_ids,
            (
                "snapshot.approved",
                "snapshot.rejected",
                "policy.decided",
                "pii.scanned",
                "subject.erased",
            ),
        )
    ]
    head = int(ledgered.get("ledger_head", {}).get("seq", 0))
    return found + revocations_touching(session, snapshot_ids, head)


register(ReportKind("dataset", "Dataset report (datasheet)", dataset_contradictions))
