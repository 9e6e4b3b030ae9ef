"""`govern dataset` and `govern snapshot`: register data with its provenance, list versions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from govern.cli._common import Invocation, common_options
from govern.ingest.readers import FORMATS

if TYPE_CHECKING:
    from govern.catalog.models import Dataset, Snapshot
    from govern.ingest.datasets import AddResult

_FILE = click.Path(exists=False, dir_okay=True, path_type=Path)  # a saved HF dataset is a folder
_processes = click.option(
    "--processes",
    type=click.IntRange(min=1),
    help="Worker processes validating and hashing a JSONL file of 16 MiB or more in blocks "
    "(default: one per core, at most 4; 1: in this process). The snapshot is the same either way.",
)


def _dataset_dict(row: Dataset) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "source": row.source,
        "license": row.license,
        "legal_basis": row.legal_basis,
        "jurisdiction": row.jurisdiction,
        "collected_at": row.collected_at,
        "synthetic_generator": row.synthetic_generator,
        "subject_field": row.subject_field,
        "text_fields": json.loads(row.text_fields),
        "id_field": row.id_field,
        "created_at": row.created_at,
    }


def _snapshot_dict(row: Snapshot) -> dict[str, Any]:
    return {
        "id": row.id,
        "dataset_id": row.dataset_id,
        "parent_id": row.parent_id,
        "transform": row.transform,
        "transform_hash": row.transform_hash,
        "records": row.record_count,
        "bytes": row.byte_size,
        "source_name": row.source_name,
        "source_sha256": row.source_sha256,
        "created_at": row.created_at,
    }


def _added(inv: Invocation, result: AddResult) -> None:
    data = {
        "dataset": result.dataset.name,
        "dataset_id": result.dataset.id,
        "snapshot": result.snapshot.id,
        "records": result.snapshot.record_count,
        "created": result.created,
    }
    note = "" if result.created else " (same content as an existing snapshot; nothing new stored)"
    inv.emit(
        data,
        f"{result.snapshot.id}\n{result.snapshot.record_count} records in dataset {result.dataset.name}{note}",
    )


@click.group("dataset")
def dataset_group() -> None:
    """Register datasets with their provenance and add versions."""


@dataset_group.command("add")
@click.argument("name")
@click.argument("file", type=_FILE)
@click.option(
    "--source", required=True, help="Where the data came from (system, vendor, collection)."
)
@click.option(
    "--license", "license_", required=True, help="SPDX license id or expression, e.g. CC-BY-4.0."
)
@click.option(
    "--legal-basis",
    required=True,
    help="consent, contract, legitimate_interests, treatment_payment_operations, ... (README: Legal bases).",
)
@click.option("--subject-field", required=True, help="Field holding the data subject's id.")
@click.option(
    "--text-field",
    "text_fields",
    multiple=True,
    required=True,
    help="Field with text (repeatable).",
)
@click.option("--id-field", help="Field with a unique record id (duplicates are rejected).")
@click.option("--jurisdiction", help="Where the data was collected, e.g. EU, US-CA.")
@click.option("--collected-at", help="When the data was collected (ISO date).")
@click.option(
    "--synthetic-generator", help="Name and version of the generator, for synthetic data."
)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="File format (default: from the suffix)."
)
@click.option("--synthetic", is_flag=True, help="The records were made by a generator model.")
@click.option("--generator", help="With --synthetic: the generator as NAME@VERSION.")
@click.option(
    "--generator-config",
    type=_FILE,
    help="With --synthetic: the generator's prompt template and parameters (only its hash is kept).",
)
@_processes
@click.option(
    "--seed-snapshot",
    "seed_snapshots",
    multiple=True,
    help="With --synthetic: a real snapshot whose records the generator was shown (repeatable).",
)
@common_options(acts_as_key=True)
def dataset_add(
    inv: Invocation,
    name: str,
    file: Path,
    source: str,
    license_: str,
    legal_basis: str,
    subject_field: str,
    text_fields: tuple[str, ...],
    id_field: str | None,
    jurisdiction: str | None,
    collected_at: str | None,
    synthetic_generator: str | None,
    fmt: str | None,
    synthetic: bool = False,
    generator: str | None = None,
    generator_config: Path | None = None,
    seed_snapshots: tuple[str, ...] = (),
    processes: int | None = None,
) -> None:
    """Register dataset NAME from FILE (JSONL, CSV or Parquet) and print its first snapshot id.

    Every record is validated; on any bad record nothing is stored and the error names the
    line. Identical content always yields the same snapshot id.

    \b
    Example:
      govern dataset add support-2024 tickets.jsonl --source "Zendesk export 2024-06" \\
        --license LicenseRef-internal --legal-basis consent \\
        --subject-field customer_id --text-field body --id-field ticket_id --key eng.key
      govern dataset add logs-synth synth.jsonl --synthetic --generator llama-3.1-70b@2024-07 \\
        --generator-config gen.yaml --seed-snapshot 3f9a1c ... --key eng.key
    """
    if synthetic or generator or generator_config or seed_snapshots:
        from govern.cli.synth import add_synthetic
        from govern.ingest.datasets import DatasetSpec

        spec = DatasetSpec(
            name=name,
            source=source,
            license=license_,
            legal_basis=legal_basis,
            subject_field=subject_field,
            text_fields=tuple(text_fields),
            id_field=id_field,
            jurisdiction=jurisdiction,
            collected_at=collected_at,
            synthetic_generator=synthetic_generator,
        )
        _added(
            inv,
            add_synthetic(
                inv, spec, file, fmt, synthetic, generator, generator_config, seed_snapshots
            ),
        )
        return
    result = inv.workspace().datasets.add(
        inv.actor(),
        name,
        file,
        source=source,
        license=license_,
        legal_basis=legal_basis,
        subject_field=subject_field,
        text_fields=text_fields,
        id_field=id_field,
        jurisdiction=jurisdiction,
        collected_at=collected_at,
        synthetic_generator=synthetic_generator,
        fmt=fmt,
        progress=inv.progress_enabled(),
        processes=processes,
    )
    _added(inv, result)


@dataset_group.command("add-version")
@click.argument("name")
@click.argument("file", type=_FILE)
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), help="File format (default: from the suffix)."
)
@_processes
@common_options(acts_as_key=True)
def dataset_add_version(
    inv: Invocation, name: str, file: Path, fmt: str | None, processes: int | None
) -> None:
    """Add FILE as a new snapshot of dataset NAME.

    \b
    Example:
      govern dataset add-version support-2024 tickets-july.jsonl --key eng.key
      govern dataset add-version support-2024 year.jsonl --processes 4 --key eng.key
    """
    result = inv.workspace().datasets.add_version(
        inv.actor(), name, file, fmt=fmt, progress=inv.progress_enabled(), processes=processes
    )
    _added(inv, result)


@dataset_group.command("list")
@common_options()
def dataset_list(inv: Invocation) -> None:
    """List datasets.

    \b
    Example:
      govern dataset list --json
    """
    rows = [_dataset_dict(r) for r in inv.workspace().datasets.list()]
    inv.emit(
        rows,
        lambda: (
            "\n".join(f"{r['name']:<30} {r['license']:<20} {r['legal_basis']}" for r in rows)
            or "No datasets."
        ),
    )


@dataset_group.command("show")
@click.argument("name")
@common_options()
def dataset_show(inv: Invocation, name: str) -> None:
    """Show a dataset's provenance and its snapshots.

    \b
    Example:
      govern dataset show support-2024
    """
    detail = inv.workspace().datasets.show(name)
    data = {
        **_dataset_dict(detail.dataset),
        **detail.provenance,
        "amendments": [
            {
                "field": a.field,
                "value": a.value,
                "reason": a.reason,
                "at": a.amended_at,
                "by": a.amended_by,
            }
            for a in detail.amendments
        ],
        "snapshots": [_snapshot_dict(s) for s in detail.snapshots],
    }

    def text() -> str:
        lines = [
            f"{key}: {value}"
            for key, value in data.items()
            if key not in ("snapshots", "amendments")
        ]
        lines += [
            f"amended {a['at']}: {a['field']} = {a['value']!r} ({a['reason']})"
            for a in data["amendments"]
        ]
        lines.append("snapshots:")
        lines += [
            f"  {s['id']}  {s['transform']:<10} {s['records']} records  {s['created_at']}"
            for s in data["snapshots"]
        ]
        return "\n".join(lines)

    inv.emit(data, text)


@click.group("snapshot")
def snapshot_group() -> None:
    """Inspect immutable snapshots."""


@snapshot_group.command("list")
@click.option("--dataset", help="Only this dataset's snapshots.")
@common_options()
def snapshot_list(inv: Invocation, dataset: str | None) -> None:
    """List snapshots, oldest first.

    \b
    Example:
      govern snapshot list --dataset support-2024
    """
    rows = [_snapshot_dict(s) for s in inv.workspace().datasets.snapshots(dataset)]
    inv.emit(
        rows,
        lambda: (
            "\n".join(
                f"{r['id']}  {r['dataset_id']}  {r['transform']:<10} {r['records']} records"
                for r in rows
            )
            or "No snapshots."
        ),
    )


@snapshot_group.command("show")
@click.argument("snapshot")
@common_options()
def snapshot_show(inv: Invocation, snapshot: str) -> None:
    """Show one snapshot (full id or a unique prefix of at least 6 characters).

    \b
    Example:
      govern snapshot show 3f9a1c
    """
    data = _snapshot_dict(inv.workspace().datasets.snapshot(snapshot))
    inv.emit(data, lambda: "\n".join(f"{key}: {value}" for key, value in data.items()))


@dataset_group.command("diff")
@click.argument("old")
@click.argument("new")
@click.option("--purpose", default="model_training", show_default=True, help="Consent purpose.")
@common_options()
def dataset_diff(inv: Invocation, old: str, new: str, purpose: str) -> None:
    """What changed from snapshot OLD to NEW: records, field drift, PII findings, subjects, consent.

    Statistics only (counts, length tests, vocabulary divergence); no record text is shown.

    \b
    Example:
      govern dataset diff 7c21e0 9f3a11 --json
    """
    from govern.ingest.diff import diff_snapshots, diff_text

    data = diff_snapshots(inv.workspace(), old, new, purpose)
    inv.emit(data, lambda: diff_text(data))


@dataset_group.command("amend")
@click.argument("name")
@click.option(
    "--field",
    "field_name",
    required=True,
    help="source, license, legal_basis, jurisdiction, collected_at or synthetic_generator.",
)
@click.option("--value", required=True, help="The corrected value.")
@click.option("--reason", required=True, help="Why, for the record.")
@common_options(acts_as_key=True)
def dataset_amend(inv: Invocation, name: str, field_name: str, value: str, reason: str) -> None:
    """Append a correction of one provenance field of dataset NAME (the registration is never overwritten).

    Decisions taken before the amendment no longer cover the data: run `govern policy check` again.

    \b
    Example:
      govern dataset amend support-2024 --field license --value CC-BY-4.0 --reason "vendor relicensed" --key eng.key
    """
    row = inv.workspace().datasets.amend(inv.actor(), name, field_name, value, reason)
    inv.emit(
        {
            "amendment": row.id,
            "dataset_id": row.dataset_id,
            "field": row.field,
            "value": row.value,
            "reason": row.reason,
        },
        f"Amended {row.field} of {name} to {row.value!r} (amendment {row.id})",
    )
