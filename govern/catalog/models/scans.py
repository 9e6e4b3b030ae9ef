"""PII scans and their findings."""

from __future__ import annotations

from typing import ClassVar

from sqlmodel import Field, SQLModel


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
