"""The append-only ledger: canonical JSON entries, chained by SHA-256, signed by the acting key.

Appending happens inside the caller's transaction, so a state change and its entry commit
together or not at all. Writers are serialised (SQLite: BEGIN IMMEDIATE; PostgreSQL: an
advisory transaction lock), so concurrent processes never fork the chain.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from govern.canonical import canonical_json, hash_value
from govern.catalog.db import lock_writers
from govern.catalog.models import LedgerEntry
from govern.clock import utc_now
from govern.ledger.keys import Signer, verify_signature

GENESIS_HASH = "0" * 64
KEY_REGISTERED = "identity.registered"
_HEAD_KEY = "govern.ledger.head"


def entry_body(entry: LedgerEntry) -> dict[str, Any]:
    """The signed content of an entry: everything but its own hash and signature."""
    return {
        "seq": entry.seq,
        "recorded_at": entry.recorded_at,
        "actor_key_id": entry.actor_key_id,
        "event": entry.event,
        "refs": entry.refs,
        "payload": entry.payload,
        "prev_hash": entry.prev_hash,
    }


def compute_entry_hash(entry: LedgerEntry) -> str:
    """SHA-256 of the entry's canonical body."""
    return hash_value(entry_body(entry))


def head(session: Session) -> LedgerEntry | None:
    """The newest entry, or None for an empty ledger."""
    return session.exec(select(LedgerEntry).order_by(col(LedgerEntry.seq).desc()).limit(1)).first()


def lock(session: Session) -> None:
    """Take the ledger's write lock for this transaction (PostgreSQL: an advisory lock; SQLite's
    write transactions already hold it), so a check made now still holds when the entry is appended."""
    lock_writers(session)


def append(
    session: Session,
    actor: Signer,
    event: str,
    refs: list[str],
    payload: dict[str, Any],
) -> LedgerEntry:
    """Append one signed entry in the session's transaction and return it."""
    # The head is read once per transaction: the write lock (BEGIN IMMEDIATE on SQLite, the
    # advisory lock on PostgreSQL) is held until commit, so nobody else can move it meanwhile.
    previous = session.info.get(_HEAD_KEY)
    if previous is None:
        lock(session)
        previous = head(session)
    entry = LedgerEntry(
        seq=1 if previous is None else previous.seq + 1,
        recorded_at=utc_now(),
        actor_key_id=actor.key_id,
        event=event,
        refs=canonical_json(sorted(set(refs))),
        payload=canonical_json(payload),
        prev_hash=GENESIS_HASH if previous is None else previous.entry_hash,
        entry_hash="",
        signature="",
    )
    entry.entry_hash = compute_entry_hash(entry)
    entry.signature = actor.sign(bytes.fromhex(entry.entry_hash))
    session.add(entry)
    session.flush()
    session.info[_HEAD_KEY] = entry
    return entry


def continuity_problem(session: Session) -> str | None:
    """A cheap check that no entry was deleted: the entries are numbered 1..head without a gap."""
    from sqlalchemy import func

    count, top = session.exec(select(func.count(), func.max(LedgerEntry.seq))).one()
    if count and (top != count):
        return (
            f"the ledger has {count} entries but its head is entry {top}: entries were deleted; "
            "run `govern audit verify`"
        )
    return None


def record(
    session: Session,
    actor: Signer,
    event: str,
    row: Any,
    refs: list[str],
    extra: dict[str, Any] | None = None,
) -> LedgerEntry:
    """Append `event` carrying `row`'s ledgered content, set the row's `ledger_seq` and add it:
    a catalog row and the entry that vouches for it, in the caller's transaction."""
    from govern.catalog.models import ledgered_row

    entry = append(session, actor, event, refs, {"row": ledgered_row(row), **(extra or {})})
    row.ledger_seq = entry.seq
    session.add(row)
    return entry


def iter_entries(session: Session, batch: int = 5000) -> Iterator[LedgerEntry]:
    """Every entry in sequence order, fetched in batches so memory stays flat."""
    last = 0
    while True:
        rows = session.exec(
            select(LedgerEntry)
            .where(col(LedgerEntry.seq) > last)
            .order_by(col(LedgerEntry.seq))
            .limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


@dataclass
class ChainReport:
    """What verifying the chain found: entry count, head, the keys it registered, problems."""

    entries: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    ledgered_rows: dict[tuple[str, int], str] = field(default_factory=dict)
    kept_hashes: dict[int, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def verify_chain(
    session: Session,
    keep_hashes_at: set[int] | None = None,
    event_signers: dict[str, tuple[str, ...]] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ChainReport:
    """Recompute every hash, link and signature; collect registered keys and ledgered rows.

    Keys are taken from the ledger's own `identity.registered` entries, never from the catalog
    table, so a key row forged in the catalog cannot vouch for a forged entry. With
    `event_signers` (event -> roles), each entry's signer must have held one of its event's roles
    when it signed, and events govern never writes are named. `progress` is told the number of
    entries checked so far, every thousand entries.
    """
    report = ChainReport()
    expected_seq, expected_prev = 1, GENESIS_HASH
    for entry in iter_entries(session):
        report.entries += 1
        where = f"ledger entry {entry.seq} ({entry.event})"
        if entry.seq != expected_seq:
            report.problems.append(
                f"ledger entry {expected_seq} is missing: the chain jumps from {expected_seq - 1} to {entry.seq}"
            )
        elif entry.prev_hash != expected_prev:
            report.problems.append(
                f"{where}: prev_hash does not match the entry before it (reordered or altered)"
            )
        if compute_entry_hash(entry) != entry.entry_hash:
            report.problems.append(
                f"{where}: content does not match its hash (the entry was altered)"
            )
        payload = _parse_payload(entry, report)
        if entry.event == KEY_REGISTERED and payload is not None:
            row = payload.get("row", {})
            signer = report.keys.get(entry.actor_key_id)
            bootstrap = (
                not report.keys
                and row.get("key_id") == entry.actor_key_id
                and row.get("role") == "admin"
            )
            if signer is None and not bootstrap:
                report.problems.append(
                    f"{where}: registered by {entry.actor_key_id}, which is not a registered key"
                )
            elif signer is not None and signer.get("role") != "admin":
                report.problems.append(
                    f"{where}: registered by {entry.actor_key_id}, which is not an admin key"
                )
            report.keys[row.get("key_id", "")] = dict(row)
        signer = report.keys.get(entry.actor_key_id)
        if signer is None:
            report.problems.append(f"{where}: signed by unknown key {entry.actor_key_id}")
        elif not verify_signature(
            signer["public_key"], hash_bytes(entry.entry_hash), entry.signature
        ):
            report.problems.append(
                f"{where}: signature does not verify with key {entry.actor_key_id} (forged)"
            )
        elif event_signers is not None:
            allowed = event_signers.get(entry.event)
            if allowed is None:
                report.problems.append(
                    f"{where}: govern writes no such event (written around the library)"
                )
            elif signer.get("role") not in allowed:
                report.problems.append(
                    f"{where}: signed by {entry.actor_key_id} ({signer.get('name')}, "
                    f"{signer.get('role')}), but only {' or '.join(allowed)} keys may sign it"
                )
        if payload is not None and isinstance(payload.get("row"), dict):
            table = payload["row"].get("table", "?")
            report.ledgered_rows[(table, entry.seq)] = hash_value(payload["row"])
        if keep_hashes_at and entry.seq in keep_hashes_at:
            report.kept_hashes[entry.seq] = entry.entry_hash
        report.head_seq, report.head_hash = entry.seq, entry.entry_hash
        expected_seq, expected_prev = entry.seq + 1, entry.entry_hash
        if progress is not None and report.entries % 1000 == 0:
            progress(report.entries)
    return report


def hash_bytes(entry_hash: str) -> bytes:
    """The signed bytes of an entry hash; a malformed hash signs nothing (and fails verification)."""
    try:
        return bytes.fromhex(entry_hash)
    except ValueError:
        return b""


def _parse_payload(entry: LedgerEntry, report: ChainReport) -> dict[str, Any] | None:
    try:
        payload = json.loads(entry.payload)
    except json.JSONDecodeError:
        report.problems.append(f"ledger entry {entry.seq}: payload is not valid JSON")
        return None
    return payload if isinstance(payload, dict) else None
