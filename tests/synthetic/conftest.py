"""Maintenance logs made by the tests: real seeds, a real held-out reference, synthetic sets."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PERMISSIVE_FAMILIES, activate, write_jsonl

EQUIPMENT = [
    "pump",
    "valve",
    "compressor",
    "turbine",
    "conveyor",
    "boiler",
    "fan",
    "motor",
    "gearbox",
    "chiller",
    "crane",
    "press",
]
ISSUES = [
    "vibration",
    "leak",
    "overheating",
    "noise",
    "corrosion",
    "misalignment",
    "wear",
    "cracking",
    "tripping",
    "blockage",
]
ACTIONS = [
    "replaced",
    "tightened",
    "cleaned",
    "lubricated",
    "inspected",
    "recalibrated",
    "welded",
    "adjusted",
    "flushed",
    "rewired",
]
PARTS = [
    "bearing",
    "seal",
    "gasket",
    "belt",
    "filter",
    "coupling",
    "impeller",
    "sensor",
    "fuse",
    "hose",
    "shaft",
    "nozzle",
]
SUBJECTS = [f"eng-{i}" for i in range(1, 9)]

SYNTH_PACK = """\
name: synth
version: "1.0.0"
description: synthetic data validated and reviewed before training, for tests
disclaimer: test pack, not legal advice
rules:
  provenance:
    required_fields: [source, license, legal_basis]
    licenses: {allow: [CC-BY-4.0]}
  consent:
    purpose: model_training
    on_missing: fail
  dp:
    required: true
  approvals:
    required_role: officer
    min_distinct_approvers: 1
    separation_of_duties: true
  pii:
    score_threshold: 0.5
    ignore_entity_types: [LOCATION, DATE_TIME, PERSON, NRP]
  synthetic:
    require_generator: true
    max_share: 1.0
    require_validation: true
    near_duplicate_threshold: 0.7
    verbatim_span_tokens: 8
    review_confidence: 0.9
    review_margin: 0.2
    max_near_duplicate_rate: 0.05
    max_verbatim_copy_rate: 0.05
    max_divergence: 0.7
    max_duplicate_rate: 0.1
    min_review_pass_rate: 0.8
"""
assert PERMISSIVE_FAMILIES  # the test pack configures every family itself


def log_line(rng: random.Random) -> str:
    """One made-up maintenance log entry (mostly slots, so two entries rarely share a phrase)."""
    pick = rng.choice
    return (
        f"{pick(EQUIPMENT)} {rng.randint(1, 99)} {pick(ISSUES)} at {pick(PARTS)}, "
        f"{pick(ACTIONS)} {pick(PARTS)}, {pick(ACTIONS)} {pick(PARTS)}, "
        f"{pick(ISSUES)} {pick(PARTS)} checked, ref {rng.randint(100, 999)}"
    )


def log_records(prefix: str, count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [
        {"id": f"{prefix}-{i}", "subject": SUBJECTS[i % len(SUBJECTS)], "text": log_line(rng)}
        for i in range(count)
    ]


def spec(name: str) -> Any:
    from govern.ingest.datasets import DatasetSpec

    return DatasetSpec(
        name=name,
        source="plant maintenance system",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )


@pytest.fixture
def reviewer(fresh_workspace):  # type: ignore[no-untyped-def]
    from tests.conftest import _new_key

    return _new_key(fresh_workspace, "reviewer", "rita")


@pytest.fixture
def seeded(fresh_workspace, engineer, officer, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The synth pack in force, consent from every subject, a seed snapshot and a real reference."""
    from govern.consent.registry import import_consent
    from govern.ingest.datasets import add_dataset

    workspace = activate(fresh_workspace, officer, "synth", SYNTH_PACK)
    consents = tmp_path / "consents.csv"
    consents.write_text(
        "subject_id,purpose,status,time,evidence_ref\n"
        + "".join(f"{s},model_training,granted,2024-01-01T00:00:00Z,form-{s}\n" for s in SUBJECTS)
    )
    import_consent(workspace, officer, consents)
    seed = add_dataset(
        workspace,
        engineer,
        spec("logs"),
        write_jsonl(tmp_path / "seed.jsonl", log_records("s", 40, 1)),
    ).snapshot
    reference = add_dataset(
        workspace,
        engineer,
        spec("logs-holdout"),
        write_jsonl(tmp_path / "holdout.jsonl", log_records("h", 40, 2)),
    ).snapshot
    return workspace, seed, reference
