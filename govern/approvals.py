"""Signed approvals and rejections of snapshots, and the from-scratch check the gate relies on.

An approval is an Ed25519 signature over (snapshot id, decision hash, pack hash, verdict, time,
approver key id, note). `verified_approvals` trusts nothing in the row: it re-verifies the
signature with the registered key, requires the ledger entry that recorded the row, and drops
approvals given under another pack or voided by a later rejection.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlmodel import Session, col, select

from govern import ledger
from govern.canonical import canonical_bytes
from govern.catalog.models import Approval, Dataset, Identity, LedgerEntry, Snapshot, ledgered_row
from govern.clock import parse_time, utc_now
from govern.decisions import active_pack, gather_facts, store_decision
from govern.errors import BadInput, Refused
from govern.identities import require_role
from govern.keys import PrivateIdentity, verify_signature
from govern.policy import ApprovalFacts, Decision, Pack, TrainingPlan, evaluate
from govern.snapshots import resolve_snapshot


def signed_statement(row: Approval) -> bytes:
    """The bytes an approval's signature covers."""
    return canonical_bytes({
        "snapshot_id": row.snapshot_id, "decision_hash": row.decision_id, "pack_hash": row.pack_hash,
        "verdict": row.verdict, "signed_at": row.signed_at, "approver_key_id": row.approver_key_id, "note": row.note,
    })


def _required_role(pack: Pack) -> str:
    family = pack.family("approvals")
    return str(family.config.get("required_role", "officer")) if family else "officer"


def _sign(workspace: Any, actor: PrivateIdentity, snapshot_ref: str, verdict: str, note: str | None, pack_name: str | None) -> tuple[Approval, Decision]:
    pack = active_pack(workspace, pack_name)
    now = datetime.now(timezone.utc)
    with workspace.catalog.transaction() as session:
        require_role(session, actor, _required_role(pack))
        snapshot = resolve_snapshot(session, snapshot_ref)
        facts = gather_facts(workspace, session, snapshot, pack, now)
        decision = evaluate(pack, facts, now)
        store_decision(session, actor, decision, facts)
        if verdict == "approved":
            if decision.failed:
                raise Refused(
                    f"snapshot {snapshot.id[:12]} fails pack {pack.name}; it cannot be approved",
                    [f"{r.rule}: {r.message}" for r in decision.failures],
                )
            dataset = session.get(Dataset, snapshot.dataset_id)
            involved = {snapshot.created_by, dataset.created_by if dataset else None}
            family = pack.family("approvals")
            if (family is None or family.config.get("separation_of_duties", True)) and actor.key_id in involved:
                raise Refused(
                    f"key {actor.key_id} registered this data, so it may not approve it (separation of duties); "
                    "have a different officer approve"
                )
        row = Approval(
            id=uuid.uuid4().hex, snapshot_id=snapshot.id, decision_id=decision.hash, pack_hash=pack.hash,
            verdict=verdict, note=note, approver_key_id=actor.key_id, signed_at=utc_now(), signature="", ledger_seq=0,
        )
        row.signature = actor.sign(signed_statement(row))
        entry = ledger.append(session, actor, f"snapshot.{verdict}", [snapshot.id, decision.hash], {"row": ledgered_row(row)})
        row.ledger_seq = entry.seq
        session.add(row)
    return row, decision


def approve(workspace: Any, actor: PrivateIdentity, snapshot_ref: str, note: str | None = None, pack_name: str | None = None) -> tuple[Approval, Decision]:
    """Sign an approval of a snapshot whose current decision does not fail; officers only."""
    return _sign(workspace, actor, snapshot_ref, "approved", note, pack_name)


def reject(workspace: Any, actor: PrivateIdentity, snapshot_ref: str, reason: str, pack_name: str | None = None) -> tuple[Approval, Decision]:
    """Sign a rejection with a reason; it voids every earlier approval of the snapshot."""
    if not reason.strip():
        raise BadInput("a rejection needs a --reason")
    return _sign(workspace, actor, snapshot_ref, "rejected", reason, pack_name)


def list_approvals(session: Session, snapshot_id: str | None = None) -> list[Approval]:
    query = select(Approval).order_by(col(Approval.ledger_seq))
    if snapshot_id:
        query = query.where(Approval.snapshot_id == snapshot_id)
    return list(session.exec(query).all())


def approval_problems(session: Session, row: Approval) -> list[str]:
    """Why an approval row cannot be trusted: bad signature, unknown key, or no ledger entry for it."""
    name = f"approval {row.id[:12]}"
    identity = session.get(Identity, row.approver_key_id)
    if identity is None:
        return [f"{name}: signed by {row.approver_key_id}, which is not a registered key"]
    if not verify_signature(identity.public_key, signed_statement(row), row.signature):
        return [f"{name}: its signature does not verify with key {row.approver_key_id} (forged or altered)"]
    entry = session.get(LedgerEntry, row.ledger_seq)
    recorded = json.loads(entry.payload).get("row") if entry is not None else None
    if entry is None or recorded != ledgered_row(row):
        return [f"{name}: no ledger entry recorded it (the row was written outside govern)"]
    if (entry.event != f"snapshot.{row.verdict}" or entry.actor_key_id != row.approver_key_id
            or ledger.compute_entry_hash(entry) != entry.entry_hash
            or not verify_signature(identity.public_key, ledger.hash_bytes(entry.entry_hash), entry.signature)):
        return [f"{name}: ledger entry {entry.seq} that records it is not a signed {row.verdict} by its approver (forged entry)"]
    return []


@dataclass
class ApprovalCheck:
    """The answer of `is_approved_for_training`: ok, or every reason why not."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    decision: Decision | None = None
    approvals: list[ApprovalFacts] = field(default_factory=list)


def verified_approvals(session: Session, snapshot_id: str, pack: Pack) -> tuple[list[ApprovalFacts], list[str]]:
    """The approvals of a snapshot that verify from scratch under this pack, and why others do not."""
    rows = list_approvals(session, snapshot_id)
    last_rejection = max((r.ledger_seq for r in rows if r.verdict == "rejected"), default=0)
    good: list[ApprovalFacts] = []
    problems: list[str] = []
    for row in rows:
        if row.verdict != "approved":
            continue
        found = approval_problems(session, row)
        if found:
            problems += found
            continue
        if row.ledger_seq < last_rejection:
            problems.append(f"approval {row.id[:12]} was voided by a later rejection")
            continue
        if row.pack_hash != pack.hash:
            problems.append(
                f"approval {row.id[:12]} was given under another version of the policy pack ({row.pack_hash[:12]}); "
                f"run `govern policy check` and approve again under {pack.name} ({pack.hash[:12]})"
            )
            continue
        identity = session.get(Identity, row.approver_key_id)
        good.append(ApprovalFacts(
            approver_key_id=row.approver_key_id, roles=(identity.role,) if identity else (),
            decision_hash=row.decision_id, approved_at=parse_time(row.signed_at),
        ))
    return good, problems


def is_approved_for_training(
    workspace: Any, session: Session, snapshot: Snapshot, training: TrainingPlan | None = None,
    pack: Pack | None = None, now: datetime | None = None,
) -> ApprovalCheck:
    """Re-check from scratch that valid approvals cover this snapshot under the current pack and facts.

    Re-evaluates the pack on today's facts (consent, scans, provenance), so a revoked consent or a
    changed pack moves the decision hash and the old approvals no longer cover it.
    """
    pack = pack or active_pack(workspace)
    now = now or datetime.now(timezone.utc)
    approvals, problems = verified_approvals(session, snapshot.id, pack)
    facts = gather_facts(workspace, session, snapshot, pack, now, approvals=tuple(approvals), training=training)
    decision = evaluate(pack, facts, now)
    reasons = [
        f"{r.rule}: {r.message}" for r in decision.results
        if r.status == "fail" or (r.status == "pending" and not (training is None and r.phase == "training"))
    ]
    if reasons:
        reasons += problems
    return ApprovalCheck(ok=not reasons, reasons=reasons, decision=decision, approvals=approvals)
