"""The audit report for a period: what happened, who approved or refused what, and whether the
record verifies.

Ledger events by type, approvals and rejections, policy decisions (failed first), PII scans,
remediations, gate refusals with their reasons, consent
revocations and what they touch, erasures, the privacy budget used per dataset, and the result
of a full `verify_workspace`.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from govern.catalog.models import (
    Approval,
    ConsentEvent,
    Dataset,
    LedgerEntry,
    PrivacyCharge,
    TrainingRun,
)
from govern.errors import BadInput
from govern.evaluation.staleness import stale_adapters_facts
from govern.reports._base import (
    MAX_LISTED,
    ReportKind,
    header,
    payload_of,
    refs_of,
    register,
    short,
)
from govern.reports.activity import decisions_in, remediations_in, scans_in
from govern.reports.run import verification_facts

_STAMP = "%Y-%m-%dT%H:%M:%S.%fZ"


def period_bound(text: str | None, end: bool = False) -> str | None:
    """A --since/--until value as a ledger timestamp; a bare date as --until means the end of that day."""
    if text is None or not str(text).strip():
        return None
    raw = str(text).strip()
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise BadInput(
            f"{'--until' if end else '--since'} {raw!r} is not an ISO date or time (e.g. 2024-05-01)"
        ) from None
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    if end and len(raw) == 10:
        value += timedelta(days=1)
    return value.astimezone(UTC).strftime(_STAMP)


def build_audit_report(
    workspace: Any, since: str | None = None, until: str | None = None
) -> dict[str, Any]:
    """The facts of an audit report for entries recorded in [since, until) (open ends by default)."""
    from govern.ledger.verify import verify_workspace

    start, end = period_bound(since), period_bound(until, end=True)
    if start and end and start >= end:
        raise BadInput(f"--since {since} is not before --until {until}")
    with workspace.catalog.reading() as session:
        label = f"{start or 'the beginning'} to {end or 'now'}"
        facts = header(
            session,
            workspace,
            "audit",
            {"id": f"{start or '-'}..{end or '-'}", "label": label},
            {"since": start, "until": end},
        )
        entries = _entries_in(session, start, end)
        facts.update(
            {
                "period": {
                    "since": start,
                    "until": end,
                    "requested_since": since,
                    "requested_until": until,
                },
                "events": _event_counts(entries),
                "decisions": _approvals(session, entries),
                "policy_decisions": decisions_in(session, entries),
                "scans": scans_in(session, entries),
                "remediations": remediations_in(session, entries),
                "refusals": _refusals(entries),
                "consent": _consent(session, entries),
                "erasures": _erasures(entries),
                "open_remediations": _open_remediations(session),
                "runs": _runs(session, start, end),
                "budget": _budget(workspace, session, start, end),
                "stale_adapters": stale_adapters_facts(workspace, session),
            }
        )
    facts["verification"] = verification_facts(verify_workspace(workspace))
    return facts


def _entries_in(session: Session, start: str | None, end: str | None) -> list[LedgerEntry]:
    query = select(LedgerEntry).order_by(col(LedgerEntry.seq))
    if start:
        query = query.where(col(LedgerEntry.recorded_at) >= start)
    if end:
        query = query.where(col(LedgerEntry.recorded_at) < end)
    return list(session.exec(query).all())


def _event_counts(entries: list[LedgerEntry]) -> dict[str, Any]:
    counts = Counter(e.event for e in entries)
    return {
        "total": len(entries),
        "first_seq": entries[0].seq if entries else None,
        "last_seq": entries[-1].seq if entries else None,
        "by_type": [{"event": name, "count": n} for name, n in sorted(counts.items())],
        "actors": [
            {"key_id": k, "count": n}
            for k, n in sorted(Counter(e.actor_key_id for e in entries).items())
        ],
    }


def _approvals(session: Session, entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    from govern.policy.approvals import approval_problems

    found = []
    for entry in entries:
        if entry.event not in ("snapshot.approved", "snapshot.rejected"):
            continue
        row = session.exec(select(Approval).where(Approval.ledger_seq == entry.seq)).first()
        recorded = payload_of(entry).get("row", {})
        found.append(
            {
                "seq": entry.seq,
                "at": entry.recorded_at,
                "verdict": recorded.get("verdict"),
                "snapshot_id": recorded.get("snapshot_id"),
                "approver_key_id": recorded.get("approver_key_id"),
                "decision_id": recorded.get("decision_id"),
                "note": recorded.get("note"),
                "signature_verified": row is not None and not approval_problems(session, row),
            }
        )
    return found


def _refusals(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    return [
        {
            "seq": e.seq,
            "at": e.recorded_at,
            "actor_key_id": e.actor_key_id,
            "snapshot_ids": refs_of(e),
            "reasons": payload_of(e).get("reasons", []),
            "recipe_hash": payload_of(e).get("recipe_hash"),
            "resuming_run": payload_of(e).get("resuming_run"),
        }
        for e in entries
        if e.event == "gate.refused"
    ]


def _consent(session: Session, entries: list[LedgerEntry]) -> dict[str, Any]:
    """Consent imports and revocations in the period, and what each revoked subject's data reached."""
    from govern.consent.erasure import impact

    seqs = [e.seq for e in entries if e.event in ("consent.imported", "consent.revoked")]
    imports = [
        {
            "seq": e.seq,
            "at": e.recorded_at,
            "events": payload_of(e).get("events"),
            "by_purpose": payload_of(e).get("by_purpose", {}),
            "source_sha256": payload_of(e).get("source_sha256"),
        }
        for e in entries
        if e.event == "consent.imported"
    ]
    revoked = (
        session.exec(
            select(ConsentEvent)
            .where(col(ConsentEvent.ledger_seq).in_(seqs), ConsentEvent.action == "revoke")
            .order_by(col(ConsentEvent.ledger_seq))
        ).all()
        if seqs
        else []
    )
    by_subject: dict[str, dict[str, Any]] = {}
    for event in revoked:
        item = by_subject.setdefault(
            event.subject_hash,
            {
                "subject_hash": event.subject_hash,
                "purposes": [],
                "seq": event.ledger_seq,
                "effective_at": event.effective_at,
            },
        )
        if event.purpose not in item["purposes"]:
            item["purposes"].append(event.purpose)
    revocations = []
    for item in list(by_subject.values())[:MAX_LISTED]:
        found = impact(session, item["subject_hash"])
        revocations.append(
            {
                **item,
                "impact": {
                    "snapshots": {sid: len(keys) for sid, keys in found.snapshots.items()},
                    "records": sum(len(keys) for keys in found.snapshots.values()),
                    "approvals": found.approvals,
                    "runs": found.runs,
                },
            }
        )
    return {
        "imports": imports,
        "revocations": revocations,
        "revoked_subjects": len(by_subject),
        "revocation_events": len(revoked),
    }


def _open_remediations(session: Session) -> list[dict[str, Any]]:
    """Runs trained on an erased subject still waiting for a decision, oldest first, with their age."""
    from govern.consent.remediation import remediation_states

    return [s.to_dict() for s in remediation_states(session) if s.open]


def _erasures(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    found = []
    for e in entries:
        if e.event != "subject.erased":
            continue
        payload = payload_of(e)
        erased = payload.get("erased", {})
        found.append(
            {
                "seq": e.seq,
                "at": e.recorded_at,
                "subject_hash": payload.get("subject_hash"),
                "records": sum(len(v) for v in erased.values()),
                "snapshots": sorted(erased),
                "runs_trained_on_subject": payload.get("runs_trained_on_subject", []),
            }
        )
    return found


def _runs(session: Session, start: str | None, end: str | None) -> list[dict[str, Any]]:
    from govern.training.run_status import run_status

    found = []
    for run in session.exec(select(TrainingRun).order_by(col(TrainingRun.ledger_seq))).all():
        if (start and run.created_at < start) or (end and run.created_at >= end):
            continue
        status = run_status(session, run)
        found.append(
            {
                "id": run.id,
                "status": status["status"],
                "created_at": run.created_at,
                "created_by": run.created_by,
                "snapshots": status["snapshots"],
                "datasets": status["datasets"],
                "epsilon": status["epsilon_spent"],
                "delta": run.delta,
                "charged_steps": status["charged_steps"],
            }
        )
    return found


def _budget(
    workspace: Any, session: Session, start: str | None, end: str | None
) -> list[dict[str, Any]]:
    """Per dataset: lifetime budget, ε spent over all time, and ε of the steps charged in the period."""
    from govern.reports.dataset import _active_pack

    pack, _ = _active_pack(workspace)
    budget = (dict(pack.rules.get("dp") or {}) if pack is not None else {}).get(
        "lifetime_epsilon_budget"
    )
    runs = [
        r
        for r in session.exec(select(TrainingRun).order_by(col(TrainingRun.ledger_seq))).all()
        if r.dp_enabled and r.delta
    ]
    found = []
    for dataset in session.exec(select(Dataset).order_by(Dataset.name)).all():
        mine = [r for r in runs if dataset.id in (payload_list(r.dataset_ids))]
        if not mine:
            continue
        delta = max(float(r.delta) for r in mine if r.delta)
        accountant = mine[-1].accountant or "prv"
        all_time, in_period, steps = [], [], 0
        shards = _shards(session)
        for run in mine:
            charges = session.exec(
                select(PrivacyCharge)
                .where(PrivacyCharge.run_id == run.id)
                .order_by(col(PrivacyCharge.step))
            ).all()
            all_time.append(
                (shards.get(run.id), [(c.noise_multiplier, c.sample_rate, 1) for c in charges])
            )
            window = [
                c
                for c in charges
                if (not start or c.recorded_at >= start) and (not end or c.recorded_at < end)
            ]
            steps += len(window)
            in_period.append(
                (shards.get(run.id), [(c.noise_multiplier, c.sample_rate, 1) for c in window])
            )
        spent, spent_in_period = (
            _compose(all_time, delta, accountant),
            _compose(in_period, delta, accountant),
        )
        found.append(
            {
                "dataset_id": dataset.id,
                "dataset_name": dataset.name,
                "runs": [r.id for r in mine],
                "lifetime_budget": float(budget) if budget is not None else None,
                "spent": spent,
                "spent_in_period": spent_in_period,
                "steps_in_period": steps,
                "remaining": float(budget) - spent if budget is not None else None,
                "delta": delta,
                "accountant": accountant,
            }
        )
    return found


def payload_list(text: str) -> list[str]:
    from govern.reports._base import loads

    value = loads(text, [])
    return value if isinstance(value, list) else []


def _shards(session: Session) -> dict[str, Any]:
    """The shard (train.shards) each verified run trained, by run id (unsharded runs absent)."""
    from govern.training.shards import ShardSpec
    from govern.training.spending import ledgered_runs

    found = {i: ShardSpec.from_payload(r.payload) for i, r in ledgered_runs(session).items()}
    return {i: spec for i, spec in found.items() if spec is not None}


def _compose(
    runs: list[tuple[Any, list[tuple[float, float, int]]]], delta: float, accountant: str
) -> float:
    """ε over these runs' histories: a family of shard runs in parallel (its worst slot), the rest
    composed sequentially."""
    from govern.training.parallel import group_by_shard, pool_epsilon

    sequential, families = group_by_shard(runs)
    return pool_epsilon(sequential, families, delta, accountant) if sequential or families else 0.0


def audit_contradictions(
    session: Session, ledgered: dict[str, Any], later: list[LedgerEntry]
) -> list[str]:
    """Later entries that change the period's picture: ones dated inside it, or consent back-dated into it."""
    covers = ledgered.get("covers", {})
    made = ledgered.get("generated_at")
    start, end = covers.get("since"), min(filter(None, (covers.get("until"), made)), default=None)
    found = []
    if end:
        found += [
            f"ledger entry {e.seq} ({e.event}) was appended after this report but is dated {e.recorded_at}, "
            "inside the period"
            for e in later
            if e.recorded_at < end
        ]
    head = int(ledgered.get("ledger_head", {}).get("seq", 0))
    events = session.exec(
        select(ConsentEvent)
        .where(col(ConsentEvent.ledger_seq) > head)
        .order_by(col(ConsentEvent.ledger_seq))
    ).all()
    for event in events:
        if (not start or event.effective_at >= start) and (not end or event.effective_at < end):
            found.append(
                f"ledger entry {event.ledger_seq}: a consent {event.action} for subject {short(event.subject_hash, 16)} "
                f"takes effect at {event.effective_at}, inside the period, but was recorded after this report"
            )
    return found


register(ReportKind("audit", "Audit report", audit_contradictions))
