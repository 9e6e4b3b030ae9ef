"""What a policy decision on a synthetic snapshot reads: its seeds, validation and review.

Seeds are judged by the same pack as the synthetic snapshot: the provenance and consent rules
a seed fails, its records whose subject has no active consent for the pack's purposes, and its
erased records, all become facts of every synthetic snapshot made from it. So a seed subject's
revocation or erasure moves the synthetic snapshot's decision, and a seed's licence or legal
basis the pack refuses is refused in its synthetic offspring too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from govern.catalog.models import Snapshot, SnapshotRecord, SyntheticValidation
from govern.policy.facts import ConsentCoverage
from govern.policy.pack import Pack
from govern.policy.rules.base import EvaluationContext
from govern.policy.synthetic_facts import SeedFacts, SyntheticFacts, ValidationFacts
from govern.synthetic.provenance import seed_ids, source_of
from govern.synthetic.review import review_facts
from govern.synthetic.validation import latest_validation

# The seed's rule families whose failures a synthetic record inherits.
INHERITED_FAMILIES = ("provenance", "consent")


def _erased_keys(session: Session, snapshot_id: str) -> set[str]:
    """Keys of the snapshot's records that verified `subject.erased` entries erased (an erasures
    row written or deleted around govern changes nothing)."""
    from govern.policy.decisions import erased_positions

    positions = erased_positions(session, snapshot_id)
    if not positions:
        return set()
    return set(
        session.exec(
            select(SnapshotRecord.record_key).where(
                SnapshotRecord.snapshot_id == snapshot_id,
                col(SnapshotRecord.position).in_(positions),
            )
        ).all()
    )


def seed_facts(
    workspace: Any, session: Session, seed_id: str, pack: Pack, now: datetime
) -> SeedFacts:
    """What one seed snapshot passes on: its inherited rule failures and its unusable records."""
    from govern.policy.decisions import gather_facts

    seed = session.get(Snapshot, seed_id)
    if seed is None:
        return SeedFacts(seed_id, ("synthetic.seed_missing",))
    facts = gather_facts(workspace, session, seed, pack, now)
    failed: set[str] = set()
    for name in INHERITED_FAMILIES:
        family = pack.family(name)
        if family is not None:
            failed |= {
                r.rule for r in family.evaluate(facts, EvaluationContext(now)) if r.status == "fail"
            }
    unusable = _erased_keys(session, seed.id)
    for coverage in facts.consent:
        unusable |= set(coverage.records_without_grant)
    return SeedFacts(seed.id, tuple(sorted(failed)), tuple(sorted(unusable)))


def _keys(matches: list[dict[str, Any]], side: str) -> tuple[str, ...]:
    return tuple(sorted({str(m[side]) for m in matches}))


def validation_facts(row: SyntheticValidation) -> ValidationFacts:
    """The policy's view of a stored validation."""
    result = json.loads(row.result)
    privacy, within = result["privacy"], result["within"]
    near, verbatim = privacy["near_duplicate_matches"], privacy["verbatim_matches"]
    return ValidationFacts(
        validation_id=row.id,
        config=json.loads(row.config),
        reference_snapshot_id=row.reference_snapshot_id,
        records=int(result["records"]),
        near_duplicate_rate=float(privacy["near_duplicate_rate"]),
        near_duplicate_ids=_keys(near, "record"),
        near_duplicate_sources=_keys(near, "source"),
        verbatim_copy_rate=float(privacy["verbatim_copy_rate"]),
        verbatim_ids=_keys(verbatim, "record"),
        verbatim_sources=_keys(verbatim, "source"),
        divergence=float(result["fidelity"]["divergence"]),
        min_length_ks_pvalue=float(result["fidelity"]["min_length_ks_pvalue"]),
        within_duplicate_rate=round(
            float(within["exact_duplicate_rate"]) + float(within["near_duplicate_rate"]), 6
        ),
        within_duplicate_ids=_keys(within["matches"], "record"),
        pii_findings=int(result.get("pii", {}).get("findings", 0)),
        sample_size=len(result.get("review_sample", [])),
    )


def inherited_consent(
    session: Session, snapshot: Snapshot, pack: Pack, now: datetime, erased: set[int]
) -> tuple[ConsentCoverage, ...]:
    """Consent of a synthetic snapshot's records, per purpose: generated records have no data subject
    of their own, so they are covered exactly when every record of every seed is (none revoked, none
    erased); otherwise none of them is, as any may carry what a withdrawn record held."""
    from govern.consent.registry import coverage
    from govern.policy.decisions import erased_positions

    seeds = seed_ids(source_of(session, snapshot.dataset_id))
    keys = [
        key
        for position, key in session.exec(
            select(SnapshotRecord.position, SnapshotRecord.record_key)
            .where(SnapshotRecord.snapshot_id == snapshot.id)
            .order_by(col(SnapshotRecord.position))
        )
        if position not in erased
    ]
    found = []
    for purpose in pack.consent_purposes():
        withdrawn = any(
            session.get(Snapshot, seed) is None
            or _erased_keys(session, seed)
            or coverage(
                session, seed, purpose, now, erased_positions(session, seed)
            ).records_without_grant
            for seed in seeds
        )
        found.append(
            ConsentCoverage(
                purpose=purpose, records_with_grant=0, records_without_grant=tuple(keys)
            )
            if withdrawn
            else ConsentCoverage(purpose=purpose, records_with_grant=len(keys))
        )
    return tuple(found)


def synthetic_facts(
    workspace: Any, session: Session, snapshot: Snapshot, pack: Pack, now: datetime
) -> SyntheticFacts | None:
    """The synthetic facts of a snapshot; None when its dataset has no synthetic provenance."""
    source = source_of(session, snapshot.dataset_id)
    if source is None:
        return None
    validation = latest_validation(session, snapshot.id)
    return SyntheticFacts(
        generator=source.generator,
        generator_config_hash=source.generator_config_hash,
        seeds=tuple(seed_facts(workspace, session, s, pack, now) for s in seed_ids(source)),
        validation=None if validation is None else validation_facts(validation),
        review=None if validation is None else review_facts(session, validation),
    )
