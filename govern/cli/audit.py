"""`govern audit`: verify the ledger and the catalog, list entries, write checkpoints."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from govern.cli._common import Invocation, common_options
from govern.errors import IntegrityFailure


@click.group("audit")
def audit_group() -> None:
    """Verify the ledger, list its entries, and checkpoint its head."""


@audit_group.command("verify")
@click.option(
    "--checkpoint",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also prove the ledger still extends this checkpoint file.",
)
@click.option(
    "--rescan", is_flag=True, help="Also re-run every PII scan and compare its findings (slow)."
)
@common_options()
def audit_verify(inv: Invocation, checkpoint: Path | None, rescan: bool) -> None:
    """Recompute every ledger hash and signature, check stored snapshots and catalog rows.

    Each entry's signer must have held a role allowed to sign it. With --rescan, every ledgered
    scan is re-run (scans are deterministic) and must find what it recorded. Exits 3 and names
    the first bad entry or object when anything does not match.

    \b
    Example:
      govern audit verify --checkpoint /secure/place/head.json --rescan
    """
    result = inv.workspace().ledger.verify(checkpoint, rescan=rescan)
    if not result.ok:
        if inv.as_json:
            inv.emit(result.to_dict())
        raise IntegrityFailure(
            "verification failed: "
            + result.problems[0]
            + (f"\n({len(result.problems) - 1} more problems)" if len(result.problems) > 1 else "")
        )
    inv.emit(
        result.to_dict(),
        f"OK: {result.entries} ledger entries, {result.rows_checked} catalog rows, "
        f"{result.snapshots_checked} snapshots verified ({result.erased_records} records erased on request); head {result.head_seq} {result.head_hash[:16]}"
        + (" extends the checkpoint" if checkpoint else ""),
    )


@audit_group.command("log")
@click.option("--event", help="Only entries of this event type.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Only the newest N entries."
)
@common_options()
def audit_log(inv: Invocation, event: str | None, limit: int | None) -> None:
    """List ledger entries, oldest first.

    \b
    Example:
      govern audit log --event snapshot.created --json
    """
    rows = [
        {
            "seq": e.seq,
            "recorded_at": e.recorded_at,
            "actor": e.actor_key_id,
            "event": e.event,
            "refs": json.loads(e.refs),
            "payload": json.loads(e.payload),
            "hash": e.entry_hash,
        }
        for e in inv.workspace().ledger.log(event, limit)
    ]
    inv.emit(
        rows,
        lambda: (
            "\n".join(
                f"{r['seq']:>6}  {r['recorded_at']}  {r['event']:<24} {r['actor'][:12]}  {' '.join(x[:12] for x in r['refs'])}"
                for r in rows
            )
            or (f"No {event} entries in the ledger." if event else "The ledger is empty.")
        ),
    )


@audit_group.command("checkpoint")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write it.",
)
@common_options(acts_as_key=True)
def audit_checkpoint(inv: Invocation, out: Path) -> None:
    """Write a signed statement of the ledger head (sequence, hash, time, signer) to --out.

    Keep it outside the workspace; `govern audit verify --checkpoint FILE` later proves the
    ledger still extends it.

    \b
    Example:
      govern audit checkpoint --out /secure/place/head.json --key auditor.key
    """
    statement = inv.workspace().ledger.checkpoint(inv.actor(), out)
    inv.emit(
        statement,
        f"Checkpoint of entry {statement['seq']} ({statement['entry_hash'][:16]}) written to {out}",
    )


def _privacy_text(data: dict[str, Any]) -> str:
    bound, exposure = data["bound"], data["exposure"]
    accountant = (
        f"accountant ε {data['accountant_epsilon']:.3f} (δ = {data['delta']:.1e})"
        if data["accountant_epsilon"] is not None
        else "no accountant ε (non-private run)"
    )
    return "\n".join(
        [
            f"Privacy audit {data['id']} of run {data['run_id']}: {data['canaries']} canaries, {data['included']} included",
            (
                f"  empirical ε lower bound {data['epsilon_lower_bound']:.3f} at {data['confidence']:.0%} confidence "
                f"({bound['correct']} of {bound['guesses']} membership guesses right), {accountant}"
            ),
            f"  {'CONSISTENT' if data['consistent'] else 'INCONSISTENT'}: {data['note']}",
            (
                f"  membership AUC {data['auc']:.3f}; exposure of included canaries: mean {exposure['included_mean']:.2f}, "
                f"max {exposure['included_max']:.2f} bits (excluded: mean {exposure['excluded_mean']:.2f}; "
                f"estimate capped at {exposure['cap_bits']:.2f} of {exposure['space_bits']:.1f} bits)"
            ),
            "  canary secrets and the inclusion mask are now in the ledger (run.privacy_audited)",
        ]
    )


@audit_group.command("privacy")
@click.argument("run_id")
@click.option(
    "--confidence",
    type=float,
    default=0.95,
    show_default=True,
    help="Confidence of the ε lower bound.",
)
@click.option(
    "--references",
    type=click.IntRange(min=10),
    default=1000,
    show_default=True,
    help="Random reference secrets the exposure is estimated against.",
)
@click.option(
    "--guesses",
    type=click.IntRange(min=1),
    default=None,
    help="Guess exactly this many canaries in and this many out (default: a fixed grid, Bonferroni-corrected).",
)
@click.option(
    "--attack",
    type=click.Choice(["loss", "loss-drop"]),
    default="loss",
    show_default=True,
    help="Score: the adapter's loss, or the drop from the base model's loss.",
)
@click.option("--device", help="cpu, cuda or cuda:N (default: cuda when available).")
@click.option(
    "--canaries",
    "show_canaries",
    is_flag=True,
    help="Also print every canary's loss, guess and exposure.",
)
@common_options(acts_as_key=True)
def audit_privacy(
    inv: Invocation,
    run_id: str,
    confidence: float,
    references: int,
    guesses: int | None,
    attack: str,
    device: str | None,
    show_canaries: bool,
) -> None:
    """Empirical privacy audit of RUN from its canaries, beside the accountant's ε.

    Scores every canary the run planted (recipe [audit] section), included or not, by the
    adapter's loss; reports the exposure of the included canaries, the membership-inference AUC
    and the one-run lower bound on ε (Steinke, Nasr & Jagielski 2023) at --confidence. The
    audit is stored and ledgered (run.privacy_audited) with the canary secrets and which were
    included, so anyone can recompute it. A lower bound above the accountant's ε marks the audit
    inconsistent: the run leaked more than its guarantee allows.

    \b
    Example:
      govern audit privacy run-0123abcd4567 --confidence 0.95 --key auditor.key
    """
    from govern.evaluation.privacy_audit.audit import audit_dict

    row = inv.workspace().evaluation.privacy_audit(
        inv.actor(),
        run_id,
        confidence=confidence,
        references=references,
        guesses=guesses,
        attack=attack,
        device=device,
    )
    data = audit_dict(row, with_canaries=show_canaries)
    inv.emit(data, lambda: _privacy_text(data))
