"""Who may do what: the one role matrix, and identities as the verified ledger registered them.

Authority never comes from a catalog row. A key is an identity only if an `identity.registered`
entry of the ledger, whose hash and signature verify, registered it: the first entry of the
ledger (the workspace's bootstrap admin, self-signed) or an entry signed by a key that an earlier
such entry registered as an admin. An `identities` row inserted or edited by SQL is therefore no
one, and a role raised by SQL is not raised.

`ACTIONS` says which roles may perform each action of the library (and so each command);
`EVENT_SIGNERS` says which roles may sign each kind of ledger entry. `audit verify` checks every
entry against `EVENT_SIGNERS`, the gate reads only entries `Authority.entry_problem` accepts.

An identity belongs to a person: `person` is the normalised name, so two keys issued under one
name are one person, and separation of duties compares people, not keys.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from govern.catalog.models import LedgerEntry
from govern.errors import Refused
from govern.ledger import KEY_REGISTERED, compute_entry_hash, hash_bytes
from govern.ledger.keys import Signer, key_id_for, verify_signature

# action -> the roles that may perform it. The README's "Who does what" table is this table.
ACTIONS: dict[str, tuple[str, ...]] = {
    "keys.create": ("admin",),
    "dataset.register": ("engineer",),
    "dataset.amend": ("engineer",),
    "snapshot.derive": ("engineer",),
    "pii.scan": ("engineer",),
    "policy.check": ("engineer", "officer"),
    "policy.activate": ("officer",),
    "snapshot.decide": ("officer",),
    "consent.manage": ("officer",),
    "consent.erase": ("officer",),
    "run.train": ("engineer",),
    "run.evaluate": ("engineer", "reviewer"),
    "run.attest": ("engineer", "officer"),
    "run.review": ("reviewer", "officer"),
    "run.release": ("officer",),
    "report.render": ("auditor",),
    "audit.checkpoint": ("auditor",),
    "audit.privacy": ("auditor",),
    "synthetic.validate": ("engineer",),
    "synthetic.review": ("reviewer", "officer"),
    "remediation.decide": ("officer",),
    "consent.receipt": ("officer",),
}

# command -> the action it performs: the commands that act as a key (--key). The others only read.
COMMAND_ACTIONS: dict[str, str] = {
    "keys create": "keys.create",
    "dataset add": "dataset.register",
    "dataset add-version": "dataset.register",
    "dataset amend": "dataset.amend",
    "scan": "pii.scan",
    "anonymize": "snapshot.derive",
    "consent filter": "snapshot.derive",
    "policy check": "policy.check",
    "policy activate": "policy.activate",
    "approve": "snapshot.decide",
    "reject": "snapshot.decide",
    "consent import": "consent.manage",
    "consent revoke": "consent.manage",
    "consent erase": "consent.erase",
    "train": "run.train",
    "eval": "run.evaluate",
    "attest create": "run.attest",
    "runs card": "run.attest",
    "review": "run.review",
    "review sample": "run.evaluate",
    "review import": "run.review",
    "release": "run.release",
    "report dataset": "report.render",
    "report run": "report.render",
    "report audit": "report.render",
    "report ai-act": "report.render",
    "report ab2013": "report.render",
    "audit checkpoint": "audit.checkpoint",
    "audit privacy": "audit.privacy",
    "synth validate": "synthetic.validate",
    "synth review import": "synthetic.review",
    "remediate decide": "remediation.decide",
    "consent receipt": "consent.receipt",
}


def commands_of(role: str) -> list[str]:
    """The commands a role may run (those that act as a key), in the order of COMMAND_ACTIONS."""
    return [command for command, action in COMMAND_ACTIONS.items() if role in ACTIONS[action]]


# ledger event -> the roles whose keys may sign it (a refusal may be signed by any registered key).
ANY_ROLE = ("admin", "officer", "engineer", "auditor", "reviewer")
EVENT_SIGNERS: dict[str, tuple[str, ...]] = {
    KEY_REGISTERED: ACTIONS["keys.create"],
    "dataset.registered": ACTIONS["dataset.register"],
    "dataset.amended": ACTIONS["dataset.amend"],
    "snapshot.created": ACTIONS["dataset.register"],
    "pii.scanned": ACTIONS["pii.scan"],
    "policy.decided": tuple(sorted(set(ACTIONS["policy.check"]) | set(ACTIONS["snapshot.decide"]))),
    "policy.activated": ACTIONS["policy.activate"],
    "snapshot.approved": ACTIONS["snapshot.decide"],
    "snapshot.rejected": ACTIONS["snapshot.decide"],
    "consent.imported": ACTIONS["consent.manage"],
    "consent.revoked": ACTIONS["consent.manage"],
    "subject.erased": ACTIONS["consent.erase"],
    "gate.refused": ANY_ROLE,
    "run.started": ACTIONS["run.train"],
    "run.charged": ACTIONS["run.train"],
    "run.checkpoint": ACTIONS["run.train"],
    "run.resumed": ACTIONS["run.train"],
    "run.completed": ACTIONS["run.train"],
    "run.failed": ACTIONS["run.train"],
    "run.interrupted": ACTIONS["run.train"],
    "run.evaluated": ACTIONS["run.evaluate"],
    "run.suite_evaluated": ACTIONS["run.evaluate"],
    "review.sampled": ACTIONS["run.evaluate"],
    "review.verdicts": ACTIONS["run.review"],
    "run.attested": ACTIONS["run.attest"],
    "run.card_rendered": ACTIONS["run.attest"],
    "run.reviewed": ACTIONS["run.review"],
    "run.released": ACTIONS["run.release"],
    "run.privacy_audited": ACTIONS["audit.privacy"],
    "report.rendered": ACTIONS["report.render"],
    "synthetic.registered": ACTIONS["dataset.register"],
    "synthetic.validated": ACTIONS["synthetic.validate"],
    "synthetic.reviewed": ACTIONS["synthetic.review"],
    "remediation.opened": ACTIONS["consent.erase"],
    "remediation.decided": ACTIONS["remediation.decide"],
    "consent.receipt_issued": ACTIONS["consent.receipt"],
}


class RoleRefused(Refused):
    """The acting key is not a registered identity, or its role may not perform the action."""


def person_of(name: str) -> str:
    """The person a key's name denotes: case, accents' composition and spacing do not count."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


@dataclass(frozen=True)
class RegisteredIdentity:
    """A key as the ledger registered it: its role, its person, and the entry that registered it."""

    key_id: str
    name: str
    role: str
    public_key: str
    created_at: str
    seq: int

    @property
    def person(self) -> str:
        return person_of(self.name)

    def describe(self) -> str:
        return f"{self.name} ({self.role}, key {self.key_id[:12]})"


_CACHE_KEY = "govern.ledger.authority"


class Authority:
    """The identities registered by the verified ledger, read once per session."""

    def __init__(self, identities: dict[str, RegisteredIdentity], problems: list[str]) -> None:
        self.identities = identities
        self.problems = problems

    @classmethod
    def of(cls, session: Session) -> Authority:
        """The authority as of this session's view of the ledger (cached in the session)."""
        cached = session.info.get(_CACHE_KEY)
        head = session.exec(
            select(col(LedgerEntry.seq)).order_by(col(LedgerEntry.seq).desc()).limit(1)
        ).first()
        if cached is not None and cached[0] == head:
            return cached[1]  # type: ignore[no-any-return]
        authority = cls.read(session)
        session.info[_CACHE_KEY] = (head, authority)
        return authority

    @classmethod
    def read(cls, session: Session) -> Authority:
        """Replay every `identity.registered` entry, keeping only those that verify."""
        identities: dict[str, RegisteredIdentity] = {}
        problems: list[str] = []
        entries = session.exec(
            select(LedgerEntry)
            .where(LedgerEntry.event == KEY_REGISTERED)
            .order_by(col(LedgerEntry.seq))
        )
        for entry in entries:
            where = f"ledger entry {entry.seq} ({entry.event})"
            row = _registered_row(entry)
            if row is None or compute_entry_hash(entry) != entry.entry_hash:
                problems.append(f"{where}: not a valid key registration (altered or malformed)")
                continue
            key_id, public_key = str(row.get("key_id", "")), str(row.get("public_key", ""))
            if (
                not _is_key(public_key)
                or key_id_for(public_key) != key_id
                or row.get("role") not in ANY_ROLE
            ):
                problems.append(
                    f"{where}: registers a key whose id, public key or role is malformed"
                )
                continue
            bootstrap = (
                entry.seq == 1 and entry.actor_key_id == key_id and row.get("role") == "admin"
            )
            signer = identities.get(entry.actor_key_id)
            signer_key = public_key if bootstrap else (signer.public_key if signer else None)
            if not bootstrap and (signer is None or signer.role != "admin"):
                problems.append(
                    f"{where}: signed by {entry.actor_key_id}, which the ledger never registered as an admin"
                )
                continue
            if signer_key is None or not verify_signature(
                signer_key, hash_bytes(entry.entry_hash), entry.signature
            ):
                problems.append(f"{where}: its signature does not verify (forged)")
                continue
            if key_id in identities:
                problems.append(f"{where}: registers key {key_id} a second time")
                continue
            identities[key_id] = RegisteredIdentity(
                key_id=key_id,
                name=str(row.get("name", "")),
                role=str(row["role"]),
                public_key=public_key,
                created_at=str(row.get("created_at", "")),
                seq=entry.seq,
            )
        return cls(identities, problems)

    def identity(self, key_id: str) -> RegisteredIdentity | None:
        """The key as the ledger registered it, or None."""
        return self.identities.get(key_id)

    def of_actor(self, actor: Signer) -> RegisteredIdentity:
        """The registered identity of a private key; RoleRefused when the ledger never registered it."""
        found = self.identities.get(actor.key_id)
        if found is None or found.public_key != actor.public_key_hex:
            raise RoleRefused(
                f"key {actor.key_id} is not registered in this workspace's ledger; an admin must run `govern keys create`"
            )
        return found

    def require(self, actor: Signer, action: str) -> RegisteredIdentity:
        """The actor's identity, or RoleRefused when its role may not perform `action`."""
        identity = self.of_actor(actor)
        roles = ACTIONS[action]
        if identity.role not in roles:
            raise RoleRefused(
                f"{identity.describe()} may not {action.replace('.', ' ')}; this needs the role "
                f"{' or '.join(roles)}"
            )
        return identity

    def entry_problem(
        self, entry: LedgerEntry, events: tuple[str, ...] | None = None
    ) -> str | None:
        """Why a ledger entry cannot be relied on (None when it can): wrong event, altered content,
        a signer the ledger never registered before it, a bad signature, or a role that may not sign it."""
        where = f"ledger entry {entry.seq} ({entry.event})"
        if events is not None and entry.event not in events:
            return f"{where} is not one of {', '.join(events)}"
        if compute_entry_hash(entry) != entry.entry_hash:
            return f"{where}: its content does not match its hash (altered)"
        signer = self.identities.get(entry.actor_key_id)
        if signer is None or signer.seq > entry.seq:
            return f"{where}: signed by {entry.actor_key_id}, which was not a registered key at the time"
        if not verify_signature(signer.public_key, hash_bytes(entry.entry_hash), entry.signature):
            return f"{where}: its signature does not verify (forged)"
        allowed = EVENT_SIGNERS.get(entry.event)
        if allowed is not None and signer.role not in allowed:
            return f"{where}: signed by {signer.describe()}, but only {' or '.join(allowed)} keys may sign it"
        return None


def require(session: Session, actor: Signer, action: str) -> RegisteredIdentity:
    """Shorthand: `Authority.of(session).require(actor, action)`."""
    return Authority.of(session).require(actor, action)


def trusted_payload(session: Session, seq: int, events: tuple[str, ...]) -> dict[str, Any] | None:
    """The payload of ledger entry `seq` when the entry is one of `events` and can be relied on; else None."""
    entry = session.get(LedgerEntry, seq)
    if entry is None or Authority.of(session).entry_problem(entry, events) is not None:
        return None
    try:
        payload = json.loads(entry.payload)
    except json.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) else None


def row_problem(session: Session, row: Any, events: tuple[str, ...]) -> str | None:
    """Why a ledgered catalog row cannot be relied on: no verified entry of `events` recorded it,
    or the row differs from what that entry recorded. None when it can."""
    from govern.catalog.models import ledgered_row

    name = f"{row.__tablename__} row {getattr(row, 'id', None) or getattr(row, 'key_id', '?')}"
    payload = trusted_payload(session, row.ledger_seq, events)
    if payload is None:
        return f"{name}: no verified {' or '.join(events)} ledger entry recorded it (written outside govern)"
    if payload.get("row") != ledgered_row(row):
        return f"{name}: differs from what ledger entry {row.ledger_seq} recorded (altered outside govern)"
    return None


def _registered_row(entry: LedgerEntry) -> dict[str, Any] | None:
    try:
        payload = json.loads(entry.payload)
    except json.JSONDecodeError:
        return None
    row = payload.get("row") if isinstance(payload, dict) else None
    return row if isinstance(row, dict) and row.get("table") == "identities" else None


def _is_key(public_key: str) -> bool:
    return len(public_key) == 64 and all(c in "0123456789abcdef" for c in public_key)


def verified_entries(
    session: Session, event: str, ref: str | None = None
) -> list[tuple[LedgerEntry, dict[str, Any]]]:
    """Entries of one event that name `ref` (any, when None), oldest first, with their parsed
    payloads; only those `Authority.entry_problem` accepts (intact, signed by a key the event allows)."""
    authority = Authority.of(session)
    found = session.exec(
        select(LedgerEntry).where(LedgerEntry.event == event).order_by(col(LedgerEntry.seq))
    )
    return [
        (entry, json.loads(entry.payload))
        for entry in found
        if (ref is None or ref in json.loads(entry.refs)) and authority.entry_problem(entry) is None
    ]
