"""`govern keys`: create and list identities (Ed25519 keys with a role)."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli._common import Invocation, common_options
from govern.ledger.keys import ROLES


@click.group("keys")
def keys_group() -> None:
    """Create and list identities. Only an admin may register keys."""


@keys_group.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the key may do.")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Where to write the private key (created with mode 0600).",
)
@common_options(acts_as_key=True)
def keys_create(inv: Invocation, name: str, role: str, out: Path) -> None:
    """Create a key pair NAME with a role; the private key goes to --out, the public key to the catalog.

    \b
    Example:
      govern keys create alice --role officer --out alice.key --key .govern/keys/admin.key
    """
    row = inv.workspace().keys.create(inv.actor(), name, role, out)
    inv.emit(
        {"key_id": row.key_id, "name": row.name, "role": row.role, "private_key": str(out)},
        f"Registered {row.name} ({row.role}) as key {row.key_id}\nPrivate key: {out}",
    )


@keys_group.command("list")
@common_options()
def keys_list(inv: Invocation) -> None:
    """List registered keys with their roles.

    \b
    Example:
      govern keys list --json
    """
    rows = [
        {"key_id": r.key_id, "name": r.name, "role": r.role, "created_at": r.created_at}
        for r in inv.workspace().keys.list()
    ]
    inv.emit(
        rows,
        lambda: "\n".join(f"{r['key_id']}  {r['role']:<9} {r['name']}" for r in rows) or "No keys.",
    )


@keys_group.command("export")
@click.argument("who", required=False)
@common_options()
def keys_export(inv: Invocation, who: str | None) -> None:
    """Print public keys as PEM: the key named WHO (a name or key id prefix), or every key.

    A report's detached signature is checked with one: `govern report verify FILE --public-key`.

    \b
    Example:
      govern keys export audrey > audrey.pub.pem
    """
    from govern.errors import BadInput
    from govern.ledger.identities import list_identities
    from govern.reports.signature import public_key_pem

    with inv.workspace().catalog.reading() as session:
        rows = [
            {
                "key_id": r.key_id,
                "name": r.name,
                "role": r.role,
                "public_key_pem": public_key_pem(r.public_key),
            }
            for r in list_identities(session)
            if who is None or r.name == who or r.key_id.startswith(who)
        ]
    if who is not None and len(rows) != 1:
        raise BadInput(
            f"{who!r} names {'no registered key' if not rows else f'{len(rows)} keys'}; "
            "give a name or a longer key id prefix (see `govern keys list`)"
        )
    inv.emit(
        rows if who is None else rows[0],
        lambda: "".join(
            (f"# {r['name']} ({r['role']}) key {r['key_id']}\n" if who is None else "")
            + r["public_key_pem"]
            for r in rows
        ),
    )
