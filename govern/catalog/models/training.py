"""Training runs, their events and privacy charges."""

from __future__ import annotations

from typing import ClassVar

from sqlmodel import Field, SQLModel


class TrainingRun(SQLModel, table=True):
    """A training run's immutable plan: data, model, recipe and privacy parameters."""

    __tablename__ = "training_runs"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "recipe_name",
        "recipe_hash",
        "snapshot_ids",
        "dataset_ids",
        "base_model_hash",
        "init_run_id",
        "dp_enabled",
        "noise_multiplier",
        "sample_rate",
        "max_grad_norm",
        "target_epsilon",
        "delta",
        "accountant",
        "planned_steps",
        "output_dir",
        "created_at",
        "created_by",
    )

    id: str = Field(primary_key=True, max_length=40)
    recipe_name: str = Field(max_length=200)
    recipe_hash: str = Field(max_length=64)
    snapshot_ids: str  # canonical JSON list
    dataset_ids: str  # canonical JSON list
    base_model_hash: str = Field(max_length=64)
    init_run_id: str | None = Field(default=None, max_length=40)
    dp_enabled: bool
    noise_multiplier: float | None = None
    sample_rate: float
    max_grad_norm: float | None = None
    target_epsilon: float | None = None
    delta: float | None = None
    accountant: str | None = Field(default=None, max_length=16)
    planned_steps: int
    output_dir: str
    created_at: str = Field(max_length=40)
    created_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class RunEvent(SQLModel, table=True):
    """What happened to a run: started, checkpoint, completed, failed, interrupted, resumed."""

    __tablename__ = "run_events"

    id: str = Field(primary_key=True, max_length=32)
    run_id: str = Field(foreign_key="training_runs.id", index=True, max_length=40)
    kind: str = Field(max_length=32)
    step: int
    epsilon: float | None = None
    loss: float | None = None
    detail: str  # canonical JSON
    recorded_at: str = Field(max_length=40)
    ledger_seq: int = Field(index=True)


class PrivacyCharge(SQLModel, table=True):
    """The privacy cost of one training step, recorded before the step runs (crash or not).

    `charge` counts every step that ran, so a step re-run after a crash is charged again.
    """

    __tablename__ = "privacy_charges"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "run_id",
        "charge",
        "step",
        "attempt",
        "noise_multiplier",
        "sample_rate",
        "recorded_at",
    )

    run_id: str = Field(foreign_key="training_runs.id", primary_key=True, max_length=40)
    charge: int = Field(primary_key=True)
    step: int
    attempt: int
    noise_multiplier: float
    sample_rate: float
    recorded_at: str = Field(max_length=40)
    ledger_seq: int = Field(default=0, index=True, sa_column_kwargs={"server_default": "0"})
