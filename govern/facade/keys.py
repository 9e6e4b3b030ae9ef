"""`ws.keys`: identities (Ed25519 keys with a role); only an admin registers keys."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.catalog.models import Identity
    from govern.ledger.authority import RegisteredIdentity
    from govern.ledger.keys import PrivateIdentity


class Keys(Namespace):
    """Create, list and load identities."""

    def create(self, actor: PrivateIdentity, name: str, role: str, out: Path) -> Identity:
        """Register a new key pair for person `name` with `role`; the private key goes to `out` (0600)."""
        from govern.ledger.identities import create_identity

        return create_identity(self._workspace, actor, name, role, Path(out))

    def list(self) -> list[RegisteredIdentity]:
        """Every key the verified ledger registered, oldest first."""
        from govern.ledger.identities import list_identities

        with self._workspace.catalog.reading() as session:
            return list_identities(session)

    @staticmethod
    def load(path: Path | str) -> PrivateIdentity:
        """A private key file written by `keys.create` or `Workspace.init` (the admin key)."""
        from govern.ledger.keys import load_identity

        return load_identity(Path(path))
