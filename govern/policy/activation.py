"""Which policy pack is in force: the one an officer last activated, by a signed ledger entry.

The pack that approvals, the training gate and release use is never chosen by a config file.
`activate_pack` (officers only) ledgers the pack's name, version, hash and canonical content as
`policy.activated`; `active_pack` reads the newest such entry that verifies (signature, and a
signer the ledger registered as an officer) and loads the pack file of that name from the
workspace's policies/ folder, refusing when the file no longer hashes to what was activated.
Until an officer activates a pack, nothing can be approved or trained.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from govern import ledger
from govern.catalog.models import LedgerEntry
from govern.errors import Refused
from govern.ledger.authority import Authority, require
from govern.ledger.keys import PrivateIdentity
from govern.policy import Pack, load_pack

if TYPE_CHECKING:
    from govern.workspace import Workspace

ACTIVATED_EVENT = "policy.activated"


class NoActivePack(Refused):
    """No officer has activated a policy pack in this workspace yet."""


class PackChanged(Refused):
    """The active pack's file changed after it was activated."""


@dataclass(frozen=True)
class Activation:
    """A verified `policy.activated` entry: which pack, by whom, when."""

    name: str
    version: str
    hash: str
    activated_by: str
    activated_at: str
    seq: int
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "hash": self.hash,
            "activated_by": self.activated_by,
            "activated_at": self.activated_at,
            "ledger_seq": self.seq,
            "reason": self.reason,
        }


def load_workspace_pack(workspace: Workspace, name: str) -> Pack:
    """A pack by name (or path) from the workspace's policies/ folder, whether active or not."""
    return load_pack(name, directory=workspace.root / "policies")


def activate_pack(
    workspace: Workspace, actor: PrivateIdentity, name: str, reason: str | None = None
) -> Activation:
    """Make `policies/NAME.yaml` the pack in force; officers only. Approvals under another pack stop counting."""
    pack = load_workspace_pack(workspace, name)
    with workspace.catalog.transaction() as session:
        require(session, actor, "policy.activate")
        entry = ledger.append(
            session,
            actor,
            ACTIVATED_EVENT,
            [pack.hash],
            {
                "pack": {"name": pack.name, "version": pack.version, "hash": pack.hash},
                "content": dict(pack.content),
                "reason": reason,
            },
        )
    return Activation(
        pack.name, pack.version, pack.hash, actor.key_id, entry.recorded_at, entry.seq, reason
    )


def current_activation(session: Session) -> Activation | None:
    """The newest `policy.activated` entry that verifies, or None when no pack was ever activated."""
    authority = Authority.of(session)
    entries = session.exec(
        select(LedgerEntry)
        .where(LedgerEntry.event == ACTIVATED_EVENT)
        .order_by(col(LedgerEntry.seq).desc())
    )
    for entry in entries:
        if authority.entry_problem(entry, (ACTIVATED_EVENT,)) is not None:
            continue
        payload = json.loads(entry.payload)
        pack = payload.get("pack", {})
        return Activation(
            str(pack.get("name")),
            str(pack.get("version")),
            str(pack.get("hash")),
            entry.actor_key_id,
            entry.recorded_at,
            entry.seq,
            payload.get("reason"),
        )
    return None


def active_pack_in(workspace: Workspace, session: Session) -> Pack:
    """The pack in force, loaded from its file; NoActivePack or PackChanged when there is none to use."""
    activation = current_activation(session)
    if activation is None:
        raise NoActivePack(
            "no policy pack is active in this workspace: an officer must activate one, e.g. "
            "`govern policy activate default --key OFFICER_KEY`"
        )
    pack = load_workspace_pack(workspace, activation.name)
    if pack.hash != activation.hash:
        raise PackChanged(
            f"{pack.source} changed after it was activated (activated {activation.hash[:12]}, the file now hashes to "
            f"{pack.hash[:12]}); review the change, then an officer activates it again: "
            f"`govern policy activate {activation.name} --key OFFICER_KEY`"
        )
    return pack


def active_pack(workspace: Workspace) -> Pack:
    """The pack in force (see `active_pack_in`), read in a session of its own."""
    with workspace.catalog.reading() as session:
        return active_pack_in(workspace, session)
