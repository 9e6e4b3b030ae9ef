"""Catalog tables. The schema is created and changed only by the Alembic migrations in alembic/.

Rows that record a state change carry `ledger_seq`, the ledger entry that created them; that
entry's payload holds the row's canonical content, so `govern audit verify` can cross-check
every such row against the signed chain (`ledgered_row` gives that content).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel

from govern.catalog.models.consent import (
    ConsentEvent,
    ConsentEvidence,
    Erasure,
    Remediation,
    RemediationDecision,
)
from govern.catalog.models.data import Dataset, ProvenanceAmendment, Snapshot, SnapshotRecord
from govern.catalog.models.decisions import Approval, PolicyDecision
from govern.catalog.models.evaluation import Evaluation, PrivacyAudit, Release, Review
from govern.catalog.models.ledger import Identity, LedgerEntry
from govern.catalog.models.scans import Scan, ScanFinding
from govern.catalog.models.synthetic import SyntheticReview, SyntheticSource, SyntheticValidation
from govern.catalog.models.training import PrivacyCharge, RunEvent, TrainingRun

__all__ = [
    "APPEND_ONLY_TABLES",
    "ERASABLE_TABLES",
    "LEDGERED_TABLES",
    "Approval",
    "ConsentEvent",
    "ConsentEvidence",
    "Dataset",
    "Erasure",
    "Evaluation",
    "Identity",
    "LedgerEntry",
    "PolicyDecision",
    "PrivacyAudit",
    "PrivacyCharge",
    "ProvenanceAmendment",
    "Release",
    "Remediation",
    "RemediationDecision",
    "Review",
    "RunEvent",
    "Scan",
    "ScanFinding",
    "Snapshot",
    "SnapshotRecord",
    "SyntheticReview",
    "SyntheticSource",
    "SyntheticValidation",
    "TrainingRun",
    "ledgered_row",
]

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
