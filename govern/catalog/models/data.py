"""Datasets, their provenance and snapshots."""

from __future__ import annotations

from typing import ClassVar

from sqlmodel import Field, Index, SQLModel, UniqueConstraint


class Dataset(SQLModel, table=True):
    """A registered dataset and the provenance declared for it at registration."""

    __tablename__ = "datasets"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "name",
        "source",
        "license",
        "legal_basis",
        "jurisdiction",
        "collected_at",
        "synthetic_generator",
        "subject_field",
        "text_fields",
        "id_field",
        "created_at",
        "created_by",
    )

    id: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200, unique=True)
    source: str
    license: str = Field(max_length=100)
    legal_basis: str = Field(max_length=64)
    jurisdiction: str | None = Field(default=None, max_length=64)
    collected_at: str | None = Field(default=None, max_length=40)
    synthetic_generator: str | None = Field(default=None, max_length=200)
    subject_field: str = Field(max_length=200)
    text_fields: str  # canonical JSON list of field names
    id_field: str | None = Field(default=None, max_length=200)
    created_at: str = Field(max_length=40)
    created_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class ProvenanceAmendment(SQLModel, table=True):
    """A later correction of one provenance field of a dataset; the registration row never changes."""

    __tablename__ = "provenance_amendments"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "dataset_id",
        "field",
        "value",
        "reason",
        "amended_at",
        "amended_by",
    )

    id: str = Field(primary_key=True, max_length=32)
    dataset_id: str = Field(foreign_key="datasets.id", index=True, max_length=40)
    field: str = Field(max_length=64)
    value: str | None = Field(default=None)
    reason: str
    amended_at: str = Field(max_length=40)
    amended_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class Snapshot(SQLModel, table=True):
    """An immutable, content-addressed version of a dataset's records."""

    __tablename__ = "snapshots"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "dataset_id",
        "parent_id",
        "transform",
        "transform_hash",
        "source_name",
        "source_sha256",
        "record_count",
        "byte_size",
        "subject_index_hash",
        "created_at",
        "created_by",
    )

    id: str = Field(primary_key=True, max_length=64)
    dataset_id: str = Field(foreign_key="datasets.id", index=True, max_length=40)
    parent_id: str | None = Field(default=None, foreign_key="snapshots.id", max_length=64)
    transform: str = Field(max_length=32)
    transform_hash: str | None = Field(default=None, max_length=64)
    source_name: str | None = Field(default=None)
    source_sha256: str | None = Field(default=None, max_length=64)
    record_count: int
    byte_size: int
    subject_index_hash: str = Field(max_length=64)
    created_at: str = Field(max_length=40)
    created_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class SnapshotRecord(SQLModel, table=True):
    """One record of a snapshot: its hash, its key and its subject (as a keyed hash only)."""

    __tablename__ = "snapshot_records"
    __table_args__ = (
        Index("ix_snapshot_records_subject_hash", "subject_hash"),
        Index("ix_snapshot_records_record_hash", "record_hash"),
        UniqueConstraint("snapshot_id", "record_key", name="uq_snapshot_records_key"),
    )

    snapshot_id: str = Field(foreign_key="snapshots.id", primary_key=True, max_length=64)
    position: int = Field(primary_key=True)
    record_key: str = Field(max_length=200)
    record_hash: str = Field(max_length=64)
    subject_hash: str = Field(max_length=64)
