"""`govern pii`: detect and redact PII in any JSONL, CSV or Parquet file, without a workspace."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from govern.cli._common import Invocation, common_options

SECRET_ENV = "GOVERN_PSEUDONYM_SECRET"

_file = click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
_fields = click.option(
    "--field", "fields", multiple=True, required=True, help="A text field to scan; repeat for more."
)
_id_field = click.option(
    "--id-field", help="Field holding the record id (default: the record's 0-based position)."
)
_config = click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="govern.toml (its [pii] table) or a YAML file with the same keys.",
)
_format = click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "csv", "parquet"]),
    help="Input format (default: from the suffix).",
)
_processes = click.option(
    "--processes", type=click.IntRange(min=0), help="Worker processes (default: one per core)."
)


def _scanner_config(config_path: Path | None) -> Any:
    from govern.pii import ScannerConfig

    return ScannerConfig.load(config_path) if config_path else ScannerConfig()


def _summary_text(summary: Any, verb: str) -> str:
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(summary.by_entity.items())) or "none"
    lines = [
        f"{verb} {summary.records} records ({summary.texts} texts): {summary.findings} findings ({kinds})"
    ]
    if summary.missing_fields:
        lines.append(f"warning: no record has the field(s) {', '.join(summary.missing_fields)}")
    lines.append(f"wrote {summary.output}")
    return "\n".join(lines)


@click.group(name="pii")
def pii_group() -> None:
    """Find and anonymize personal data in record files (offline, with Presidio and spaCy).

    \b
    Example:
      govern pii detect data.jsonl --field text --out findings.jsonl
    """


@pii_group.command(name="detect")
@_file
@_fields
@_id_field
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Findings file to write (JSONL).",
)
@_config
@_format
@_processes
@common_options()
def detect_command(
    inv: Invocation,
    file: Path,
    fields: tuple[str, ...],
    id_field: str | None,
    out: Path,
    config_path: Path | None,
    fmt: str | None,
    processes: int | None,
) -> None:
    """Scan text fields of FILE and write one JSON line per finding to --out.

    Each line is {"id", "field", "start", "end", "entity_type", "score", "recognizer"}; the
    matched text is never written. The output appears only once the whole file is scanned.

    \b
    Example:
      govern pii detect support.jsonl --field text --field notes --id-field ticket --out findings.jsonl
    """
    from govern.pii import detect_file

    summary = detect_file(
        file,
        list(fields),
        out,
        id_field=id_field,
        config=_scanner_config(config_path),
        fmt=fmt,
        processes=processes,
        progress=inv.progress_enabled(),
    )
    inv.emit(summary.to_dict(), lambda: _summary_text(summary, "scanned"))


@pii_group.command(name="redact")
@_file
@_fields
@_id_field
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Redacted records file to write (JSONL).",
)
@click.option(
    "--operators",
    "operators_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML/JSON mapping entity types (and DEFAULT) to replace, mask, redact, pseudonym, drop_record or keep.",
)
@click.option(
    "--secret-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Secret for keyed pseudonyms (default: ${SECRET_ENV}).",
)
@_config
@_format
@_processes
@common_options()
def redact_command(
    inv: Invocation,
    file: Path,
    fields: tuple[str, ...],
    id_field: str | None,
    out: Path,
    operators_path: Path | None,
    secret_file: Path | None,
    config_path: Path | None,
    fmt: str | None,
    processes: int | None,
) -> None:
    """Write the records of FILE to --out (JSONL) with the given fields anonymized.

    Without --operators every finding becomes a type tag such as <PERSON>. Records an operator
    drops are left out. The output appears only once the whole file is done.

    \b
    Example:
      echo 'PERSON: {type: pseudonym}' > ops.yaml
      GOVERN_PSEUDONYM_SECRET=$(cat secret) govern pii redact data.jsonl --field text \\
          --operators ops.yaml --out redacted.jsonl
    """
    from govern.pii import load_operators, redact_file
    from govern.pii.anonymizer import secret_from_file

    operators = load_operators(operators_path) if operators_path else None
    secret = (
        secret_from_file(secret_file)
        if secret_file
        else (os.environ.get(SECRET_ENV) or "").encode() or None
    )
    summary = redact_file(
        file,
        list(fields),
        out,
        id_field=id_field,
        config=_scanner_config(config_path),
        operators=operators,
        secret=secret,
        fmt=fmt,
        processes=processes,
        progress=inv.progress_enabled(),
    )

    def text() -> str:
        return (
            _summary_text(summary, "redacted")
            + f"\nkept {summary.written} records, dropped {summary.dropped}"
        )

    inv.emit(summary.to_dict(), text)
