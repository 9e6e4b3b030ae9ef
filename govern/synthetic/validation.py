"""`govern synth validate`: a synthetic snapshot checked against real data, stored and ledgered.

The validation reads the synthetic snapshot, its seed snapshots (from its dataset's synthetic
provenance) and a real reference snapshot, and records, in one `synthetic.validated` entry:
fidelity (`fidelity.py`), copies of seed and reference records and duplicates within the set
(`privacy.py`), the PII scan of the synthetic text (the workspace's own scan, reused when it
exists), and the review sample drawn from the validation's id (`sampling.py`). Its thresholds
come from the active pack's `synthetic` section and are recorded with it, so a decision can tell
a validation made under other thresholds. The id is a hash of every input: the same validation
twice is stored once and draws the same sample.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, col, select

from govern import ledger
from govern.canonical import canonical_json, hash_value
from govern.catalog.models import Dataset, Snapshot, SnapshotRecord, SyntheticValidation
from govern.clock import utc_now
from govern.errors import BadInput, IntegrityFailure
from govern.ingest.snapshots import iter_snapshot_records, resolve_snapshot, snapshot_problems
from govern.ledger.authority import require, row_problem
from govern.ledger.keys import PrivateIdentity
from govern.progress import progress
from govern.synthetic import fidelity, privacy, sampling
from govern.synthetic.fidelity import TextRecord
from govern.synthetic.provenance import seeds_of, source_of
from govern.synthetic.settings import validation_config

VALIDATION_EVENTS = ("synthetic.validated",)
MAX_LISTED = 1000  # matches kept per list; the counts and rates always cover every record


def records_of(workspace: Any, session: Session, snapshot: Snapshot) -> list[TextRecord]:
    """A snapshot's records (erased ones left out) with their keys and text fields."""
    dataset = session.get(Dataset, snapshot.dataset_id)
    assert dataset is not None
    fields = json.loads(dataset.text_fields)
    keys = dict(
        session.exec(
            select(SnapshotRecord.position, SnapshotRecord.record_key).where(
                SnapshotRecord.snapshot_id == snapshot.id
            )
        ).all()
    )
    return [
        TextRecord(keys[position], {f: str(record.get(f) or "") for f in fields})
        for position, record in iter_snapshot_records(workspace, snapshot.id)
    ]


def _listed(matches: list[privacy.Match]) -> list[dict[str, Any]]:
    return [m.to_dict() for m in matches[:MAX_LISTED]]


def _rate(count: int, total: int) -> float:
    return round(count / total, 6) if total else 0.0


def measure(
    synthetic: list[TextRecord],
    reference: list[TextRecord],
    seeds: list[TextRecord],
    fields: list[str],
    config: Mapping[str, Any],
) -> dict[str, Any]:
    """Fidelity, privacy and within-set duplicates of a synthetic set (pure)."""
    threshold = float(config["near_duplicate_threshold"])
    real = {r.key: r for r in [*seeds, *reference]}
    near = privacy.near_duplicates(synthetic, list(real.values()), threshold)
    verbatim = privacy.verbatim_copies(synthetic, seeds, int(config["verbatim_span_tokens"]))
    exact_within, near_within = privacy.within_duplicates(synthetic, threshold)
    total = len(synthetic)
    return {
        "records": total,
        "reference_records": len(reference),
        "seed_records": len(seeds),
        "fidelity": fidelity.compare(synthetic, reference, fields, int(config["ngram"])),
        "within": {
            "exact_duplicates": len(exact_within),
            "exact_duplicate_rate": _rate(len(exact_within), total),
            "near_duplicates": len(near_within),
            "near_duplicate_rate": _rate(len(near_within), total),
            "matches": _listed([*exact_within, *near_within]),
        },
        "privacy": {
            "near_duplicates": len(near),
            "near_duplicate_rate": _rate(len(near), total),
            "near_duplicate_matches": _listed(near),
            "verbatim_copies": len(verbatim),
            "verbatim_copy_rate": _rate(len(verbatim), total),
            "verbatim_matches": _listed(verbatim),
        },
    }


def validate_snapshot(
    workspace: Any,
    actor: PrivateIdentity,
    snapshot_ref: str,
    reference_ref: str,
    show_progress: bool | None = None,
) -> tuple[SyntheticValidation, bool]:
    """Validate a synthetic snapshot against a real reference; returns (validation, created)."""
    from govern.pii.scans import scan_snapshot
    from govern.policy.activation import active_pack_in

    with workspace.catalog.reading() as session:
        require(session, actor, "synthetic.validate")
        snapshot = resolve_snapshot(session, snapshot_ref)
        reference = resolve_snapshot(session, reference_ref)
        if source_of(session, snapshot.dataset_id) is None:
            raise BadInput(
                f"snapshot {snapshot.id[:12]} is not synthetic: its dataset was not registered "
                "with `govern dataset add --synthetic`"
            )
        if source_of(session, reference.dataset_id) is not None:
            raise BadInput(
                f"--reference {reference.id[:12]} is synthetic; give a snapshot of real records"
            )
        seeds = seeds_of(session, snapshot)
        for checked in (snapshot, reference, *seeds):
            problems = snapshot_problems(workspace, session, checked)
            if problems:
                raise IntegrityFailure(f"cannot validate: {problems[0]}")
        pack = active_pack_in(workspace, session)
        config = validation_config(pack.rules.get("synthetic"))
        dataset = session.get(Dataset, snapshot.dataset_id)
        assert dataset is not None
        fields = sorted(json.loads(dataset.text_fields))
        with progress(f"validating {snapshot.id[:12]}", total=3, enabled=show_progress) as advance:
            synthetic_records = records_of(workspace, session, snapshot)
            reference_records = records_of(workspace, session, reference)
            seed_records = [r for seed in seeds for r in records_of(workspace, session, seed)]
            advance(1)
    scan, _ = scan_snapshot(workspace, actor, snapshot.id, show_progress=show_progress)
    result = measure(synthetic_records, reference_records, seed_records, fields, config)
    result["pii"] = {
        "scan_id": scan.id,
        "findings": scan.findings_count,
        "by_entity": _totals(scan.summary),
    }
    validation_id = hash_value(
        {
            "snapshot": snapshot.id,
            "reference": reference.id,
            "seeds": [s.id for s in seeds],
            "config": config,
            "scan": scan.id,
        }
    )
    size = sampling.review_sample_size(
        len(synthetic_records), float(config["review_confidence"]), float(config["review_margin"])
    )
    result["review_sample"] = sampling.draw_sample(
        (r.key for r in synthetic_records), size, validation_id
    )
    return _store(workspace, actor, validation_id, snapshot, reference, config, scan.id, result)


def _totals(summary: str) -> dict[str, int]:
    totals: dict[str, int] = {}
    for row in json.loads(summary):
        totals[row["entity_type"]] = totals.get(row["entity_type"], 0) + int(row["count"])
    return totals


def _store(
    workspace: Any,
    actor: PrivateIdentity,
    validation_id: str,
    snapshot: Snapshot,
    reference: Snapshot,
    config: dict[str, Any],
    scan_id: str,
    result: dict[str, Any],
) -> tuple[SyntheticValidation, bool]:
    with workspace.catalog.transaction() as session:
        require(session, actor, "synthetic.validate")
        existing = session.get(SyntheticValidation, validation_id)
        if existing is not None:
            return existing, False
        row = SyntheticValidation(
            id=validation_id,
            snapshot_id=snapshot.id,
            reference_snapshot_id=reference.id,
            config=canonical_json(config),
            config_hash=hash_value(config),
            scan_id=scan_id,
            result=canonical_json(result),
            created_at=utc_now(),
            created_by=actor.key_id,
            ledger_seq=0,
        )
        privacy_result = result["privacy"]
        ledger.record(
            session,
            actor,
            "synthetic.validated",
            row,
            [snapshot.id, reference.id, row.id],
            {
                "near_duplicate_rate": privacy_result["near_duplicate_rate"],
                "verbatim_copy_rate": privacy_result["verbatim_copy_rate"],
                "divergence": result["fidelity"]["divergence"],
            },
        )
        session.flush()
    return row, True


def latest_validation(session: Session, snapshot_id: str) -> SyntheticValidation | None:
    """The newest validation of a snapshot that a verified `synthetic.validated` entry recorded."""
    rows = session.exec(
        select(SyntheticValidation)
        .where(SyntheticValidation.snapshot_id == snapshot_id)
        .order_by(col(SyntheticValidation.ledger_seq).desc())
    )
    return next((r for r in rows if row_problem(session, r, VALIDATION_EVENTS) is None), None)
