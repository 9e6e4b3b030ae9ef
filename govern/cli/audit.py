"""`govern audit`: verify the ledger and the catalog, list entries, write checkpoints."""

from __future__ import annotations

import json
from pathlib import Path

import click

from govern.cli._common import Invocation, common_options
from govern.errors import IntegrityFailure


@click.group("audit")
def audit_group() -> None:
    """Verify the ledger, list its entries, and checkpoint its head."""


@audit_group.command("verify")
@click.option("--checkpoint", type=click.Path(dir_okay=False, path_type=Path),
              help="Also prove the ledger still extends this checkpoint file.")
@common_options()
def audit_verify(inv: Invocation, checkpoint: Path | None) -> None:
    """Recompute every ledger hash and signature, check stored snapshots and catalog rows.

    Exits 3 and names the first bad entry or object when anything does not match.

    \b
    Example:
      govern audit verify --checkpoint /secure/place/head.json
    """
    from govern.audit import load_checkpoint, verify_workspace

    result = verify_workspace(inv.workspace(), load_checkpoint(checkpoint) if checkpoint else None)
    if not result.ok:
        if inv.as_json:
            inv.emit(result.to_dict())
        raise IntegrityFailure("verification failed: " + result.problems[0]
                               + (f"\n({len(result.problems) - 1} more problems)" if len(result.problems) > 1 else ""))
    inv.emit(result.to_dict(), f"OK: {result.entries} ledger entries, {result.rows_checked} catalog rows, "
             f"{result.snapshots_checked} snapshots verified ({result.erased_records} records erased on request); head {result.head_seq} {result.head_hash[:16]}"
             + (" extends the checkpoint" if checkpoint else ""))


@audit_group.command("log")
@click.option("--event", help="Only entries of this event type.")
@click.option("--limit", type=int, default=None, help="Only the newest N entries.")
@common_options()
def audit_log(inv: Invocation, event: str | None, limit: int | None) -> None:
    """List ledger entries, oldest first.

    \b
    Example:
      govern audit log --event snapshot.created --json
    """
    from govern import ledger

    with inv.workspace().catalog.reading() as session:
        rows = [
            {"seq": e.seq, "recorded_at": e.recorded_at, "actor": e.actor_key_id, "event": e.event,
             "refs": json.loads(e.refs), "payload": json.loads(e.payload), "hash": e.entry_hash}
            for e in ledger.iter_entries(session) if event is None or e.event == event
        ]
    if limit is not None:
        rows = rows[-limit:]
    inv.emit(rows, lambda: "\n".join(
        f"{r['seq']:>6}  {r['recorded_at']}  {r['event']:<24} {r['actor'][:12]}  {' '.join(x[:12] for x in r['refs'])}"
        for r in rows) or "The ledger is empty.")


@audit_group.command("checkpoint")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Where to write it.")
@common_options(acts_as_key=True)
def audit_checkpoint(inv: Invocation, out: Path) -> None:
    """Write a signed statement of the ledger head (sequence, hash, time, signer) to --out.

    Keep it outside the workspace; `govern audit verify --checkpoint FILE` later proves the
    ledger still extends it.

    \b
    Example:
      govern audit checkpoint --out /secure/place/head.json --key auditor.key
    """
    from govern.atomic import atomic_write_json
    from govern.audit import make_checkpoint

    statement = make_checkpoint(inv.workspace(), inv.actor())
    atomic_write_json(out, statement)
    inv.emit(statement, f"Checkpoint of entry {statement['seq']} ({statement['entry_hash'][:16]}) written to {out}")
