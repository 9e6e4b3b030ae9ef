"""Consent events, erasures and the remediations erasures open."""

from __future__ import annotations

from typing import ClassVar

from sqlmodel import Field, Index, SQLModel


class ConsentEvent(SQLModel, table=True):
    """One consent grant or revocation for a subject (held as a keyed hash) and a purpose.

    Append-only: the state at any time is the latest event effective by then. The evidence
    reference (often naming the subject) is not here but in `consent_evidence`, which erasure
    can delete; this row keeps only a salted hash of it.
    """

    __tablename__ = "consent_events"
    __table_args__ = (Index("ix_consent_events_subject_purpose", "subject_hash", "purpose"),)

    id: str = Field(primary_key=True, max_length=32)
    subject_hash: str = Field(max_length=64)
    purpose: str = Field(max_length=100)
    action: str = Field(max_length=16)  # grant | revoke
    effective_at: str = Field(max_length=40)
    expires_at: str | None = Field(default=None, max_length=40)
    evidence_hash: str | None = Field(default=None, max_length=64)  # SHA-256(salt || evidence_ref)
    recorded_at: str = Field(max_length=40)
    recorded_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class ConsentEvidence(SQLModel, table=True):
    """The clear text of a consent event's evidence reference, with the salt of its hash.

    Written once, never updated; erasing the subject deletes the row. The event keeps the salted
    hash, so its ledger entry still verifies and nobody can test a guess against it.
    """

    __tablename__ = "consent_evidence"

    event_id: str = Field(foreign_key="consent_events.id", primary_key=True, max_length=32)
    subject_hash: str = Field(max_length=64, index=True)
    salt: str = Field(max_length=32)
    evidence_ref: str = Field(max_length=500)


class Erasure(SQLModel, table=True):
    """A record whose raw content was erased from a stored snapshot; its hash stays in the manifest."""

    __tablename__ = "erasures"

    snapshot_id: str = Field(foreign_key="snapshots.id", primary_key=True, max_length=64)
    position: int = Field(primary_key=True)
    subject_hash: str = Field(max_length=64, index=True)
    erased_at: str = Field(max_length=40)
    ledger_seq: int = Field(index=True)


class Remediation(SQLModel, table=True):
    """A run trained on an erased subject, opened by the erasure; open until an officer decides."""

    __tablename__ = "remediations"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "run_id",
        "subject_hash",
        "erasure_seq",
        "opened_at",
    )

    id: str = Field(primary_key=True, max_length=32)
    run_id: str = Field(foreign_key="training_runs.id", index=True, max_length=40)
    subject_hash: str = Field(max_length=64, index=True)
    erasure_seq: int  # the subject.erased entry that opened it
    opened_at: str = Field(max_length=40)
    ledger_seq: int = Field(index=True)


class RemediationDecision(SQLModel, table=True):
    """An officer's signed decision closing a remediation: retrain, withdraw or accept."""

    __tablename__ = "remediation_decisions"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "remediation_id",
        "decision",
        "justification",
        "successor_run_id",
        "decided_by",
        "decided_at",
        "signature",
    )

    id: str = Field(primary_key=True, max_length=32)
    remediation_id: str = Field(
        foreign_key="remediations.id", index=True, unique=True, max_length=32
    )
    decision: str = Field(max_length=16)
    justification: str
    successor_run_id: str | None = Field(default=None, max_length=40)
    decided_by: str = Field(max_length=32)
    decided_at: str = Field(max_length=40)
    signature: str = Field(max_length=128)
    ledger_seq: int = Field(index=True)
