"""Erasure that reaches the model: every run trained on an erased subject gets a remediation.

`govern consent erase` opens one remediation per affected run (in the erasure's transaction,
`remediation.opened`). It stays open, and the run's adapter cannot be released, until an
officer closes it with a signed decision (`remediation.decided`):

  retrain   a successor run of the same recipe, started through the gate after the erasure (so
            its budget was charged), whose snapshots hold none of the subject's records unerased;
            the decision links the old run to the new one
  withdraw  the adapter is withdrawn: its release no longer counts, reports and attestations say so
  accept    the model is kept, with a written justification (e.g. subject-level DP at ε within
            the pack's limit)

Only what a verified ledger entry vouches for counts: a decision row written around govern closes
nothing. Subjects appear only as keyed hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from govern import ledger
from govern.canonical import canonical_bytes
from govern.catalog.models import (
    Remediation,
    RemediationDecision,
    SnapshotRecord,
    TrainingRun,
    ledgered_row,
)
from govern.clock import new_id, parse_time, utc_now
from govern.clock import now as clock_now
from govern.errors import BadInput, Refused
from govern.ledger.authority import require, trusted_payload, verified_entries
from govern.ledger.keys import Signer

DECISIONS = ("retrain", "withdraw", "accept")
MIN_JUSTIFICATION = 20
OPENED_EVENT, DECIDED_EVENT = "remediation.opened", "remediation.decided"


@dataclass(frozen=True)
class RemediationState:
    """A remediation as the ledger vouches for it, and its decision if one was made."""

    remediation: Remediation
    decision: RemediationDecision | None

    @property
    def open(self) -> bool:
        return self.decision is None

    def age_days(self, now: datetime | None = None) -> float:
        """Days since the remediation was opened."""
        delta = (now or clock_now()) - parse_time(self.remediation.opened_at)
        return delta.total_seconds() / 86400

    def to_dict(self, now: datetime | None = None) -> dict[str, Any]:
        r, d = self.remediation, self.decision
        return {
            "id": r.id,
            "run_id": r.run_id,
            "subject_hash": r.subject_hash,
            "opened_at": r.opened_at,
            "age_days": round(self.age_days(now), 2),
            "status": "open" if d is None else d.decision,
            "decision": None
            if d is None
            else {
                "decision": d.decision,
                "justification": d.justification,
                "successor_run_id": d.successor_run_id,
                "decided_by": d.decided_by,
                "decided_at": d.decided_at,
            },
        }


def decision_statement(row: RemediationDecision) -> bytes:
    """The bytes a decision's signature covers."""
    return canonical_bytes(
        {
            "remediation_id": row.remediation_id,
            "decision": row.decision,
            "justification": row.justification,
            "successor_run_id": row.successor_run_id,
            "decided_by": row.decided_by,
            "decided_at": row.decided_at,
        }
    )


def _vouched(session: Session, row: Any, event: str) -> bool:
    payload = trusted_payload(session, row.ledger_seq, (event,))
    return payload is not None and payload.get("row") == ledgered_row(row)


def open_remediations(
    session: Session, actor: Signer, subject_hash: str, run_ids: list[str], erasure_seq: int
) -> list[Remediation]:
    """Open a remediation for each run trained on the subject that has none yet (erasure's transaction).

    "None yet" is what the ledger says: a remediations row written around govern opens nothing
    and stops nothing."""
    existing = {
        s.remediation.run_id for s in remediation_states(session, subject_hash=subject_hash)
    }
    opened = []
    for run_id in sorted(set(run_ids) - existing):
        row = Remediation(
            id=new_id(),
            run_id=run_id,
            subject_hash=subject_hash,
            erasure_seq=erasure_seq,
            opened_at=utc_now(),
            ledger_seq=0,
        )
        ledger.record(session, actor, OPENED_EVENT, row, [row.id, run_id, subject_hash])
        opened.append(row)
    return opened


def _opened(session: Session, ref: str | None) -> list[Remediation]:
    """The remediations verified `remediation.opened` entries recorded (naming `ref`), oldest
    first: a deleted or altered remediations row changes nothing."""
    fields = Remediation.ledgered_fields
    found: dict[str, Remediation] = {}
    for entry, payload in verified_entries(session, OPENED_EVENT, ref):
        row = payload.get("row") if isinstance(payload, dict) else None
        if not isinstance(row, dict) or row.get("table") != Remediation.__tablename__:
            continue
        if any(name not in row for name in fields) or str(row["id"]) in found:
            continue
        found[str(row["id"])] = Remediation(
            **{name: row[name] for name in fields}, ledger_seq=entry.seq
        )
    return list(found.values())


def remediation_states(
    session: Session, run_id: str | None = None, subject_hash: str | None = None
) -> list[RemediationState]:
    """Every ledger-vouched remediation (of a run, or of a subject), oldest first, with its decision."""
    states = []
    for row in _opened(session, run_id or subject_hash):
        if run_id is not None and row.run_id != run_id:
            continue
        if subject_hash is not None and row.subject_hash != subject_hash:
            continue
        decision = next(
            (
                d
                for d in session.exec(
                    select(RemediationDecision)
                    .where(RemediationDecision.remediation_id == row.id)
                    .order_by(col(RemediationDecision.ledger_seq))
                )
                if _vouched(session, d, DECIDED_EVENT)
            ),
            None,
        )
        states.append(RemediationState(row, decision))
    return states


def open_for_run(session: Session, run_id: str) -> list[RemediationState]:
    """The run's remediations still waiting for a decision."""
    return [s for s in remediation_states(session, run_id=run_id) if s.open]


def withdrawn(session: Session, run_id: str) -> RemediationDecision | None:
    """The decision that withdrew the run's adapter, or None."""
    for state in remediation_states(session, run_id=run_id):
        if state.decision is not None and state.decision.decision == "withdraw":
            return state.decision
    return None


def _successor_problems(
    session: Session, old: TrainingRun, new: TrainingRun, remediation: Remediation
) -> list[str]:
    from govern.consent.erasure import ledgered_erasures
    from govern.training.spending import completed_payload, ledgered_runs

    problems = []
    ledgered = ledgered_runs(session).get(new.id)
    if ledgered is None:
        return [f"run {new.id} has no verified run.started entry (it did not pass the gate)"]
    if new.recipe_hash != old.recipe_hash:
        problems.append(
            f"run {new.id} used recipe {new.recipe_hash[:12]}, not {old.recipe_hash[:12]} of run {old.id}"
        )
    if ledgered.seq <= remediation.erasure_seq:
        problems.append(f"run {new.id} started before the erasure; retrain after it")
    if completed_payload(session, new.id) is None:
        problems.append(f"run {new.id} has not completed")
    for snapshot_id in ledgered.snapshot_ids:
        positions = set(
            session.exec(
                select(SnapshotRecord.position).where(
                    SnapshotRecord.snapshot_id == snapshot_id,
                    SnapshotRecord.subject_hash == remediation.subject_hash,
                )
            ).all()
        )
        erased = {
            p
            for s, p in ledgered_erasures(session, snapshot_id, before=ledgered.seq)
            if s == snapshot_id
        }
        if positions - erased:
            problems.append(
                f"run {new.id} read snapshot {snapshot_id[:12]}, which still held the subject's records"
            )
    return problems


def decide(
    workspace: Any,
    actor: Signer,
    remediation_id: str,
    decision: str,
    justification: str = "",
    successor_run_id: str | None = None,
) -> RemediationDecision:
    """Close an open remediation with the officer's signed decision; refuse with every reason."""
    from govern.training.run_status import get_run

    with workspace.catalog.transaction() as session:
        require(session, actor, "remediation.decide")
        if decision not in DECISIONS:
            raise BadInput(f"--decision: {decision!r} is not one of {', '.join(DECISIONS)}")
        justification = justification.strip()
        states = [s for s in remediation_states(session) if s.remediation.id == remediation_id]
        if not states:
            raise BadInput(
                f"no remediation {remediation_id}; `govern remediate list` shows the open ones"
            )
        state = states[0]
        if not state.open:
            raise Refused(f"remediation {remediation_id} was already decided")
        remediation = state.remediation
        problems = []
        if decision == "accept" and len(justification) < MIN_JUSTIFICATION:
            problems.append(
                f"--justification: accepting a model trained on an erased subject needs a written reason "
                f"(at least {MIN_JUSTIFICATION} characters)"
            )
        if decision == "retrain":
            if not successor_run_id:
                problems.append(
                    "--run: name the successor run, trained with the same recipe after the erasure"
                )
            else:
                old = get_run(session, remediation.run_id)
                problems += _successor_problems(
                    session, old, get_run(session, successor_run_id), remediation
                )
        elif successor_run_id:
            problems.append(f"--run applies only to --decision retrain, not {decision}")
        if problems:
            raise Refused(f"remediation {remediation_id} cannot be closed as {decision}", problems)
        row = RemediationDecision(
            id=new_id(),
            remediation_id=remediation.id,
            decision=decision,
            justification=justification,
            successor_run_id=successor_run_id if decision == "retrain" else None,
            decided_by=actor.key_id,
            decided_at=utc_now(),
            signature="",
            ledger_seq=0,
        )
        row.signature = actor.sign(decision_statement(row))
        refs = [
            remediation.id,
            remediation.run_id,
            *([successor_run_id] if successor_run_id else []),
        ]
        ledger.record(session, actor, DECIDED_EVENT, row, refs)
    return row


def list_remediations(workspace: Any, open_only: bool = False) -> list[dict[str, Any]]:
    """Every remediation (or the open ones) as plain data, with its age in days."""
    with workspace.catalog.reading() as session:
        states = remediation_states(session)
    now = clock_now()
    return [s.to_dict(now) for s in states if s.open or not open_only]


def run_lineage_successors(session: Session, run_id: str) -> list[str]:
    """Runs that retrained `run_id` without an erased subject (old → new)."""
    return [
        s.decision.successor_run_id
        for s in remediation_states(session, run_id=run_id)
        if s.decision is not None and s.decision.successor_run_id
    ]


def release_rule(session: Session, run_id: str) -> tuple[bool, str, dict[str, Any]]:
    """(passed, message, evidence) of the release rule: no open remediation, adapter not withdrawn."""
    pending = open_for_run(session, run_id)
    gone = withdrawn(session, run_id)
    if gone is not None:
        return (
            False,
            f"the adapter was withdrawn by remediation decision {gone.id} (an erased subject)",
            {"withdrawn_by": gone.id},
        )
    successors = run_lineage_successors(session, run_id)
    if successors:
        return (
            False,
            f"retrained without an erased subject as run {', '.join(successors)}; release that run instead",
            {"retrained_as": successors},
        )
    if pending:
        return (
            False,
            f"{len(pending)} remediation(s) open after an erasure; decide them with `govern remediate decide`",
            {"open_remediations": [s.remediation.id for s in pending]},
        )
    return True, "no open remediation", {"open_remediations": []}
