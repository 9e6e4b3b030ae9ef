"""`govern scan` and `govern anonymize`: PII scans and anonymized derivatives of catalogued snapshots."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from govern.cli._common import Invocation, common_options
from govern.errors import BadInput

if TYPE_CHECKING:
    from govern.pii.ray_engine import RayOptions

_F = TypeVar("_F", bound=Callable[..., Any])


def engine_options(function: _F) -> _F:
    """--engine, --address, --workers and --retries: where scanning runs (shared by scan and anonymize)."""
    for option in reversed(
        [
            click.option(
                "--engine",
                type=click.Choice(["local", "ray"]),
                default="local",
                show_default=True,
                help="local: worker processes here; ray: actors on a Ray cluster (pip install govern[ray]).",
            ),
            click.option(
                "--address",
                help="Ray cluster to join: auto (the one `ray start` runs here) or ray://host:10001; "
                "default: start a local one.",
            ),
            click.option(
                "--workers",
                type=int,
                help="Ray actors, one CPU each (default: the cluster's CPUs).",
            ),
            click.option(
                "--retries",
                type=int,
                default=2,
                show_default=True,
                help="Restarts of a dead Ray worker (its block is retried) before the scan fails whole.",
            ),
        ]
    ):
        function = option(function)
    return function


def ray_options(
    engine: str, address: str | None, workers: int | None, retries: int
) -> RayOptions | None:
    """The Ray options the engine flags ask for; None for the local engine."""
    if engine != "ray":
        if address or workers is not None:
            raise BadInput("--address and --workers apply only with --engine ray")
        return None
    from govern.pii.ray_engine import RayOptions

    return RayOptions(address=address, workers=workers, retries=retries)


def _summary_text(summary: list[dict[str, Any]]) -> str:
    if not summary:
        return "  no findings"
    return "\n".join(
        f"  {row['entity_type']:<16} {row['field']:<16} {row['count']}" for row in summary
    )


@click.command("scan")
@click.argument("snapshot")
@click.option(
    "--processes", type=int, help="Worker processes (default: [pii] processes, else one per core)."
)
@engine_options
@common_options(acts_as_key=True)
def scan_command(
    inv: Invocation,
    snapshot: str,
    processes: int | None,
    engine: str,
    address: str | None,
    workers: int | None,
    retries: int,
) -> None:
    """Scan SNAPSHOT's text fields for PII with the workspace's [pii] configuration.

    Stores findings (type, offsets, score, recognizer; never the text) and a summary, with the
    model and config that produced them. Scanning again with the same config reuses the result.
    With --engine ray the records are scanned on a Ray cluster; the findings are the same.

    \b
    Example:
      govern scan 3f9a1c --key eng.key
      govern scan 3f9a1c --engine ray --address auto --key eng.key
    """
    ray = ray_options(engine, address, workers, retries)
    scan, created = inv.workspace().scans.scan(
        inv.actor(), snapshot, progress=inv.progress_enabled(), processes=processes, ray=ray
    )
    summary = json.loads(scan.summary)
    data = {
        "scan": scan.id,
        "snapshot": scan.snapshot_id,
        "findings": scan.findings_count,
        "summary": summary,
        "config_hash": scan.config_hash,
        "spacy_model": f"{scan.spacy_model} {scan.spacy_version}",
        "presidio": scan.presidio_version,
        "engine": json.loads(scan.config).get("engine", {"name": "local"}),
        "reused": not created,
    }
    inv.emit(
        data,
        lambda: (
            f"Scan {scan.id[:12]} of {scan.snapshot_id[:12]}{' (reused)' if not created else ''}: "
            f"{scan.findings_count} findings\n{_summary_text(summary)}"
        ),
    )


@click.command("anonymize")
@click.argument("snapshot")
@click.option(
    "--operators",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Operators per entity type (YAML/JSON): replace, mask, redact, drop_record, pseudonym.",
)
@engine_options
@common_options(acts_as_key=True)
def anonymize_command(
    inv: Invocation,
    snapshot: str,
    operators: Path | None,
    engine: str,
    address: str | None,
    workers: int | None,
    retries: int,
) -> None:
    """Derive an anonymized snapshot of SNAPSHOT and scan it for residual PII.

    The derived snapshot names its parent and the hash of the operator configuration. The
    default operator replaces each finding with its type tag, e.g. <PERSON>.

    \b
    Example:
      govern anonymize 3f9a1c --operators policies/operators.yaml --key eng.key
      govern anonymize 3f9a1c --engine ray --address ray://head:10001 --key eng.key
    """
    ray = ray_options(engine, address, workers, retries)
    result = inv.workspace().scans.anonymize(
        inv.actor(), snapshot, operators, progress=inv.progress_enabled(), ray=ray
    )
    derived, residual = result.derived.snapshot, result.residual_scan
    summary = json.loads(residual.summary)
    data = {
        "snapshot": derived.id,
        "parent": derived.parent_id,
        "transform_hash": derived.transform_hash,
        "records": derived.record_count,
        "dropped_records": result.dropped_records,
        "findings_before": result.source_scan.findings_count,
        "residual_findings": residual.findings_count,
        "residual_summary": summary,
    }
    inv.emit(
        data,
        lambda: (
            f"{derived.id}\n{derived.record_count} records ({result.dropped_records} dropped); "
            f"findings {result.source_scan.findings_count} -> {residual.findings_count} residual\n{_summary_text(summary)}"
        ),
    )
