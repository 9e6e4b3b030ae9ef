"""Registered identities and their roles, enforced in the library (not only in the CLI)."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, select

from govern import ledger
from govern.catalog.models import Identity, ledgered_row
from govern.clock import utc_now
from govern.errors import BadInput, NotFound, Refused
from govern.keys import ROLES, PrivateIdentity, generate_identity, write_private_key

ADMIN_KEY_FILE = "admin.key"


def _identity_row(identity: PrivateIdentity, name: str, role: str) -> Identity:
    return Identity(
        key_id=identity.key_id, name=name, role=role, public_key=identity.public_key_hex,
        created_at=utc_now(), ledger_seq=0,
    )


def _record(session: Session, actor: PrivateIdentity, row: Identity) -> None:
    entry = ledger.append(session, actor, ledger.KEY_REGISTERED, [row.key_id], {"row": ledgered_row(row)})
    row.ledger_seq = entry.seq
    session.add(row)


def bootstrap_admin(workspace: "Workspace") -> Path:  # type: ignore[name-defined]  # noqa: F821
    """Create the first admin key when the catalog has none; return the admin key's path."""
    path = workspace.keys_dir / ADMIN_KEY_FILE
    written = False
    try:
        with workspace.catalog.transaction() as session:
            if session.exec(select(Identity).limit(1)).first() is not None:
                return path
            admin = generate_identity()
            write_private_key(admin, path)
            written = True
            _record(session, admin, _identity_row(admin, "admin", "admin"))
    except BaseException:
        if written:
            path.unlink(missing_ok=True)
        raise
    return path


def role_of(session: Session, actor: PrivateIdentity) -> Identity:
    """The catalog row of the acting key, refusing keys that were never registered."""
    row = session.get(Identity, actor.key_id)
    if row is None or row.public_key != actor.public_key_hex:
        raise Refused(f"key {actor.key_id} is not registered in this workspace; an admin must run `govern keys create`")
    return row


def require_role(session: Session, actor: PrivateIdentity, *roles: str) -> Identity:
    """The acting key's row, or a refusal when its role is not one of `roles`."""
    row = role_of(session, actor)
    if row.role not in roles:
        raise Refused(f"key {row.key_id} ({row.name}) has role {row.role!r}; this needs {' or '.join(roles)}")
    return row


def create_identity(workspace: "Workspace", actor: PrivateIdentity, name: str, role: str, out: Path) -> Identity:  # type: ignore[name-defined]  # noqa: F821
    """Generate a key pair, write the private key to `out` (0600) and register it; admins only."""
    if role not in ROLES:
        raise BadInput(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    if not name.strip():
        raise BadInput("a key needs a non-empty NAME")
    if Path(out).exists():
        raise BadInput(f"{out}: a file is already there; choose another --out path")
    identity = generate_identity()
    written = False
    try:
        with workspace.catalog.transaction() as session:
            require_role(session, actor, "admin")
            row = _identity_row(identity, name, role)
            write_private_key(identity, Path(out))
            written = True
            _record(session, actor, row)
    except BaseException:
        if written:
            Path(out).unlink(missing_ok=True)
        raise
    return row


def list_identities(session: Session) -> list[Identity]:
    """Every registered key, oldest first."""
    return list(session.exec(select(Identity).order_by(Identity.ledger_seq)).all())


def get_identity(session: Session, key_id: str) -> Identity:
    """One registered key by id."""
    row = session.get(Identity, key_id)
    if row is None:
        raise NotFound(f"no key {key_id!r} in this workspace; `govern keys list` shows them")
    return row
