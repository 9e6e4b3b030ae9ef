"""`govern policy`: check a snapshot against a pack, run the packs' own tests, list packs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from govern.cli._common import Invocation, common_options
from govern.errors import Refused

if TYPE_CHECKING:
    from govern.policy.engine import Decision


def _decision_text(decision: Decision, status: str) -> str:
    marks = {"pass": "PASS", "fail": "FAIL", "pending": "WAIT", "not_applicable": " -- "}
    lines = [
        f"Snapshot {decision.snapshot_id[:12]} under pack {decision.pack_name} {decision.pack_version} "
        f"({decision.pack_hash[:12]}): {status}"
    ]
    for result in decision.results:
        lines.append(
            f"  [{marks.get(result.status, result.status)}] {result.rule}: {result.message}"
        )
        for key, value in sorted(result.evidence.items()):
            lines.append(f"         {key}: {value}")
    if decision.excluded_record_ids:
        lines.append(
            f"  {len(decision.excluded_record_ids)} records to exclude: `govern consent filter {decision.snapshot_id[:12]}`"
        )
    lines.append(f"Decision {decision.hash}")
    return "\n".join(lines)


def _status_now(workspace, snapshot_id: str, pack_name: str | None) -> str:  # type: ignore[no-untyped-def]
    """The snapshot's status with today's approvals, in the words the datasheet and console use."""
    from govern.ingest.snapshots import resolve_snapshot
    from govern.policy.activation import active_pack, load_workspace_pack
    from govern.policy.status import snapshot_status

    pack = load_workspace_pack(workspace, pack_name) if pack_name else active_pack(workspace)
    with workspace.catalog.reading() as session:
        return snapshot_status(
            workspace, session, resolve_snapshot(session, snapshot_id), pack
        ).label


@click.group("policy")
def policy_group() -> None:
    """Evaluate policy packs (policies/*.yaml) and test them."""


@policy_group.command("check")
@click.argument("snapshot")
@click.option(
    "--pack",
    help="Pack name in policies/ to try (default: the active pack; only it counts for approval).",
)
@common_options(acts_as_key=True)
def policy_check(inv: Invocation, snapshot: str, pack: str | None) -> None:
    """Evaluate the pack on SNAPSHOT; print each rule's result and evidence. Exit 1 when a rule fails.

    The decision is stored and ledgered; approvals sign its hash.

    \b
    Example:
      govern policy check 3f9a1c --pack gdpr-example --key eng.key
    """
    decision = inv.workspace().policy.check(inv.actor(), snapshot, pack)
    status = _status_now(inv.workspace(), decision.snapshot_id, pack)
    inv.emit({**decision.to_dict(), "status": status}, lambda: _decision_text(decision, status))
    if decision.failed:
        raise Refused(
            f"snapshot {decision.snapshot_id[:12]} fails {len(decision.failures)} rule(s) of pack {decision.pack_name}"
        )


@policy_group.command("test")
@click.option("--pack", help="Only this pack.")
@common_options()
def policy_test(inv: Invocation, pack: str | None) -> None:
    """Run the example cases kept beside each pack (policies/tests/) and compare decisions.

    \b
    Example:
      govern policy test --pack default
    """
    run = inv.workspace().policy.test(pack)
    data = run.to_dict()
    inv.emit(data, run.report)
    if not run.passed:
        counts = run.counts()
        raise Refused(f"{counts['fail']} policy test case(s) failed, {counts['error']} errors")


@policy_group.command("list")
@common_options()
def policy_list(inv: Invocation) -> None:
    """List the packs in the workspace's policies/ folder with their hashes.

    \b
    Example:
      govern policy list --json
    """
    packs = [p.summary() for p in inv.workspace().policy.list()]
    inv.emit(
        packs,
        lambda: "\n".join(f"{p['name']:<32} {p['version']:<8} {p['hash'][:16]}" for p in packs),
    )


@policy_group.command("activate")
@click.argument("pack")
@click.option("--reason", help="Why this pack, for the record.")
@common_options(acts_as_key=True)
def policy_activate(inv: Invocation, pack: str, reason: str | None) -> None:
    """Put the pack policies/PACK.yaml in force; officers only. Approvals and training use only it.

    The pack's hash and content are ledgered. Approvals given under another pack stop counting,
    and the gate refuses to work while the file differs from what was activated.

    \b
    Example:
      govern policy activate default --reason "initial regime" --key officer.key
    """
    activation = inv.workspace().policy.activate(inv.actor(), pack, reason)
    inv.emit(
        activation.to_dict(),
        f"Activated {activation.name} {activation.version} ({activation.hash[:12]}) "
        f"in ledger entry {activation.seq}",
    )


@policy_group.command("active")
@common_options()
def policy_active(inv: Invocation) -> None:
    """Show which pack is in force, who activated it and when.

    \b
    Example:
      govern policy active --json
    """
    activation = inv.workspace().policy.active()
    data = activation.to_dict() if activation else None
    inv.emit(
        data,
        lambda: (
            (
                f"{activation.name} {activation.version} ({activation.hash[:12]}), activated by "
                f"{activation.activated_by} at {activation.activated_at}"
            )
            if activation
            else "No pack is active; an officer runs `govern policy activate NAME`."
        ),
    )
