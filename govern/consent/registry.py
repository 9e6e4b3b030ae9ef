"""The consent registry: append-only grants and revocations per subject and purpose.

Subjects are held only as keyed hashes. The state at any time is reconstructed from the history:
the latest event effective by then decides, and a grant lapses at its expiry.

Evidence references ("signup-form-v3/subj-0001") often name the subject, so they are kept apart
in the erasable `consent_evidence` table with a random salt; the event and its ledger entry
commit to SHA-256(salt || reference). Erasing the subject deletes the clear text and the salt:
the ledger still verifies, and the hash left behind cannot be tested against a guess.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from govern import ledger
from govern.canonical import file_sha256, hash_value
from govern.catalog.models import ConsentEvent, ConsentEvidence, SnapshotRecord
from govern.clock import format_time, new_id, parse_time, utc_now
from govern.errors import BadInput, record_error
from govern.ingest.readers import read_records
from govern.ledger.authority import require
from govern.ledger.keys import PrivateIdentity, Signer

if TYPE_CHECKING:
    from govern.workspace import Workspace

_PURPOSE = re.compile(r"^[a-z][a-z0-9_.\-]{0,99}$")
_ACTIONS = {"granted": "grant", "grant": "grant", "revoked": "revoke", "revoke": "revoke"}
_FIELDS = {
    "subject": ("subject_id", "subject"),
    "purpose": ("purpose",),
    "action": ("status", "action"),
    "time": ("time", "effective_at", "timestamp"),
    "evidence": ("evidence_ref", "evidence"),
    "expires": ("expires_at", "expiry", "expires"),
}
_INSERT_BATCH = 5000
CONSENT_EVENTS = ("consent.imported", "consent.revoked")
_TRUSTED_CACHE = "govern.consent.registry.trusted_batches"
# Written into each consent ledger entry since migration 0008: the events hash covers evidence as
# a salted hash. Entries without it (older catalogs) hashed the clear text.
EVIDENCE_SCHEME = "salted-sha256"


def _pick(record: dict[str, Any], key: str) -> Any:
    for name in _FIELDS[key]:
        if name in record and record[name] not in (None, ""):
            return record[name]
    return None


def _iso(value: Any, source: object, line: int, field: str) -> str:
    try:
        return format_time(parse_time(str(value)))
    except ValueError:
        raise record_error(
            source, line, f"{field} {value!r} is not an ISO 8601 time (e.g. 2024-05-01T12:00:00Z)"
        ) from None


def evidence_commitment(salt: str, evidence_ref: str) -> str:
    """The salted hash of an evidence reference that a consent event and its ledger entry keep."""
    return hashlib.sha256(bytes.fromhex(salt) + evidence_ref.encode("utf-8")).hexdigest()


def _event_content(
    event: ConsentEvent, legacy_evidence: dict[str, str] | None = None
) -> dict[str, Any]:
    content = {
        "id": event.id,
        "subject_hash": event.subject_hash,
        "purpose": event.purpose,
        "action": event.action,
        "effective_at": event.effective_at,
        "expires_at": event.expires_at,
    }
    if legacy_evidence is None:
        return {**content, "evidence_hash": event.evidence_hash}
    return {**content, "evidence_ref": legacy_evidence.get(event.id)}


def events_hash(
    events: Iterable[ConsentEvent], legacy_evidence: dict[str, str] | None = None
) -> str:
    """The hash a consent ledger entry records over the events it added (sorted by id).

    `legacy_evidence` (event id -> clear text) re-hashes an entry written before migration 0008.
    """
    return hash_value(
        [_event_content(e, legacy_evidence) for e in sorted(events, key=lambda e: e.id)]
    )


@dataclass
class ParsedConsent:
    """A consent file's events and the clear text of their evidence (stored apart, erasable)."""

    events: list[ConsentEvent]
    evidence: list[ConsentEvidence]


def parse_consent_file(workspace: Workspace, path: Path, actor_key_id: str) -> ParsedConsent:
    """Read and validate a consent CSV/JSONL; raises BadInput naming the line of the first bad row."""
    now = utc_now()
    events, evidence_rows = [], []
    for line, record in read_records(path):
        subject = _pick(record, "subject")
        if subject is None or isinstance(subject, bool) or not str(subject).strip():
            raise record_error(path, line, "missing subject_id")
        purpose = _pick(record, "purpose")
        if not isinstance(purpose, str) or not _PURPOSE.match(purpose):
            raise record_error(
                path, line, f"purpose {purpose!r} must be a lowercase name such as model_training"
            )
        action = _ACTIONS.get(str(_pick(record, "action") or "").lower())
        if action is None:
            raise record_error(path, line, "status must be granted or revoked")
        when = _pick(record, "time")
        if when is None:
            raise record_error(path, line, "missing time (when consent was granted or revoked)")
        expires = _pick(record, "expires")
        evidence = _pick(record, "evidence")
        if evidence is not None and len(str(evidence)) > 500:
            raise record_error(path, line, "evidence_ref is longer than 500 characters")
        event = ConsentEvent(
            id=uuid.uuid4().hex,
            subject_hash=workspace.hash_subject(str(subject)),
            purpose=purpose,
            action=action,
            effective_at=_iso(when, path, line, "time"),
            expires_at=_iso(expires, path, line, "expires_at") if expires is not None else None,
            recorded_at=now,
            recorded_by=actor_key_id,
            ledger_seq=0,
        )
        if evidence is not None:
            salt = secrets.token_hex(16)
            event.evidence_hash = evidence_commitment(salt, str(evidence))
            evidence_rows.append(
                ConsentEvidence(
                    event_id=event.id,
                    subject_hash=event.subject_hash,
                    salt=salt,
                    evidence_ref=str(evidence),
                )
            )
        events.append(event)
    return ParsedConsent(events, evidence_rows)


def _store(
    session: Session,
    actor: Signer,
    events: list[ConsentEvent],
    event: str,
    refs: list[str],
    payload: dict[str, Any],
    evidence: Iterable[ConsentEvidence] = (),
) -> int:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"grant": 0, "revoke": 0})
    for item in events:
        counts[item.purpose][item.action] += 1
    entry = ledger.append(
        session,
        actor,
        event,
        refs,
        {
            **payload,
            "events": len(events),
            "events_hash": events_hash(events),
            "by_purpose": dict(counts),
            "evidence": EVIDENCE_SCHEME,
        },
    )
    rows = []
    for item in events:
        item.ledger_seq = entry.seq
        rows.append(item.model_dump())
    for table, batch in (
        (ConsentEvent, rows),
        (ConsentEvidence, [e.model_dump() for e in evidence]),
    ):
        for start in range(0, len(batch), _INSERT_BATCH):
            session.execute(insert(table), batch[start : start + _INSERT_BATCH])
    return entry.seq


def import_consent(workspace: Workspace, actor: PrivateIdentity, path: Path) -> tuple[int, int]:
    """Import a consent file in one transaction; returns (events imported, ledger sequence)."""
    parsed = parse_consent_file(workspace, path, actor.key_id)
    with workspace.catalog.transaction() as session:
        require(session, actor, "consent.manage")
        seq = _store(
            session,
            actor,
            parsed.events,
            "consent.imported",
            [],
            {"source_sha256": file_sha256(path), "source_name": Path(path).name},
            parsed.evidence,
        )
    return len(parsed.events), seq


def trusted_batches(session: Session, seqs: Iterable[int]) -> set[int]:
    """Of these consent batches (ledger sequences), those an officer's verified entry recorded and
    whose rows still hash to what it recorded. A row written around govern, or a batch signed by a
    key that may not manage consent, counts for nothing (`govern audit verify` names it)."""
    from govern.ledger.authority import trusted_payload

    cache: dict[int, bool] = session.info.setdefault(_TRUSTED_CACHE, {})
    for seq in set(seqs) - set(cache):
        payload = trusted_payload(session, seq, CONSENT_EVENTS)
        rows = (
            session.exec(select(ConsentEvent).where(ConsentEvent.ledger_seq == seq)).all()
            if payload
            else []
        )
        expected = ledgered_events_hash(session, list(rows), payload) if payload else None
        cache[seq] = (
            payload is not None
            and bool(payload)
            and payload.get("events") == len(rows)
            and (expected is None or payload.get("events_hash") == expected)
        )
    return {seq for seq in seqs if cache[seq]}


def _revocations_without_rows(session: Session) -> set[str]:
    """Subjects whose ledgered revocation no longer has its rows in the catalog (deleted behind the
    ledger): they count as revoked, so deleting a revocation never restores a grant."""
    from govern.catalog.models import LedgerEntry
    from govern.ledger.authority import Authority

    authority = Authority.of(session)
    revoked = session.exec(select(LedgerEntry).where(LedgerEntry.event == "consent.revoked"))
    entries = [e for e in revoked if authority.entry_problem(e, ("consent.revoked",)) is None]
    intact = trusted_batches(session, {e.seq for e in entries}) if entries else set()
    out = set()
    for entry in entries:
        if entry.seq not in intact:
            subject = json.loads(entry.payload).get("subject_hash")
            if subject:
                out.add(str(subject))
    return out


def trusted(session: Session, events: Iterable[ConsentEvent]) -> list[ConsentEvent]:
    """The events that belong to a trusted batch (see `trusted_batches`)."""
    events = list(events)
    good = trusted_batches(session, {e.ledger_seq for e in events})
    return [e for e in events if e.ledger_seq in good]


def history(session: Session, subject_hash: str) -> list[ConsentEvent]:
    """Every trusted consent event of a subject, in the order they took effect."""
    rows = trusted(
        session,
        session.exec(select(ConsentEvent).where(ConsentEvent.subject_hash == subject_hash)).all(),
    )
    return sorted(rows, key=lambda e: (e.effective_at, e.recorded_at, e.id))


def evidence_refs(session: Session, events: Iterable[ConsentEvent]) -> dict[str, str]:
    """The clear-text evidence reference of each event that still has one (erasure deletes them)."""
    ids = [e.id for e in events]
    rows = (
        session.exec(select(ConsentEvidence).where(col(ConsentEvidence.event_id).in_(ids))).all()
        if ids
        else []
    )
    return {row.event_id: row.evidence_ref for row in rows}


def erase_evidence(session: Session, subject_hash: str) -> list[str]:
    """Delete the clear-text evidence of a subject's consent events; returns the event ids."""
    rows = session.exec(
        select(ConsentEvidence).where(ConsentEvidence.subject_hash == subject_hash)
    ).all()
    for row in rows:
        session.delete(row)
    session.flush()
    return sorted(row.event_id for row in rows)


def ledgered_events_hash(
    session: Session, events: list[ConsentEvent], payload: dict[str, Any]
) -> str | None:
    """The events hash a consent ledger entry should hold for `events`, under the entry's scheme.

    None when the entry predates migration 0008 (it hashed clear-text evidence) and erasure has
    since deleted some of that text: such a batch can be checked only by its count.
    """
    if payload.get("evidence") == EVIDENCE_SCHEME:
        return events_hash(events)
    clear = evidence_refs(session, events)
    if any(e.evidence_hash is not None and e.id not in clear for e in events):
        return None
    return events_hash(events, legacy_evidence=clear)


def evidence_problems(session: Session, erased_event_ids: set[str]) -> list[str]:
    """Each evidence row must hash to its event's commitment, for that event's subject; evidence
    missing from an event must have been erased by a `subject.erased` entry (`erased_event_ids`)."""
    problems = []
    events = {
        e.id: e
        for e in session.exec(
            select(ConsentEvent).where(col(ConsentEvent.evidence_hash).is_not(None))
        )
    }
    seen = set()
    for row in session.exec(select(ConsentEvidence)):
        seen.add(row.event_id)
        event = events.get(row.event_id)
        try:
            matches = (
                event is not None
                and evidence_commitment(row.salt, row.evidence_ref) == event.evidence_hash
            )
        except ValueError:  # a salt that is not hex
            matches = False
        if not matches or event is None or event.subject_hash != row.subject_hash:
            problems.append(
                f"consent evidence of event {row.event_id} does not match the hash its event recorded "
                "(altered, or written outside govern)"
            )
    for event_id in sorted(set(events) - seen - erased_event_ids):
        problems.append(
            f"consent evidence of event {event_id} is missing but no erasure removed it (deleted outside govern)"
        )
    return problems


def is_active(events: Iterable[ConsentEvent], purpose: str, at: datetime) -> bool:
    """Whether the latest event for `purpose` effective by `at` is a grant that has not expired."""
    latest = None
    for event in events:
        if event.purpose != purpose or parse_time(event.effective_at) > at:
            continue
        if latest is None or (event.effective_at, event.recorded_at) >= (
            latest.effective_at,
            latest.recorded_at,
        ):
            latest = event
    if latest is None or latest.action != "grant":
        return False
    return latest.expires_at is None or parse_time(latest.expires_at) > at


def revoke(
    workspace: Workspace, actor: Signer, subject_id: str, purpose: str | None = None
) -> list[ConsentEvent]:
    """Record revocations for a subject (one purpose, or every purpose it ever granted)."""
    subject_hash = workspace.hash_subject(subject_id)
    now = utc_now()
    with workspace.catalog.transaction() as session:
        require(session, actor, "consent.manage")
        past = history(session, subject_hash)
        purposes = [purpose] if purpose else sorted({e.purpose for e in past})
        if not purposes:
            raise BadInput(
                "this subject has no consent history; nothing to revoke (check the subject id)"
            )
        events = [
            ConsentEvent(
                id=new_id(),
                subject_hash=subject_hash,
                purpose=p,
                action="revoke",
                effective_at=now,
                recorded_at=now,
                recorded_by=actor.key_id,
                ledger_seq=0,
            )
            for p in purposes
        ]
        _store(
            session,
            actor,
            events,
            "consent.revoked",
            [subject_hash],
            {"subject_hash": subject_hash},
        )
    return events


@dataclass(frozen=True)
class Coverage:
    """For one snapshot and purpose: records whose subject has an active grant, and those without."""

    purpose: str
    records_with_grant: int
    records_without_grant: tuple[str, ...]


def _snapshot_subjects(session: Session, snapshot_id: str) -> Iterator[tuple[int, str, str]]:
    rows = session.exec(
        select(SnapshotRecord.position, SnapshotRecord.record_key, SnapshotRecord.subject_hash)
        .where(SnapshotRecord.snapshot_id == snapshot_id)
        .order_by(col(SnapshotRecord.position))
        .execution_options(yield_per=5000)
    )
    yield from rows


def active_subjects(session: Session, snapshot_id: str, purpose: str, at: datetime) -> set[str]:
    """Subject hashes in the snapshot whose consent for `purpose` is active at `at`."""
    subjects = (
        select(SnapshotRecord.subject_hash)
        .where(SnapshotRecord.snapshot_id == snapshot_id)
        .distinct()
    )
    events: dict[str, list[ConsentEvent]] = defaultdict(list)
    found = list(
        session.exec(
            select(ConsentEvent).where(
                ConsentEvent.purpose == purpose, col(ConsentEvent.subject_hash).in_(subjects)
            )
        )
    )
    good = trusted_batches(session, {e.ledger_seq for e in found})
    # Fail closed: a subject with any event in a batch that does not verify (a row added to a
    # revocation, say) has no active consent, whatever its other events say.
    tainted = {
        e.subject_hash for e in found if e.ledger_seq not in good
    } | _revocations_without_rows(session)
    for event in found:
        if event.subject_hash not in tainted:
            events[event.subject_hash].append(event)
    return {subject for subject, items in events.items() if is_active(items, purpose, at)}


def coverage(
    session: Session,
    snapshot_id: str,
    purpose: str,
    at: datetime,
    skip_positions: set[int] | None = None,
) -> Coverage:
    """Which of the snapshot's records are covered by an active grant for `purpose` at `at`."""
    active = active_subjects(session, snapshot_id, purpose, at)
    covered, missing = 0, []
    for position, key, subject_hash in _snapshot_subjects(session, snapshot_id):
        if skip_positions and position in skip_positions:
            continue
        if subject_hash in active:
            covered += 1
        else:
            missing.append(key)
    return Coverage(purpose, covered, tuple(missing))
