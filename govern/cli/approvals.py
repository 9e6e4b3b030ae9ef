"""`govern approve`, `govern reject`, `govern approvals`: officers' signed verdicts on snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from govern.cli._common import Invocation, common_options

if TYPE_CHECKING:
    from govern.catalog.models import Approval


def _row(row: Approval) -> dict[str, Any]:
    return {
        "id": row.id,
        "snapshot_id": row.snapshot_id,
        "verdict": row.verdict,
        "decision": row.decision_id,
        "pack_hash": row.pack_hash,
        "approver": row.approver_key_id,
        "signed_at": row.signed_at,
        "note": row.note,
    }


@click.command("approve")
@click.argument("snapshot")
@click.option("--note", help="Why, for the record.")
@common_options(acts_as_key=True)
def approve_command(inv: Invocation, snapshot: str, note: str | None) -> None:
    """Sign an approval of SNAPSHOT under the active pack; only when its decision does not fail.

    Officers only, and never one who registered or derived the data (under any of their keys).

    \b
    Example:
      govern approve 3f9a1c --note "reviewed findings" --key officer.key
    """
    row, decision = inv.workspace().approvals.approve(inv.actor(), snapshot, note)
    inv.emit(
        _row(row),
        f"Approved {row.snapshot_id[:12]} under {decision.pack_name} (decision {decision.hash[:12]}); approval {row.id}",
    )


@click.command("reject")
@click.argument("snapshot")
@click.option("--reason", required=True, help="What is wrong, for the record.")
@common_options(acts_as_key=True)
def reject_command(inv: Invocation, snapshot: str, reason: str) -> None:
    """Sign a rejection of SNAPSHOT; it voids every earlier approval.

    \b
    Example:
      govern reject 3f9a1c --reason "free text holds account numbers" --key officer.key
    """
    row, _ = inv.workspace().approvals.reject(inv.actor(), snapshot, reason)
    inv.emit(_row(row), f"Rejected {row.snapshot_id[:12]}; rejection {row.id}")


@click.group("approvals")
def approvals_group() -> None:
    """List approvals and check whether a snapshot may be trained on."""


@approvals_group.command("list")
@click.option("--snapshot", help="Only this snapshot's approvals.")
@common_options()
def approvals_list(inv: Invocation, snapshot: str | None) -> None:
    """List approvals and rejections, with whether each signature verifies.

    \b
    Example:
      govern approvals list --snapshot 3f9a1c --json
    """
    rows = [
        {**_row(r), "problems": problems}
        for r, problems in inv.workspace().approvals.list(snapshot)
    ]
    inv.emit(
        rows,
        lambda: (
            "\n".join(
                f"{r['signed_at']}  {r['verdict']:<8} {r['snapshot_id'][:12]}  by {r['approver'][:12]}  "
                + ("signature OK" if not r["problems"] else "INVALID: " + r["problems"][0])
                for r in rows
            )
            or "No approvals."
        ),
    )


@approvals_group.command("status")
@click.argument("snapshot")
@common_options()
def approvals_status(inv: Invocation, snapshot: str) -> None:
    """Say whether SNAPSHOT is approved for training now, checked from scratch, and why not.

    \b
    Example:
      govern approvals status 3f9a1c
    """
    from govern.errors import Refused

    check = inv.workspace().approvals.status(snapshot)
    inv.emit(
        {"approved": check.ok, "reasons": check.reasons},
        "Approved for training." if check.ok else "Not approved for training.",
    )
    if not check.ok:
        raise Refused("not approved for training", check.reasons)
