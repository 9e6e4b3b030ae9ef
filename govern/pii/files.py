"""Detect and redact over record files (JSONL, CSV, Parquet), written atomically.

`detect_file` writes one JSON line per finding, never the matched text; `redact_file` writes
the records with the scanned fields anonymized. Output goes to a temporary file beside the
target, is fsynced and renamed into place only when the whole input was processed, so an
error or Ctrl-C leaves the target as it was.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from govern.atomic import atomic_output
from govern.errors import BadInput, record_error
from govern.pii.config import ScannerConfig


def json_line(value: Any) -> str:
    """One JSON line; strings holding lone surrogates are written with \\u escapes."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True, default=str)
    return text + "\n"


@dataclass
class DetectSummary:
    """What a detect run saw and found."""

    records: int = 0
    texts: int = 0
    findings: int = 0
    by_entity: Counter[str] = field(default_factory=Counter)
    by_field: Counter[str] = field(default_factory=Counter)
    missing_fields: list[str] = field(default_factory=list)
    output: str = ""
    provenance: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "texts": self.texts,
            "findings": self.findings,
            "by_entity": dict(sorted(self.by_entity.items())),
            "by_field": dict(sorted(self.by_field.items())),
            "missing_fields": self.missing_fields,
            "output": self.output,
            "scanner": self.provenance,
        }


@dataclass
class RedactSummary(DetectSummary):
    """What a redact run wrote: records kept, dropped, spans replaced."""

    written: int = 0
    dropped: int = 0
    operators_hash: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data.update(written=self.written, dropped=self.dropped, operators_hash=self.operators_hash)
        return data


def _count_lines(path: Path) -> int | None:
    if path.suffix.lower() not in {".jsonl", ".ndjson", ".csv"}:
        return None
    count = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
    return count


def _scan(
    path: Path,
    fields: Sequence[str],
    id_field: str | None,
    config: ScannerConfig | None,
    fmt: str | None,
    processes: int | None,
    progress: bool | None,
    limit: int | None,
    summary: DetectSummary,
) -> Iterator[Any]:
    from govern.ingest.readers import read_records
    from govern.pii.scanner import Scanner
    from govern.progress import progress as progress_bar

    if not fields:
        raise BadInput("name at least one field to scan with --field NAME")
    path = Path(path)
    records: Any = read_records(path, fmt)
    if limit is not None:
        records = islice(records, limit)
    seen: set[str] = set()

    def checked(items: Any) -> Iterator[tuple[int, dict[str, Any]]]:
        for line, record in items:
            if id_field is not None and id_field not in record:
                raise record_error(
                    path, line, f"the id field {id_field!r} is missing; pass the right --id-field"
                )
            seen.update(name for name in fields if name in record)
            yield line, record

    with Scanner(config, processes=processes) as scanner:
        summary.provenance = scanner.provenance()
        total = _count_lines(path) if progress is not False else None
        with progress_bar(f"scanning {path.name}", total=total, enabled=progress) as advance:
            for scanned in scanner.scan_records(checked(records), fields, id_field):
                summary.records += 1
                summary.texts += sum(
                    isinstance(scanned.record.get(n), str) and bool(scanned.record.get(n))
                    for n in fields
                )
                summary.findings += len(scanned.findings)
                for finding in scanned.findings:
                    summary.by_entity[finding.entity_type] += 1
                    summary.by_field[finding.field] += 1
                advance(1)
                yield scanned
    summary.missing_fields = [name for name in fields if name not in seen]


def detect_file(
    path: Path,
    fields: Sequence[str],
    out: Path,
    id_field: str | None = None,
    config: ScannerConfig | None = None,
    fmt: str | None = None,
    processes: int | None = None,
    progress: bool | None = None,
    limit: int | None = None,
) -> DetectSummary:
    """Scan `fields` of every record in `path`; write one finding per line to `out`, atomically."""
    summary = DetectSummary(output=str(out))
    with atomic_output(Path(out)) as handle:
        for scanned in _scan(
            Path(path), fields, id_field, config, fmt, processes, progress, limit, summary
        ):
            for finding in scanned.findings:
                handle.write(json_line(finding.to_row()))
    return summary


def redact_file(
    path: Path,
    fields: Sequence[str],
    out: Path,
    id_field: str | None = None,
    config: ScannerConfig | None = None,
    operators: Any = None,
    secret: bytes | None = None,
    fmt: str | None = None,
    processes: int | None = None,
    progress: bool | None = None,
) -> RedactSummary:
    """Write the records of `path` to `out` (JSONL) with `fields` anonymized, atomically."""
    from govern.pii.anonymizer import Anonymizer

    anonymizer = Anonymizer(operators, secret=secret)
    summary = RedactSummary(output=str(out), operators_hash=anonymizer.config_hash())
    with atomic_output(Path(out)) as handle:
        for scanned in _scan(
            Path(path), fields, id_field, config, fmt, processes, progress, None, summary
        ):
            record = anonymizer.anonymize_record(scanned.record, scanned.findings)
            if record is None:
                summary.dropped += 1
                continue
            handle.write(json_line(record))
            summary.written += 1
    return summary
