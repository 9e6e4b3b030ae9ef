"""The synthetic-data section of a dataset report: generator, seeds, fidelity, privacy, review.

Statistics, rates and record ids only; never record text.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from govern.catalog.models import Dataset, Snapshot
from govern.synthetic.provenance import seed_ids, source_of
from govern.synthetic.review import review_facts
from govern.synthetic.sampling import wilson_interval
from govern.synthetic.validation import latest_validation

LISTED = 20


def synthetic_section(session: Session, snapshot: Snapshot) -> dict[str, Any] | None:
    """The section's facts, or None when the snapshot's dataset is not synthetic."""
    source = source_of(session, snapshot.dataset_id)
    if source is None:
        return None
    seeds = []
    for seed_id in seed_ids(source):
        seed = session.get(Snapshot, seed_id)
        dataset = session.get(Dataset, seed.dataset_id) if seed is not None else None
        seeds.append(
            {
                "id": seed_id,
                "dataset": dataset.name if dataset else None,
                "records": seed.record_count if seed else None,
            }
        )
    section: dict[str, Any] = {
        "generator": source.generator,
        "generator_config_hash": source.generator_config_hash,
        "seeds": seeds,
        "validation": None,
        "review": None,
    }
    row = latest_validation(session, snapshot.id)
    if row is None:
        return section
    result, config = json.loads(row.result), json.loads(row.config)
    privacy = result["privacy"]
    section["validation"] = {
        "id": row.id,
        "reference": row.reference_snapshot_id,
        "created_at": row.created_at,
        "config": config,
        "records": result["records"],
        "fidelity": result["fidelity"],
        "within": {k: v for k, v in result["within"].items() if k != "matches"},
        "near_duplicate_rate": privacy["near_duplicate_rate"],
        "verbatim_copy_rate": privacy["verbatim_copy_rate"],
        "copied_record_ids": sorted(
            {m["record"] for m in privacy["near_duplicate_matches"] + privacy["verbatim_matches"]}
        )[:LISTED],
        "pii": result["pii"],
        "sample_size": len(result["review_sample"]),
    }
    review = review_facts(session, row)
    if review is not None:
        confidence = float(config["review_confidence"])
        low, high = wilson_interval(review.passed, review.reviewed, confidence)
        section["review"] = {
            "reviewed": review.reviewed,
            "passed": review.passed,
            "confidence": confidence,
            "interval": [round(low, 4), round(high, 4)],
            "failed_record_ids": list(review.failed_ids[:LISTED]),
            "reviewers": list(review.reviewers),
        }
    return section
