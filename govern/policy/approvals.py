"""Signed approvals and rejections of snapshots, and the from-scratch check the gate relies on.

An approval is an Ed25519 signature over (snapshot id, decision hash, pack hash, verdict, time,
approver key id, note), always under the pack an officer activated. `verified_approvals` trusts
nothing in the row: it re-verifies the signature with the key as the ledger registered it,
requires the verified ledger entry that recorded the row, and drops approvals given under
another pack or voided by a later rejection. Separation of duties is by person: nobody approves
data they registered or derived (under any of their keys).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from govern import clock, ledger
from govern.canonical import canonical_bytes
from govern.catalog.models import Approval, Snapshot
from govern.clock import new_id, parse_time, utc_now
from govern.clock import now as clock_now
from govern.errors import BadInput, Refused
from govern.ingest.snapshots import resolve_snapshot
from govern.ledger.authority import Authority, require, row_problem
from govern.ledger.keys import Signer, verify_signature
from govern.policy import ApprovalFacts, Decision, Pack, TrainingPlan, evaluate
from govern.policy.activation import active_pack_in
from govern.policy.decisions import gather_facts, involved_people, store_decision

if TYPE_CHECKING:
    from govern.workspace import Workspace

VERDICT_EVENTS = {"approved": "snapshot.approved", "rejected": "snapshot.rejected"}


def signed_statement(row: Approval) -> bytes:
    """The bytes an approval's signature covers."""
    return canonical_bytes(
        {
            "snapshot_id": row.snapshot_id,
            "decision_hash": row.decision_id,
            "pack_hash": row.pack_hash,
            "verdict": row.verdict,
            "signed_at": row.signed_at,
            "approver_key_id": row.approver_key_id,
            "note": row.note,
        }
    )


def _sign(
    workspace: Workspace, actor: Signer, snapshot_ref: str, verdict: str, note: str | None
) -> tuple[Approval, Decision]:
    now = clock_now()
    with workspace.catalog.transaction() as session:
        approver = require(session, actor, "snapshot.decide")
        pack = active_pack_in(workspace, session)
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
            if approver.person in involved_people(session, snapshot):
                raise Refused(
                    f"{approver.describe()} registered or derived this data (under this or another of their keys), "
                    "so may not approve it (separation of duties); have a different officer approve"
                )
        row = Approval(
            id=new_id(),
            snapshot_id=snapshot.id,
            decision_id=decision.hash,
            pack_hash=pack.hash,
            verdict=verdict,
            note=note,
            approver_key_id=actor.key_id,
            signed_at=utc_now(),
            signature="",
            ledger_seq=0,
        )
        row.signature = actor.sign(signed_statement(row))
        ledger.record(session, actor, VERDICT_EVENTS[verdict], row, [snapshot.id, decision.hash])
    return row, decision


def approve(
    workspace: Workspace, actor: Signer, snapshot_ref: str, note: str | None = None
) -> tuple[Approval, Decision]:
    """Sign an approval of a snapshot whose decision under the active pack does not fail; officers only."""
    return _sign(workspace, actor, snapshot_ref, "approved", note)


def reject(
    workspace: Workspace, actor: Signer, snapshot_ref: str, reason: str
) -> tuple[Approval, Decision]:
    """Sign a rejection with a reason; it voids every earlier approval of the snapshot."""
    if not reason.strip():
        raise BadInput("a rejection needs a --reason")
    return _sign(workspace, actor, snapshot_ref, "rejected", reason)


def list_approvals(session: Session, snapshot_id: str | None = None) -> list[Approval]:
    query = select(Approval).order_by(col(Approval.ledger_seq))
    if snapshot_id:
        query = query.where(Approval.snapshot_id == snapshot_id)
    return list(session.exec(query).all())


def approval_problems(session: Session, row: Approval) -> list[str]:
    """Why an approval row cannot be trusted: unknown key, bad signature, or no verified ledger entry for it."""
    name = f"approval {row.id[:12]}"
    identity = Authority.of(session).identity(row.approver_key_id)
    if identity is None:
        return [f"{name}: signed by {row.approver_key_id}, which the ledger never registered"]
    if not verify_signature(identity.public_key, signed_statement(row), row.signature):
        return [
            f"{name}: its signature does not verify with key {row.approver_key_id} (forged or altered)"
        ]
    found = row_problem(session, row, (VERDICT_EVENTS.get(row.verdict, "snapshot.approved"),))
    if found is not None:
        return [f"{name}: {found.split(': ', 1)[1]}"]
    if _ledger_actor(session, row.ledger_seq) != row.approver_key_id:
        return [
            f"{name}: ledger entry {row.ledger_seq} that records it was not signed by its approver (forged entry)"
        ]
    return []


def _ledger_actor(session: Session, seq: int) -> str | None:
    from govern.catalog.models import LedgerEntry

    entry = session.get(LedgerEntry, seq)
    return entry.actor_key_id if entry is not None else None


@dataclass
class ApprovalCheck:
    """The answer of `is_approved_for_training`: ok, or every reason why not."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    decision: Decision | None = None
    approvals: list[ApprovalFacts] = field(default_factory=list)


def verified_approvals(
    session: Session, snapshot_id: str, pack: Pack
) -> tuple[list[ApprovalFacts], list[str]]:
    """The approvals of a snapshot that verify from scratch under this pack, and why others do not."""
    rows = list_approvals(session, snapshot_id)
    authority = Authority.of(session)
    trusted_rows = [row for row in rows if not approval_problems(session, row)]
    last_rejection = max((r.ledger_seq for r in trusted_rows if r.verdict == "rejected"), default=0)
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
                f"an officer approves again under the active pack {pack.name} ({pack.hash[:12]})"
            )
            continue
        identity = authority.identity(row.approver_key_id)
        assert identity is not None  # approval_problems checked it
        good.append(
            ApprovalFacts(
                approver_key_id=row.approver_key_id,
                roles=(identity.role,),
                person=identity.person,
                decision_hash=row.decision_id,
                approved_at=parse_time(row.signed_at),
            )
        )
    return good, problems


def is_approved_for_training(
    workspace: Workspace,
    session: Session,
    snapshot: Snapshot,
    pack: Pack,
    training: TrainingPlan | None = None,
    now: datetime | None = None,
) -> ApprovalCheck:
    """Re-check from scratch that valid approvals cover this snapshot under `pack` and today's facts.

    Re-evaluates the pack on today's facts (consent, scans, provenance), so a revoked consent or a
    changed pack moves the decision hash and the old approvals no longer cover it.
    """
    now = now or clock.now()
    approvals, problems = verified_approvals(session, snapshot.id, pack)
    facts = gather_facts(
        workspace, session, snapshot, pack, now, approvals=tuple(approvals), training=training
    )
    decision = evaluate(pack, facts, now)
    reasons = [
        f"{r.rule}: {r.message}"
        for r in decision.results
        if r.status == "fail"
        or (r.status == "pending" and not (training is None and r.phase == "training"))
    ]
    if reasons:
        reasons += problems
    return ApprovalCheck(ok=not reasons, reasons=reasons, decision=decision, approvals=approvals)
