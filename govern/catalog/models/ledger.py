"""Identities and the ledger's entries."""

from __future__ import annotations

from typing import ClassVar

from sqlmodel import Field, SQLModel, UniqueConstraint


class Identity(SQLModel, table=True):
    """A registered Ed25519 public key with its role. Private keys never enter the catalog."""

    __tablename__ = "identities"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "key_id",
        "name",
        "role",
        "public_key",
        "created_at",
    )

    key_id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    role: str = Field(max_length=32)
    public_key: str = Field(max_length=64)
    created_at: str = Field(max_length=40)
    ledger_seq: int = Field(index=True)


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
