"""`govern remediate`: the remediations an erasure opened, and the officer's decisions closing them."""

from __future__ import annotations

import click

from govern.cli._common import Invocation, common_options


@click.group("remediate")
def remediate_group() -> None:
    """Act on runs trained on an erased subject: retrain, withdraw, or accept with a reason."""


@remediate_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include decided remediations.")
@common_options()
def remediate_list(inv: Invocation, show_all: bool) -> None:
    """List the open remediations (each a run trained on an erased subject) and their age.

    \b
    Example:
      govern remediate list
      govern remediate list --all --json
    """
    from govern.consent.remediation import list_remediations

    rows = list_remediations(inv.workspace(), open_only=not show_all)
    inv.emit(
        rows,
        lambda: (
            "\n".join(
                f"{r['id']}  run {r['run_id']}  {r['status']}  opened {r['opened_at']} "
                f"({r['age_days']:.1f} days)"
                + (
                    f"  → {r['decision']['successor_run_id']}"
                    if r["decision"] and r["decision"]["successor_run_id"]
                    else ""
                )
                for r in rows
            )
            or "No open remediation."
        ),
    )


@remediate_group.command("decide")
@click.argument("remediation")
@click.option(
    "--decision",
    type=click.Choice(["retrain", "withdraw", "accept"]),
    required=True,
    help="retrain (name the successor --run), withdraw the adapter, or accept with --justification.",
)
@click.option("--run", "successor", help="The successor run (for --decision retrain).")
@click.option("--justification", default="", help="Why (required for accept).")
@common_options(acts_as_key=True)
def remediate_decide(
    inv: Invocation, remediation: str, decision: str, successor: str | None, justification: str
) -> None:
    """Close REMEDIATION with a signed decision; release stays refused until every one is closed.

    \b
    Example:
      govern remediate decide 9c1e... --decision retrain --run support-2f3a... --key officer.key
      govern remediate decide 9c1e... --decision accept \\
          --justification "subject-level DP at ε 1.8, within the pack's 3.0" --key officer.key
    """
    from govern.consent.remediation import decide

    row = decide(inv.workspace(), inv.actor(), remediation, decision, justification, successor)
    inv.emit(
        {
            "id": row.id,
            "remediation_id": row.remediation_id,
            "decision": row.decision,
            "successor_run_id": row.successor_run_id,
            "ledger_seq": row.ledger_seq,
        },
        f"Remediation {row.remediation_id} closed: {row.decision} (ledger entry {row.ledger_seq})",
    )
