"""PII scanning and anonymization with Presidio and spaCy, offline, batched, measured.

    ScannerConfig   the [pii] table of govern.toml, validated and hashed
    Scanner         finds PII in texts and records (spaCy pipe, one process per core)
    Anonymizer      rewrites found spans per entity type (tag, mask, redact, drop, pseudonym)
    detect_file / redact_file   the same over a JSONL/CSV/Parquet file, written atomically

Importing this package is cheap; Presidio and spaCy load when a Scanner first scans.
"""

from govern.pii.anonymizer import Anonymizer, OperatorConfig, load_operators
from govern.pii.config import ScannerConfig
from govern.pii.files import DetectSummary, RedactSummary, detect_file, redact_file
from govern.pii.scanner import Finding, ScannedRecord, Scanner, Span

__all__ = [
    "Anonymizer",
    "DetectSummary",
    "Finding",
    "OperatorConfig",
    "RedactSummary",
    "ScannedRecord",
    "Scanner",
    "ScannerConfig",
    "Span",
    "detect_file",
    "load_operators",
    "redact_file",
]
