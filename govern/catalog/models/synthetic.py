"""Synthetic datasets: sources, validations, reviews."""

from __future__ import annotations

from typing import ClassVar

from sqlmodel import Field, SQLModel


class SyntheticSource(SQLModel, table=True):
    """Where a synthetic dataset came from: its generator, the hash of the generator's
    configuration (prompt template and parameters) and the real snapshots shown to it."""

    __tablename__ = "synthetic_sources"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "dataset_id",
        "generator",
        "generator_config_hash",
        "seed_snapshot_ids",
        "created_at",
        "created_by",
    )

    dataset_id: str = Field(primary_key=True, foreign_key="datasets.id", max_length=40)
    generator: str = Field(max_length=200)
    generator_config_hash: str = Field(max_length=64)
    seed_snapshot_ids: str  # canonical JSON list of snapshot ids
    created_at: str = Field(max_length=40)
    created_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class SyntheticValidation(SQLModel, table=True):
    """A validation of a synthetic snapshot against a real reference: fidelity, privacy, the
    review sample. Evidence holds record ids and statistics, never record text."""

    __tablename__ = "synthetic_validations"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "snapshot_id",
        "reference_snapshot_id",
        "config",
        "config_hash",
        "scan_id",
        "result",
        "created_at",
        "created_by",
    )

    id: str = Field(primary_key=True, max_length=64)
    snapshot_id: str = Field(foreign_key="snapshots.id", index=True, max_length=64)
    reference_snapshot_id: str = Field(foreign_key="snapshots.id", max_length=64)
    config: str  # canonical JSON: thresholds, n, sample size and seed
    config_hash: str = Field(max_length=64)
    scan_id: str | None = Field(default=None, max_length=64)
    result: str  # canonical JSON: fidelity, privacy, review sample
    created_at: str = Field(max_length=40)
    created_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class SyntheticReview(SQLModel, table=True):
    """A reviewer's signed per-record verdicts on a validation's review sample (append-only)."""

    __tablename__ = "synthetic_reviews"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "validation_id",
        "snapshot_id",
        "verdicts",
        "reviewed",
        "passed",
        "reviewer_key_id",
        "signed_at",
        "signature",
    )

    id: str = Field(primary_key=True, max_length=32)
    validation_id: str = Field(foreign_key="synthetic_validations.id", index=True, max_length=64)
    snapshot_id: str = Field(max_length=64)
    verdicts: str  # canonical JSON [{"record_key", "verdict"}]
    reviewed: int
    passed: int
    reviewer_key_id: str = Field(max_length=32)
    signed_at: str = Field(max_length=40)
    signature: str = Field(max_length=128)
    ledger_seq: int = Field(index=True)
