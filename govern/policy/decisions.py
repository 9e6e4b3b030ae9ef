"""Policy decisions on catalogued snapshots: gather the facts, evaluate the pack, store and ledger.

The engine (govern.policy) is pure; this module is where it meets the catalog. A decision is a
function of the snapshot, the pack and the facts (consent, scan, provenance), all recorded.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlmodel import Session, col, select

from govern import clock, ledger
from govern.canonical import canonical_json
from govern.catalog.models import (
    Dataset,
    PolicyDecision,
    Scan,
    Snapshot,
)
from govern.clock import parse_time, utc_now
from govern.consent.registry import coverage
from govern.errors import BadInput
from govern.ingest.datasets import effective_provenance
from govern.ingest.snapshots import ancestors, resolve_snapshot
from govern.ledger.authority import Authority, require, row_problem
from govern.ledger.keys import PrivateIdentity, Signer
from govern.policy import (
    ApprovalFacts,
    ConsentCoverage,
    Decision,
    Pack,
    PiiFindingCount,
    PiiScanSummary,
    Provenance,
    SnapshotFacts,
    TrainingPlan,
    evaluate,
)
from govern.policy.activation import active_pack_in, load_workspace_pack
from govern.policy.synthetic_facts import SyntheticFacts

if TYPE_CHECKING:
    from govern.workspace import Workspace

SCAN_EVENTS = ("pii.scanned",)
SNAPSHOT_EVENTS = ("snapshot.created",)
DATASET_EVENTS = ("dataset.registered",)


def erased_positions(session: Session, snapshot_id: str) -> set[int]:
    """Positions of records erased from a snapshot, as verified `subject.erased` entries record
    them (an erasures row written around govern erases nothing)."""
    from govern.consent.erasure import ledgered_erasures

    return {p for s, p in ledgered_erasures(session, snapshot_id) if s == snapshot_id}


def latest_scan(session: Session, snapshot_id: str) -> Scan | None:
    """The newest PII scan of a snapshot that a verified `pii.scanned` entry recorded as it is.

    A scan row written around govern (or signed by a key that may not scan) is no scan."""
    scans = session.exec(
        select(Scan).where(Scan.snapshot_id == snapshot_id).order_by(col(Scan.ledger_seq).desc())
    )
    return next((scan for scan in scans if row_problem(session, scan, SCAN_EVENTS) is None), None)


def lineage_problems(session: Session, snapshot: Snapshot) -> list[str]:
    """Why the snapshot's ancestry cannot be relied on: a snapshot or dataset row no verified entry recorded."""
    problems = [
        found
        for s in ancestors(session, snapshot)
        if (found := row_problem(session, s, SNAPSHOT_EVENTS))
    ]
    dataset = session.get(Dataset, snapshot.dataset_id)
    if dataset is None:
        problems.append(f"dataset {snapshot.dataset_id} of the snapshot is missing")
    elif found := row_problem(session, dataset, DATASET_EVENTS):
        problems.append(found)
    if snapshot.parent_id and ancestors(session, snapshot)[-1].parent_id:
        problems.append(
            f"snapshot {snapshot.id[:12]}: its ancestry is broken (a parent is missing or loops)"
        )
    return problems


def is_anonymized(session: Session, snapshot: Snapshot) -> bool:
    """Whether the snapshot, or any snapshot it derives from, is the output of `anonymize` (by the ledger)."""
    return any(
        s.transform == "anonymize" and row_problem(session, s, SNAPSHOT_EVENTS) is None
        for s in ancestors(session, snapshot)
    )


def involved_people(session: Session, snapshot: Snapshot) -> tuple[str, ...]:
    """The people who registered the dataset or made the snapshot or any snapshot it derives from."""
    authority = Authority.of(session)
    dataset = session.get(Dataset, snapshot.dataset_id)
    keys = {s.created_by for s in ancestors(session, snapshot)} | (
        {dataset.created_by} if dataset else set()
    )
    return tuple(
        sorted({found.person for key in keys if (found := authority.identity(key)) is not None})
    )


def _scan_summary(scan: Scan | None) -> PiiScanSummary | None:
    if scan is None:
        return None
    config = json.loads(scan.config)
    findings = tuple(
        PiiFindingCount(
            entity_type=row["entity_type"], count=int(row["count"]), field=row.get("field")
        )
        for row in json.loads(scan.summary)
    )
    return PiiScanSummary(
        config_hash=scan.config_hash,
        score_threshold=float(config.get("score_threshold", 0.0)),
        entity_types=tuple(config.get("entities", ())),
        findings=findings,
    )


def gather_facts(
    workspace: Workspace,
    session: Session,
    snapshot: Snapshot,
    pack: Pack,
    now: datetime,
    approvals: tuple[ApprovalFacts, ...] = (),
    training: TrainingPlan | None = None,
) -> SnapshotFacts:
    """Everything the pack's rules need about a snapshot, read from the catalog."""
    dataset = session.get(Dataset, snapshot.dataset_id)
    assert dataset is not None
    erased = erased_positions(session, snapshot.id)
    consent = tuple(
        ConsentCoverage(
            purpose=c.purpose,
            records_with_grant=c.records_with_grant,
            records_without_grant=tuple(c.records_without_grant),
        )
        for c in (
            coverage(session, snapshot.id, purpose, now, erased)
            for purpose in pack.consent_purposes()
        )
    )
    record_count = snapshot.record_count - len(erased)
    declared = effective_provenance(session, dataset)
    synthetic = _synthetic_facts(workspace, session, snapshot, pack, now)
    if synthetic is not None:  # issue 15: generated records carry their seeds' consent
        from govern.synthetic.facts import inherited_consent

        consent = inherited_consent(session, snapshot, pack, now, erased)
    provenance = Provenance(
        source=declared["source"],
        license=declared["license"],
        legal_basis=declared["legal_basis"],
        jurisdiction=declared["jurisdiction"],
        collected_at=parse_time(declared["collected_at"]) if declared["collected_at"] else None,
        registered_at=parse_time(dataset.created_at),
        declared_fields=tuple(json.loads(dataset.text_fields)),
        synthetic_generator=declared["synthetic_generator"],
        # A dataset declares its generator as a whole, so all of its records count as synthetic.
        synthetic_record_count=record_count if declared["synthetic_generator"] else 0,
    )
    return SnapshotFacts(
        snapshot_id=snapshot.id,
        snapshot_hash=snapshot.id,
        dataset_id=dataset.id,
        record_count=record_count,
        provenance=provenance,
        registered_by=dataset.created_by,
        involved_people=involved_people(session, snapshot),
        parent_id=snapshot.parent_id,
        transform=snapshot.transform,
        transform_hash=snapshot.transform_hash,
        anonymized=is_anonymized(session, snapshot),
        consent=consent,
        pii_scan=_scan_summary(latest_scan(session, snapshot.id)),
        approvals=approvals,
        training=training,
        synthetic=synthetic,
    )


def _synthetic_facts(
    workspace: Workspace, session: Session, snapshot: Snapshot, pack: Pack, now: datetime
) -> SyntheticFacts | None:
    """Seeds, validation and review of a synthetic snapshot (issue 15; govern/synthetic/facts.py)."""
    from govern.synthetic.facts import synthetic_facts

    return synthetic_facts(workspace, session, snapshot, pack, now)


def store_decision(
    session: Session, actor: Signer, decision: Decision, facts: SnapshotFacts
) -> tuple[PolicyDecision, bool]:
    """Store a decision and ledger it; the same decision (same hash) is stored once."""
    existing = session.get(PolicyDecision, decision.hash)
    if existing is not None:
        return existing, False
    row = PolicyDecision(
        id=decision.hash,
        snapshot_id=decision.snapshot_id,
        pack_name=decision.pack_name,
        pack_version=decision.pack_version,
        pack_hash=decision.pack_hash,
        passed=not decision.failed,
        result=canonical_json(decision.to_dict()),
        facts_hash=facts.inputs_digest(),
        created_at=utc_now(),
        created_by=actor.key_id,
        ledger_seq=0,
    )
    ledger.record(
        session,
        actor,
        "policy.decided",
        row,
        [row.snapshot_id, row.id],
        {
            "outcome": decision.outcome,
            "failed_rules": [r.rule for r in decision.failures],
        },
    )
    session.flush()
    return row, True


def check_snapshot(
    workspace: Workspace, actor: PrivateIdentity, snapshot_ref: str, pack_name: str | None = None
) -> tuple[Decision, PolicyDecision]:
    """Evaluate the active pack (or the pack named, active or not) on a snapshot, store the decision and return it."""
    now = clock.now()
    with workspace.catalog.transaction() as session:
        require(session, actor, "policy.check")
        pack = (
            load_workspace_pack(workspace, pack_name)
            if pack_name
            else active_pack_in(workspace, session)
        )
        snapshot = resolve_snapshot(session, snapshot_ref)
        facts = gather_facts(workspace, session, snapshot, pack, now)
        decision = evaluate(pack, facts, now)
        row, _ = store_decision(session, actor, decision, facts)
    return decision, row


def current_decision(session: Session, snapshot_id: str, pack: Pack) -> PolicyDecision:
    """The newest stored decision on a snapshot under this exact pack, or a BadInput saying what to run."""
    row = session.exec(
        select(PolicyDecision)
        .where(PolicyDecision.snapshot_id == snapshot_id, PolicyDecision.pack_hash == pack.hash)
        .order_by(col(PolicyDecision.ledger_seq).desc())
    ).first()
    if row is None:
        raise BadInput(
            f"snapshot {snapshot_id[:12]} has no decision under pack {pack.name} {pack.version} "
            f"({pack.hash[:12]}); run `govern policy check {snapshot_id[:12]}` first"
        )
    return row
