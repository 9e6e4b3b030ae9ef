"""`govern report`: render datasheets, model cards and audit reports, and verify them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from govern.cli._common import Invocation, common_options
from govern.errors import IntegrityFailure


def _output_options(func: Callable[..., Any]) -> Callable[..., Any]:
    func = click.option(
        "--out",
        type=click.Path(dir_okay=False, path_type=Path),
        help="File to write (default: audit_reports/<kind>-<subject>-<time>.<ext> in the workspace).",
    )(func)
    func = click.option(
        "--format",
        "fmt",
        type=click.Choice(["html", "md", "json"]),
        default="html",
        show_default=True,
        help="HTML (one self-contained file), Markdown, or the facts as JSON.",
    )(func)
    return func


def _make(
    inv: Invocation,
    kind: str,
    subject: str | None,
    fmt: str,
    out: Path | None,
    since: str | None = None,
    until: str | None = None,
) -> None:
    written = inv.workspace().reports.render(
        inv.actor(), kind, subject, fmt=fmt, out=out, since=since, until=until
    )
    inv.emit(
        written.to_dict(),
        f"Wrote {written.path}\nSHA-256 {written.sha256}, ledger entry {written.ledger_seq}, "
        f"made from ledger head {written.ledger_head['seq']}",
    )


@click.group("report")
def report_group() -> None:
    """Render compliance reports (datasheet, model card, audit) and verify them against the ledger."""


@report_group.command("dataset")
@click.argument("snapshot")
@_output_options
@common_options(acts_as_key=True)
def report_dataset(inv: Invocation, snapshot: str, fmt: str, out: Path | None) -> None:
    """A datasheet for SNAPSHOT: provenance, consent, PII scans, policy evidence, approvals.

    The report is ledgered by its SHA-256 (signed with --key; any registered key may render).

    \b
    Example:
      govern report dataset 3f9a1c --format html --key auditor.key
    """
    _make(inv, "dataset", snapshot, fmt, out)


@report_group.command("run")
@click.argument("run_id", metavar="RUN")
@_output_options
@common_options(acts_as_key=True)
def report_run(inv: Invocation, run_id: str, fmt: str, out: Path | None) -> None:
    """A model card for training RUN: data, approvals, DP guarantee, budget, curves, lineage.

    Includes a full ledger verification; the report is ledgered by its SHA-256.

    \b
    Example:
      govern report run run-0123abcd4567 --format md --out card.md --key auditor.key
    """
    _make(inv, "run", run_id, fmt, out)


@report_group.command("audit")
@click.option(
    "--since", help="Start of the period (ISO date or time, inclusive; default: the beginning)."
)
@click.option(
    "--until",
    help="End of the period (ISO date or time; a date includes that whole day; default: now).",
)
@_output_options
@common_options(acts_as_key=True)
def report_audit(
    inv: Invocation, since: str | None, until: str | None, fmt: str, out: Path | None
) -> None:
    """An audit report for a period: events, approvals, refusals, consent, budget, verification.

    \b
    Example:
      govern report audit --since 2024-01-01 --until 2024-03-31 --key auditor.key
    """
    _make(inv, "audit", None, fmt, out, since=since, until=until)


@report_group.command("ai-act")
@click.argument("run_id", metavar="RUN")
@_output_options
@common_options(acts_as_key=True)
def report_ai_act(inv: Invocation, run_id: str, fmt: str, out: Path | None) -> None:
    """EU AI Act Art. 10(2)(a)-(h) and Annex IV 2(d), mapped to the evidence govern holds for RUN.

    Each point says what govern has and where, or "not covered by govern". Not legal advice.

    \b
    Example:
      govern report ai-act run-0123abcd4567 --format md --key auditor.key
    """
    _make(inv, "ai-act", run_id, fmt, out)


@report_group.command("ab2013")
@click.argument("run_id", metavar="RUN")
@_output_options
@common_options(acts_as_key=True)
def report_ab2013(inv: Invocation, run_id: str, fmt: str, out: Path | None) -> None:
    """California AB 2013 (Civ. Code § 3111) training-data disclosure for RUN, as JSON or Markdown.

    Each listed item is filled from the evidence or marked unknown. Not legal advice.

    \b
    Example:
      govern report ab2013 run-0123abcd4567 --format json --key auditor.key
    """
    _make(inv, "ab2013", run_id, fmt, out)


@report_group.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check FILE's detached signature (FILE.sig) with this PEM public key, without a workspace.",
)
@click.option(
    "--signature",
    "signature_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The detached signature to check with --public-key (default: FILE.sig).",
)
@common_options()
def report_verify(
    inv: Invocation, file: Path, public_key: Path | None, signature_file: Path | None
) -> None:
    """Check a report FILE against the ledger, and whether anything since contradicts it.

    Recomputes the file's SHA-256, finds its report.rendered entry, checks the ledger head it
    was made from is still in the chain with the same hash, and lists later entries that
    contradict it (consent revocations, rejections, erasures or decisions touching its data).

    \b
    Exits 0 when the report stands, 1 when it is intact but contradicted
    by later entries, 3 when the file was altered or its head is not in the ledger.

    With --public-key (a renderer's key from `govern keys export NAME`), only the detached
    signature is checked: no workspace or ledger is read; exit 0 when it verifies, 3 when not.

    \b
    Example:
      govern report verify audit_reports/run-run-0123abcd4567-20240501T120000Z.html
      govern report verify card.html --public-key audrey.pub.pem
    """
    from govern.reports import ReportContradicted

    if public_key is not None:
        _verify_signature_only(inv, file, public_key, signature_file)
        return

    check = inv.workspace().reports.verify(file)
    if not check.intact:
        if inv.as_json:
            inv.emit(check.to_dict())
        raise IntegrityFailure(f"{file}: " + "\n".join(check.problems))
    if check.contradictions:
        if inv.as_json:
            inv.emit(check.to_dict())
        raise ReportContradicted(
            f"{file} matches ledger entry {check.ledger_seq}, but {len(check.contradictions)} later entr"
            f"{'y contradicts' if len(check.contradictions) == 1 else 'ies contradict'} it",
            check.contradictions,
        )
    inv.emit(
        check.to_dict(),
        f"OK: {file} is the {check.kind} report ledgered at entry {check.ledger_seq}, made from "
        f"head {check.head_seq} ({str(check.head_hash)[:16]}), which still stands; "
        f"{check.later_entries} later entries, none contradicts it",
    )


def _verify_signature_only(
    inv: Invocation, file: Path, public_key: Path, signature_file: Path | None
) -> None:
    from govern.reports.signature import public_key_hex_from_pem, verify_detached

    check = verify_detached(file, public_key_hex_from_pem(public_key), signature_file)
    if not check.ok:
        if inv.as_json:
            inv.emit(check.to_dict())
        raise IntegrityFailure(f"{file}: " + "\n".join(check.problems))
    inv.emit(
        check.to_dict(),
        f"OK: {file} (SHA-256 {check.sha256}) is signed by key {check.key_id}, "
        f"the key in {public_key}",
    )
