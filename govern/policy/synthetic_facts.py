"""The `synthetic` part of SnapshotFacts: provenance, seeds, validation and review of a synthetic snapshot.

Plain data like the rest of the facts (record keys, rates, counts; never text). Kept apart from
facts.py so that file only names it: `SnapshotFacts.synthetic`, `FACTS_SCHEMA["synthetic"]`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_IDS = {"type": "array", "items": {"type": "string", "minLength": 1}}
_RATE = {"type": "number", "minimum": 0, "maximum": 1}
_COUNT = {"type": "integer", "minimum": 0}

SYNTHETIC_FACTS_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "required": ["generator", "seeds"],
    "properties": {
        "generator": {"type": "string", "minLength": 1},
        "generator_config_hash": {"type": ["string", "null"]},
        "seeds": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["snapshot_id"],
                "properties": {
                    "snapshot_id": {"type": "string", "minLength": 1},
                    "failed_rules": _IDS,
                    "record_ids": _IDS,
                },
            },
        },
        "validation": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["validation_id", "config"],
            "properties": {
                "validation_id": {"type": "string", "minLength": 1},
                "reference_snapshot_id": {"type": ["string", "null"]},
                "config": {"type": "object"},
                "records": _COUNT,
                "near_duplicate_rate": _RATE,
                "near_duplicate_ids": _IDS,
                "near_duplicate_sources": _IDS,
                "verbatim_copy_rate": _RATE,
                "verbatim_ids": _IDS,
                "verbatim_sources": _IDS,
                "divergence": _RATE,
                "min_length_ks_pvalue": _RATE,
                "within_duplicate_rate": _RATE,
                "within_duplicate_ids": _IDS,
                "pii_findings": _COUNT,
                "sample_size": _COUNT,
            },
        },
        "review": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["reviewed", "passed"],
            "properties": {
                "reviewed": _COUNT,
                "passed": _COUNT,
                "failed_ids": _IDS,
                "reviewers": _IDS,
            },
        },
    },
}


@dataclass(frozen=True)
class SeedFacts:
    """A seed snapshot and what its records carry into the synthetic ones: the pack's provenance
    and consent rules it fails, and its records without consent or erased."""

    snapshot_id: str
    failed_rules: tuple[str, ...] = ()
    record_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class ValidationFacts:
    """The latest verified validation of the snapshot (`govern synth validate`)."""

    validation_id: str
    config: Mapping[str, Any]
    reference_snapshot_id: str | None = None
    records: int = 0
    near_duplicate_rate: float = 0.0
    near_duplicate_ids: tuple[str, ...] = ()
    near_duplicate_sources: tuple[str, ...] = ()
    verbatim_copy_rate: float = 0.0
    verbatim_ids: tuple[str, ...] = ()
    verbatim_sources: tuple[str, ...] = ()
    divergence: float = 0.0
    min_length_ks_pvalue: float = 1.0
    within_duplicate_rate: float = 0.0
    within_duplicate_ids: tuple[str, ...] = ()
    pii_findings: int = 0
    sample_size: int = 0


@dataclass(frozen=True)
class ReviewFacts:
    """The verified verdicts on the validation's review sample (the latest per record)."""

    reviewed: int
    passed: int
    failed_ids: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()


@dataclass(frozen=True)
class SyntheticFacts:
    """Everything the `synthetic` rules read beyond the dataset's declared generator."""

    generator: str
    generator_config_hash: str | None = None
    seeds: tuple[SeedFacts, ...] = ()
    validation: ValidationFacts | None = None
    review: ReviewFacts | None = field(default=None)

    def to_dict(self) -> dict[str, Any]:
        v, r = self.validation, self.review
        return {
            "generator": self.generator,
            "generator_config_hash": self.generator_config_hash,
            "seeds": [
                {
                    "snapshot_id": s.snapshot_id,
                    "failed_rules": list(s.failed_rules),
                    "record_ids": list(s.record_ids),
                }
                for s in self.seeds
            ],
            "validation": None
            if v is None
            else {
                name: list(value) if isinstance(value, tuple) else value
                for name, value in (
                    (f, getattr(v, f)) for f in ValidationFacts.__dataclass_fields__
                )
            }
            | {"config": dict(v.config)},
            "review": None
            if r is None
            else {
                "reviewed": r.reviewed,
                "passed": r.passed,
                "failed_ids": list(r.failed_ids),
                "reviewers": list(r.reviewers),
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SyntheticFacts:
        v, r = data.get("validation"), data.get("review")
        return cls(
            generator=data["generator"],
            generator_config_hash=data.get("generator_config_hash"),
            seeds=tuple(
                SeedFacts(
                    s["snapshot_id"],
                    tuple(s.get("failed_rules", ())),
                    tuple(s.get("record_ids", ())),
                )
                for s in data.get("seeds", ())
            ),
            validation=None if v is None else _validation(v),
            review=None
            if r is None
            else ReviewFacts(
                r["reviewed"],
                r["passed"],
                tuple(r.get("failed_ids", ())),
                tuple(r.get("reviewers", ())),
            ),
        )


def _validation(data: Mapping[str, Any]) -> ValidationFacts:
    values: dict[str, Any] = {k: tuple(x) if isinstance(x, list) else x for k, x in data.items()}
    return ValidationFacts(**values)
