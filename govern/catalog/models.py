"""Catalog tables. The schema is created and changed only by the Alembic migrations in alembic/.

Rows that record a state change carry `ledger_seq`, the ledger entry that created them; that
entry's payload holds the row's canonical content, so `govern audit verify` can cross-check
every such row against the signed chain (`ledgered_row` gives that content).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlmodel import Field, Index, SQLModel, UniqueConstraint


class Identity(SQLModel, table=True):
    """A registered Ed25519 public key with its role. Private keys never enter the catalog."""

    __tablename__ = "identities"
    ledgered_fields: ClassVar[tuple[str, ...]] = ("key_id", "name", "role", "public_key", "created_at")

    key_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    public_key: str = Field(max_length=64)
    created_at: str = Field(max_length=40)
    ledger_seq: int = Field(index=True)


class Dataset(SQLModel, table=True):
    """A registered dataset and the provenance declared for it at registration."""

    __tablename__ = "datasets"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id", "name", "source", "license", "legal_basis", "jurisdiction", "collected_at",
        "synthetic_generator", "subject_field", "text_fields", "id_field", "created_at", "created_by",
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


class Snapshot(SQLModel, table=True):
    """An immutable, content-addressed version of a dataset's records."""

    __tablename__ = "snapshots"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id", "dataset_id", "parent_id", "transform", "transform_hash", "source_name",
        "source_sha256", "record_count", "byte_size", "subject_index_hash", "created_at", "created_by",
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
    __table_args__ = (Index("ix_snapshot_records_subject_hash", "subject_hash"),)

    snapshot_id: str = Field(foreign_key="snapshots.id", primary_key=True, max_length=64)
    position: int = Field(primary_key=True)
    record_key: str = Field(max_length=200)
    record_hash: str = Field(max_length=64)
    subject_hash: str = Field(max_length=64)


class LedgerEntry(SQLModel, table=True):
    """One signed, hash-chained entry of the append-only ledger."""

    __tablename__ = "ledger_entries"
    __table_args__ = (UniqueConstraint("entry_hash", name="uq_ledger_entries_entry_hash"),)

    seq: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    recorded_at: str = Field(max_length=40)
    actor_key_id: str = Field(max_length=32, index=True)
    event: str = Field(max_length=64, index=True)
    refs: str  # canonical JSON list of the ids this entry concerns
    payload: str  # canonical JSON object
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)
    signature: str = Field(max_length=128)


LEDGERED_TABLES: tuple[type[SQLModel], ...] = (Identity, Dataset, Snapshot)


def ledgered_row(row: Any) -> dict[str, Any]:
    """The canonical content of a ledgered row, as its creating ledger entry records it."""
    return {"table": row.__tablename__, **{name: getattr(row, name) for name in row.ledgered_fields}}
