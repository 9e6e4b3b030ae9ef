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


class Scan(SQLModel, table=True):
    """A PII scan of a snapshot under one scanner configuration; findings never hold raw values."""

    __tablename__ = "scans"
    ledgered_fields: ClassVar[tuple[str, ...]] = (
        "id",
        "snapshot_id",
        "config_hash",
        "config",
        "spacy_model",
        "spacy_version",
        "presidio_version",
        "summary",
        "findings_count",
        "findings_hash",
        "created_at",
        "created_by",
    )

    id: str = Field(primary_key=True, max_length=64)
    snapshot_id: str = Field(foreign_key="snapshots.id", index=True, max_length=64)
    config_hash: str = Field(max_length=64)
    config: str  # canonical JSON of the scanner configuration
    spacy_model: str = Field(max_length=200)
    spacy_version: str = Field(max_length=40)
    presidio_version: str = Field(max_length=40)
    summary: str  # canonical JSON: [{"entity_type", "field", "count"}]
    findings_count: int
    findings_hash: str = Field(max_length=64)
    created_at: str = Field(max_length=40)
    created_by: str = Field(max_length=32)
    ledger_seq: int = Field(index=True)


class ScanFinding(SQLModel, table=True):
    """One finding of a scan: where and what, never the matched text."""

    __tablename__ = "scan_findings"

    scan_id: str = Field(foreign_key="scans.id", primary_key=True, max_length=64)
    seq: int = Field(primary_key=True)
    position: int
    record_key: str = Field(max_length=200)
    field: str = Field(max_length=200)
    start: int
    end: int
    entity_type: str = Field(max_length=64)
    score: float
    recognizer: str = Field(max_length=200)


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


class Erasure(SQLModel, table=True):
    """A record whose raw content was erased from a stored snapshot; its hash stays in the manifest."""

    __tablename__ = "erasures"

    snapshot_id: str = Field(foreign_key="snapshots.id", primary_key=True, max_length=64)
    position: int = Field(primary_key=True)
    subject_hash: str = Field(max_length=64, index=True)
    erased_at: str = Field(max_length=40)
    ledger_seq: int = Field(index=True)


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


LEDGERED_TABLES: tuple[type[SQLModel], ...] = (
    Identity,
    Dataset,
    ProvenanceAmendment,
    Snapshot,
    Scan,
    PolicyDecision,
    Approval,
    TrainingRun,
    PrivacyCharge,
    Evaluation,
    PrivacyAudit,
    Review,
    Release,
    SyntheticSource,
    SyntheticValidation,
    SyntheticReview,
    Remediation,
    RemediationDecision,
)
APPEND_ONLY_TABLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "ledger_entries": (("seq",), ("entry_hash",)),
    "consent_events": (("id",),),
    "approvals": (("id",),),
    "privacy_charges": (("run_id", "charge"),),
    "run_events": (("id",),),
    "erasures": (("snapshot_id", "position"),),
    "provenance_amendments": (("id",),),
    "evaluations": (("id",),),
    "privacy_audits": (("id",),),
    "reviews": (("id",),),
    "releases": (("id",),),
    "remediations": (("id",),),
    "remediation_decisions": (("id",), ("remediation_id",)),
    # Rows that record a fact once and are never changed afterwards.
    "identities": (("key_id",),),
    "datasets": (("id",), ("name",)),
    "snapshots": (("id",),),
    "snapshot_records": (("snapshot_id", "position"), ("snapshot_id", "record_key")),
    "scans": (("id",),),
    "scan_findings": (("scan_id", "seq"),),
    "policy_decisions": (("id",),),
    "training_runs": (("id",),),
    "synthetic_sources": (("dataset_id",),),
    "synthetic_validations": (("id",),),
    "synthetic_reviews": (("id",),),
}
# Written once and never updated, but deleted when their subject is erased.
ERASABLE_TABLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "consent_evidence": (("event_id",),),
}


def ledgered_row(row: Any) -> dict[str, Any]:
    """The canonical content of a ledgered row, as its creating ledger entry records it."""
    return {
        "table": row.__tablename__,
        **{name: getattr(row, name) for name in row.ledgered_fields},
    }
