"""Registering identities: the first admin key of a workspace, and keys an admin creates.

Who a key is and what it may do is read from the ledger (govern.ledger.authority); the `identities`
table is an index of the same registrations, cross-checked by `govern audit verify`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from govern import ledger
from govern.catalog.models import Identity, LedgerEntry
from govern.clock import utc_now
from govern.errors import BadInput, NotFound
from govern.ledger.authority import Authority, RegisteredIdentity, person_of, require
from govern.ledger.keys import ROLES, PrivateIdentity, generate_identity, write_private_key

if TYPE_CHECKING:
    from govern.workspace import Workspace

ADMIN_KEY_FILE = "admin.key"


def _identity_row(identity: PrivateIdentity, name: str, role: str) -> Identity:
    return Identity(
        key_id=identity.key_id,
        name=name,
        role=role,
        public_key=identity.public_key_hex,
        created_at=utc_now(),
        ledger_seq=0,
    )


def _record(session: Session, actor: PrivateIdentity, row: Identity) -> None:
    ledger.record(session, actor, ledger.KEY_REGISTERED, row, [row.key_id])


def bootstrap_admin(workspace: Workspace) -> Path:
    """Create the first admin key when the ledger is empty; return the admin key's path."""
    path: Path = workspace.keys_dir / ADMIN_KEY_FILE
    written = False
    try:
        with workspace.catalog.transaction() as session:
            if session.exec(select(LedgerEntry).limit(1)).first() is not None:
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


def create_identity(
    workspace: Workspace, actor: PrivateIdentity, name: str, role: str, out: Path
) -> Identity:
    """Generate a key pair for a person, write the private key to `out` (0600) and register it; admins only.

    `name` names the person who will hold the key: a second key under the same name (whatever its
    case or spacing) belongs to the same person, and separation of duties treats them as one.
    """
    with workspace.catalog.reading() as session:
        require(session, actor, "keys.create")
    if role not in ROLES:
        raise BadInput(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    name = " ".join(name.split())
    if not name:
        raise BadInput("a key needs a non-empty NAME (the person who will hold it)")
    if len(name) > 200:
        raise BadInput("NAME is longer than 200 characters")
    if Path(out).exists():
        raise BadInput(f"{out}: a file is already there; choose another --out path")
    identity = generate_identity()
    written = False
    try:
        with workspace.catalog.transaction() as session:
            require(session, actor, "keys.create")
            row = _identity_row(identity, name, role)
            write_private_key(identity, Path(out))
            written = True
            _record(session, actor, row)
    except BaseException:
        if written:
            Path(out).unlink(missing_ok=True)
        raise
    return row


def list_identities(session: Session) -> list[RegisteredIdentity]:
    """Every key the verified ledger registered, oldest first."""
    return sorted(Authority.of(session).identities.values(), key=lambda i: i.seq)


def get_identity(session: Session, key_id: str) -> RegisteredIdentity:
    """One registered key by id."""
    found = Authority.of(session).identity(key_id)
    if found is None:
        raise NotFound(f"no key {key_id!r} in this workspace; `govern keys list` shows them")
    return found


def keys_of_person(session: Session, name: str) -> list[RegisteredIdentity]:
    """Every registered key held by the person `name` denotes."""
    person = person_of(name)
    return [i for i in list_identities(session) if i.person == person]
