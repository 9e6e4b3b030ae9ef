"""Evaluations, privacy audits, reviews and releases."""

from __future__ import annotations

from typing import ClassVar

from sqlmodel import Field, SQLModel


class Evaluation(SQLModel, table=True):
    """Loss and perplexity of a run's adapter and of its base model on a held-out snapshot."""

    __tablename__ = "evaluations"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "run_id",
        "snapshot_id",
        "examples",
        "base_loss",
        "base_perplexity",
        "adapter_loss",
        "adapter_perplexity",
        "created_at",
        "created_by",
    )

    id: str = Field(primary_key=True, max_length=32)
    run_id: str = Field(foreign_key="training_runs.id", index=True, max_length=40)
    snapshot_id: str = Field(foreign_key="snapshots.id", max_length=64)
    examples: int
    base_loss: float
    base_perplexity: float
    adapter_loss: float
    adapter_perplexity: float
    created_at: str = Field(max_length=40)
    created_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class PrivacyAudit(SQLModel, table=True):
    """An empirical privacy audit of a run from its canaries, beside the accountant's ε."""

    __tablename__ = "privacy_audits"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "run_id",
        "canaries",
        "included",
        "exposure_mean",
        "exposure_max",
        "auc",
        "epsilon_lower_bound",
        "confidence",
        "accountant_epsilon",
        "consistent",
        "result",
        "created_at",
        "created_by",
    )

    id: str = Field(primary_key=True, max_length=32)
    run_id: str = Field(foreign_key="training_runs.id", index=True, max_length=40)
    canaries: int
    included: int
    exposure_mean: float
    exposure_max: float
    auc: float
    epsilon_lower_bound: float
    confidence: float
    accountant_epsilon: float | None = None
    consistent: bool
    result: str  # canonical JSON: scores, guesses, the canary secrets and which were included
    created_at: str = Field(max_length=40)
    created_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class Review(SQLModel, table=True):
    """A person's signed review of a run's adapter (append-only)."""

    __tablename__ = "reviews"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "run_id",
        "rating",
        "criteria",
        "notes",
        "reviewer_key_id",
        "signed_at",
        "signature",
    )

    id: str = Field(primary_key=True, max_length=32)
    run_id: str = Field(foreign_key="training_runs.id", index=True, max_length=40)
    rating: int
    criteria: str  # canonical JSON {name: score}
    notes: str
    reviewer_key_id: str = Field(max_length=32)
    signed_at: str = Field(max_length=40)
    signature: str = Field(max_length=128)
    ledger_seq: int = Field(index=True)


class Release(SQLModel, table=True):
    """An officer's release of a run's adapter, with the release rules it met."""

    __tablename__ = "releases"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "run_id",
        "released_by",
        "released_at",
        "rules",
        "signature",
    )

    id: str = Field(primary_key=True, max_length=32)
    run_id: str = Field(foreign_key="training_runs.id", index=True, max_length=40)
    released_by: str = Field(max_length=32)
    released_at: str = Field(max_length=40)
    rules: str  # canonical JSON of every release rule's result
    signature: str = Field(max_length=128)
    ledger_seq: int = Field(index=True)
