"""`govern consent receipt`: a subject's signed deletion receipt, and its offline verification."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from govern.cli._common import Invocation, common_options


class _ReceiptGroup(click.Group):
    """`receipt SUBJECT ...` issues; `receipt verify FILE ...` verifies."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["issue", *args]
        return super().parse_args(ctx, args)


@click.group("receipt", cls=_ReceiptGroup)
def receipt_group() -> None:
    """Issue a subject's signed deletion receipt (`receipt SUBJECT`), or verify one (`receipt verify FILE`).

    \b
    Example:
      govern consent receipt cust-1042 --out receipt.json --public-key-out officer.pub.pem --key officer.key
      govern consent receipt verify receipt.json --public-key officer.pub.pem
    """


@receipt_group.command("issue", hidden=True)
@click.argument("subject")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="Receipt file."
)
@click.option(
    "--public-key-out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the signing key's public key (PEM), to hand over with the receipt.",
)
@common_options(acts_as_key=True)
def receipt_issue(inv: Invocation, subject: str, out: Path, public_key_out: Path | None) -> None:
    """Sign SUBJECT's deletion receipt: when they asked, what was blanked, what was decided per run.

    \b
    Example:
      govern consent receipt cust-1042 --out receipt.json --key officer.key
    """
    from govern.consent.receipt import issue_receipt

    receipt = issue_receipt(inv.workspace(), inv.actor(), subject, out, public_key_out)
    body: dict[str, Any] = receipt.document["receipt"]
    inv.emit(
        {"path": str(out), "sha256": receipt.sha256, "ledger_seq": receipt.ledger_seq, **body},
        f"Receipt written to {out} (SHA-256 {receipt.sha256[:16]}…, ledger entry {receipt.ledger_seq}): "
        f"{len(body['snapshots_blanked'])} snapshot(s) blanked, {len(body['runs_affected'])} run(s) affected",
    )


@receipt_group.command("verify")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--public-key",
    "public_key",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    required=True,
    help="PEM public key of the workspace officer who signed it.",
)
@common_options()
def receipt_verify(inv: Invocation, file: Path, public_key: Path) -> None:
    """Verify a deletion receipt offline against the signer's PEM public key (exit 3 if it fails).

    Needs no workspace (--workspace is accepted and not read).

    \b
    Example:
      govern consent receipt verify receipt.json --public-key officer.pub.pem
    """
    from govern.consent.receipt import verify_receipt
    from govern.errors import IntegrityFailure

    check = verify_receipt(file, public_key.read_bytes(), str(public_key))
    if not check.ok:
        raise IntegrityFailure(f"{file}: the receipt does not verify", check.problems)
    body = check.receipt or {}
    inv.emit(
        check.to_dict(),
        f"{file}: receipt verifies; subject {body.get('subject_id')}, requested {body.get('requested_at')}, "
        f"{len(body.get('runs_affected', []))} run(s) affected",
    )
