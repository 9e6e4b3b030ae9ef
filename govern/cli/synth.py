"""`govern synth`: validate synthetic snapshots against real data and review a sample of them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from govern.cli._common import Invocation, common_options
from govern.errors import BadInput

_FILE = click.Path(exists=False, dir_okay=False, path_type=Path)


def add_synthetic(
    inv: Invocation,
    spec: Any,
    file: Path,
    fmt: str | None,
    synthetic: bool,
    generator: str | None,
    generator_config: Path | None,
    seed_snapshots: tuple[str, ...],
) -> Any:
    """`govern dataset add --synthetic ...`: register a synthetic dataset with its provenance."""
    from govern.synthetic.provenance import GeneratorSpec, register_synthetic

    if not synthetic:
        raise BadInput("--generator, --generator-config and --seed-snapshot need --synthetic")
    if not generator or generator_config is None:
        raise BadInput("--synthetic needs --generator NAME@VERSION and --generator-config FILE")
    declared = GeneratorSpec(generator, generator_config, tuple(seed_snapshots))
    return register_synthetic(
        inv.workspace(),
        inv.actor(),
        spec,
        declared,
        file,
        fmt,
        show_progress=inv.progress_enabled(),
    )


def _summary(row: Any) -> dict[str, Any]:
    result = json.loads(row.result)
    return {
        "validation": row.id,
        "snapshot": row.snapshot_id,
        "reference": row.reference_snapshot_id,
        "config": json.loads(row.config),
        "records": result["records"],
        "divergence": result["fidelity"]["divergence"],
        "min_length_ks_pvalue": result["fidelity"]["min_length_ks_pvalue"],
        "distinct": result["fidelity"]["distinct"],
        "within": {k: v for k, v in result["within"].items() if k != "matches"},
        "near_duplicate_rate": result["privacy"]["near_duplicate_rate"],
        "verbatim_copy_rate": result["privacy"]["verbatim_copy_rate"],
        "pii_findings": result["pii"]["findings"],
        "review_sample_size": len(result["review_sample"]),
    }


def _text(data: dict[str, Any]) -> str:
    return "\n".join(
        [
            f"validation {data['validation'][:12]} of {data['snapshot'][:12]} against {data['reference'][:12]}",
            f"  divergence {data['divergence']:.4f}, smallest length KS p-value {data['min_length_ks_pvalue']:.4f}",
            f"  near-duplicates of real records {data['near_duplicate_rate']:.2%}, "
            f"verbatim copies {data['verbatim_copy_rate']:.2%}",
            f"  duplicates within: exact {data['within']['exact_duplicate_rate']:.2%}, "
            f"near {data['within']['near_duplicate_rate']:.2%}",
            f"  PII findings {data['pii_findings']}, review sample {data['review_sample_size']} records",
        ]
    )


@click.group("synth")
def synth_group() -> None:
    """Validate synthetic snapshots and review a sample before they may train."""


@synth_group.command("validate")
@click.argument("snapshot")
@click.option("--reference", required=True, help="A snapshot of real records to compare with.")
@common_options(acts_as_key=True)
def synth_validate(inv: Invocation, snapshot: str, reference: str) -> None:
    """Validate synthetic SNAPSHOT against a real reference: fidelity, copies of seed records,
    duplicates, a PII scan and the review sample. Stored and ledgered; thresholds from the pack.

    \b
    Example:
      govern synth validate 3f9a1c --reference 77ab02 --key eng.key
    """
    from govern.synthetic.validation import validate_snapshot

    row, _ = validate_snapshot(
        inv.workspace(), inv.actor(), snapshot, reference, show_progress=inv.progress_enabled()
    )
    data = _summary(row)
    inv.emit(data, lambda: _text(data))


@synth_group.command("show")
@click.argument("snapshot")
@common_options()
def synth_show(inv: Invocation, snapshot: str) -> None:
    """Show the latest validation of a synthetic SNAPSHOT and its review.

    \b
    Example:
      govern synth show 3f9a1c --json
    """
    from govern.ingest.snapshots import resolve_snapshot
    from govern.synthetic.review import review_facts
    from govern.synthetic.validation import latest_validation

    with inv.workspace().catalog.reading() as session:
        found = resolve_snapshot(session, snapshot)
        row = latest_validation(session, found.id)
        if row is None:
            raise BadInput(
                f"snapshot {found.id[:12]} has no validation; run `govern synth validate`"
            )
        data = _summary(row)
        review = review_facts(session, row)
        data["review"] = (
            None if review is None else {"reviewed": review.reviewed, "passed": review.passed}
        )
    inv.emit(data, lambda: _text(data) + f"\n  review: {data['review'] or 'none yet'}")


@synth_group.group("review")
def review_group() -> None:
    """Export the validation's review sample, and import the reviewer's signed verdicts."""


@review_group.command("export")
@click.argument("snapshot")
@click.option("--out", required=True, type=_FILE, help="JSONL file for the reviewer.")
@common_options()
def review_export(inv: Invocation, snapshot: str, out: Path) -> None:
    """Write the review sample of SNAPSHOT's latest validation to --out (one record a line;
    set each line's "verdict" to "pass" or "fail").

    \b
    Example:
      govern synth review export 3f9a1c --out sample.jsonl
    """
    from govern.synthetic.review import export_sample

    count = export_sample(inv.workspace(), snapshot, out)
    inv.emit({"records": count, "out": str(out)}, f"{count} records to review in {out}")


@review_group.command("import")
@click.argument("snapshot")
@click.argument("file", type=_FILE)
@common_options(acts_as_key=True)
def review_import(inv: Invocation, snapshot: str, file: Path) -> None:
    """Import the verdicts in FILE on SNAPSHOT's review sample, signed with your reviewer key.

    \b
    Example:
      govern synth review import 3f9a1c sample.jsonl --key reviewer.key
    """
    from govern.synthetic.review import import_verdicts

    row = import_verdicts(inv.workspace(), inv.actor(), snapshot, file)
    inv.emit(
        {"review": row.id, "reviewed": row.reviewed, "passed": row.passed},
        f"review {row.id[:12]}: {row.passed} of {row.reviewed} records passed",
    )


@synth_group.command("compare")
@click.argument("run_id")
@common_options()
def synth_compare(inv: Invocation, run_id: str) -> None:
    """Compare RUN with the run trained on the same real data with (or without) its synthetic
    snapshots, on every held-out real snapshot `govern eval` evaluated both on.

    \b
    Example:
      govern synth compare run-0123abcd4567 --json
    """
    from govern.synthetic.downstream import downstream_comparison
    from govern.training.run_status import get_run

    with inv.workspace().catalog.reading() as session:
        rows = downstream_comparison(session, get_run(session, run_id))
    inv.emit(
        rows,
        lambda: (
            "\n".join(
                f"held-out {c['heldout_snapshot'][:12]}: with synthetic ({c['with_synthetic_run']}) "
                f"loss {c['with_synthetic']['adapter_loss']:.4f}, without ({c['without_synthetic_run']}) "
                f"{c['without_synthetic']['adapter_loss']:.4f}, change {c['loss_change']:+.4f}"
                for c in rows
            )
            or "No run on the same real data with or without synthetic snapshots was evaluated "
            "on the same held-out real snapshot; run `govern eval` on both."
        ),
    )
