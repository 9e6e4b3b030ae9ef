"""`govern consent`: import, revoke, show history, impact of a revocation, erase a subject, filter."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli._common import Invocation, common_options


@click.group("consent")
def consent_group() -> None:
    """Manage the append-only consent registry and data-subject requests."""


@consent_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@common_options(acts_as_key=True)
def consent_import(inv: Invocation, file: Path) -> None:
    """Import consent events from CSV or JSONL: subject_id, purpose, status (granted|revoked), time,
    evidence_ref, optional expires_at. The file is rejected whole on any bad row.

    \b
    Example:
      govern consent import consents.csv --key officer.key
    """
    count, seq = inv.workspace().consent.import_file(inv.actor(), file)
    inv.emit(
        {"imported": count, "ledger_seq": seq},
        f"Imported {count} consent events (ledger entry {seq})",
    )


@consent_group.command("revoke")
@click.argument("subject")
@click.option("--purpose", help="Only this purpose (default: every purpose the subject granted).")
@common_options(acts_as_key=True)
def consent_revoke(inv: Invocation, subject: str, purpose: str | None) -> None:
    """Revoke SUBJECT's consent; approvals of snapshots holding the subject stop covering training.

    \b
    Example:
      govern consent revoke cust-1042 --purpose model_training --key officer.key
    """
    events = inv.workspace().consent.revoke(inv.actor(), subject, purpose)
    purposes = [e.purpose for e in events]
    inv.emit(
        {"revoked": purposes},
        f"Revoked: {', '.join(purposes)}. See `govern consent impact {subject}`.",
    )


@consent_group.command("show")
@click.argument("subject")
@common_options()
def consent_show(inv: Invocation, subject: str) -> None:
    """Show SUBJECT's full consent history and the state per purpose now.

    \b
    Example:
      govern consent show cust-1042 --json
    """
    found = inv.workspace().consent.show(subject)
    rows = [
        {
            "purpose": e.purpose,
            "action": e.action,
            "effective_at": e.effective_at,
            "expires_at": e.expires_at,
            "evidence_ref": found.evidence_of(e),
            "recorded_at": e.recorded_at,
            "ledger_seq": e.ledger_seq,
        }
        for e in found.events
    ]
    state = found.active_now
    inv.emit(
        {"history": rows, "active_now": state},
        lambda: (
            "\n".join(
                [
                    f"{r['effective_at']}  {r['action']:<7} {r['purpose']:<20} evidence={r['evidence_ref']} expires={r['expires_at']}"
                    for r in rows
                ]
                + [f"now: {p} {'ACTIVE' if a else 'not active'}" for p, a in state.items()]
            )
            or "No consent history for this subject."
        ),
    )


@consent_group.command("impact")
@click.argument("subject")
@common_options()
def consent_impact(inv: Invocation, subject: str) -> None:
    """List the snapshots, approvals and training runs that include SUBJECT.

    \b
    Example:
      govern consent impact cust-1042
    """
    found = inv.workspace().consent.impact(subject)
    inv.emit(
        found.to_dict(),
        lambda: (
            "\n".join(
                [f"snapshot {s}: records {', '.join(keys)}" for s, keys in found.snapshots.items()]
                + [
                    f"synthetic snapshot {s}: seeded from {', '.join(seeds)}"
                    for s, seeds in found.synthetic_snapshots.items()
                ]
                + [f"approval {a}" for a in found.approvals]
                + [f"training run {r}" for r in found.runs]
            )
            or "No snapshot holds this subject."
        ),
    )


@consent_group.command("erase")
@click.argument("subject")
@common_options(acts_as_key=True)
def consent_erase(inv: Invocation, subject: str) -> None:
    """Erase SUBJECT's raw records from every stored snapshot; hashes stay, so the ledger verifies.

    Lists the runs and adapters trained on the subject so the officer can decide on retraining.

    \b
    Example:
      govern consent erase cust-1042 --key officer.key
    """
    found = inv.workspace().consent.erase(inv.actor(), subject)
    count = sum(len(keys) for keys in found.snapshots.values())
    inv.emit(
        found.to_dict(),
        f"Erased {count} records from {len(found.snapshots)} snapshots"
        f" and the evidence of {len(found.evidence_erased)} consent events."
        + (
            f"\nTrained on this subject (consider retraining): {', '.join(found.runs)}"
            if found.runs
            else ""
        )
        + (
            ""
            if found.catalog_scrubbed
            else "\nWarning: another process kept the catalog's write-ahead log open; "
            "run `govern consent erase` again when it has finished, to scrub it"
        ),
    )


@consent_group.command("filter")
@click.argument("snapshot")
@click.option("--purpose", help="Purpose to require (default: the active pack's consent purpose).")
@common_options(acts_as_key=True)
def consent_filter(inv: Invocation, snapshot: str, purpose: str | None) -> None:
    """Derive a snapshot of SNAPSHOT without the records whose subject has no active grant.

    \b
    Example:
      govern consent filter 3f9a1c --purpose model_training --key eng.key
    """
    result, excluded = inv.workspace().consent.filter(inv.actor(), snapshot, purpose)
    inv.emit(
        {
            "snapshot": result.snapshot.id,
            "parent": result.snapshot.parent_id,
            "excluded": excluded,
            "records": result.snapshot.record_count,
        },
        f"{result.snapshot.id}\n{result.snapshot.record_count} records kept, {excluded} excluded (no active consent); "
        f"scan it before approval: govern scan {result.snapshot.id[:12]}",
    )


from govern.cli.receipt import receipt_group  # noqa: E402  (its own module; one line to register)

consent_group.add_command(receipt_group)
