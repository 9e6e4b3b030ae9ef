"""Policy decisions and approvals."""

from __future__ import annotations

from typing import ClassVar

from sqlmodel import Field, SQLModel


class PolicyDecision(SQLModel, table=True):
    """The result of evaluating a policy pack on a snapshot, with every rule's evidence."""

    __tablename__ = "policy_decisions"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "snapshot_id",
        "pack_name",
        "pack_version",
        "pack_hash",
        "passed",
        "facts_hash",
        "created_at",
        "created_by",
    )

    id: str = Field(primary_key=True, max_length=64)  # the decision hash
    snapshot_id: str = Field(foreign_key="snapshots.id", index=True, max_length=64)
    pack_name: str = Field(max_length=200)
    pack_version: str = Field(max_length=64)
    pack_hash: str = Field(max_length=64)
    passed: bool
    result: str  # canonical JSON of the decision
    facts_hash: str = Field(max_length=64)
    created_at: str = Field(max_length=40)
    created_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class Approval(SQLModel, table=True):
    """An officer's signed approval or rejection of a snapshot under one decision and pack."""

    __tablename__ = "approvals"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "snapshot_id",
        "decision_id",
        "pack_hash",
        "verdict",
        "note",
        "approver_key_id",
        "signed_at",
        "signature",
    )

    id: str = Field(primary_key=True, max_length=32)
    snapshot_id: str = Field(foreign_key="snapshots.id", index=True, max_length=64)
    decision_id: str = Field(foreign_key="policy_decisions.id", max_length=64)
    pack_hash: str = Field(max_length=64)
    verdict: str = Field(max_length=16)  # approved | rejected
    note: str | None = Field(default=None)
    approver_key_id: str = Field(max_length=32)
    signed_at: str = Field(max_length=40)
    signature: str = Field(max_length=128)
    ledger_seq: int = Field(index=True)
