"""Whole-workspace verification and signed checkpoints of the ledger head.

`verify_workspace` recomputes the chain and its signatures (govern.ledger), cross-checks every
ledgered catalog row against the entry that created it, and checks each snapshot's stored bytes.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlmodel import col, func, select

from govern import ledger
from govern.canonical import canonical_bytes, hash_value
from govern.catalog.models import (
    LEDGERED_TABLES,
    ConsentEvent,
    Erasure,
    LedgerEntry,
    Scan,
    ScanFinding,
    Snapshot,
    SnapshotRecord,
    ledgered_row,
)
from govern.clock import utc_now
from govern.errors import BadInput
from govern.ingest.snapshots import snapshot_problems, stray_object_problems
from govern.ledger.keys import PrivateIdentity, key_id_for, verify_signature

if TYPE_CHECKING:
    from govern.workspace import Workspace

CHECKPOINT_FORMAT = "govern.checkpoint.v1"


@dataclass
class AuditResult:
    """The outcome of `govern audit verify`: ok only when `problems` is empty."""

    entries: int
    head_seq: int
    head_hash: str
    snapshots_checked: int
    rows_checked: int
    erased_records: int = 0
    problems: list[str] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def verify_workspace(
    workspace: Workspace,
    checkpoint: dict[str, Any] | None = None,
    check_snapshots: bool = True,
    rescan: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> AuditResult:
    """Verify the ledger, the catalog rows it vouches for, stored snapshots and an optional checkpoint;
    with `rescan`, also re-run every ledgered PII scan and compare its findings. `progress` is told
    (stage, done, total) as it goes: "ledger entries", then "catalog tables", then "snapshots"."""
    keep = {int(checkpoint["seq"])} if checkpoint else None
    tell = progress or (lambda stage, done, total: None)
    with workspace.catalog.reading(consistent=True) as session:
        from govern.ledger.authority import EVENT_SIGNERS

        total = session.exec(select(func.count()).select_from(LedgerEntry)).one()
        tell("ledger entries", 0, total)
        chain = ledger.verify_chain(
            session,
            keep_hashes_at=keep,
            event_signers=EVENT_SIGNERS,
            progress=lambda done: tell("ledger entries", done, total),
        )
        tell("ledger entries", chain.entries, total)
        problems = list(chain.problems)
        rows_checked = 0
        recorded = dict(chain.ledgered_rows)
        tell("catalog tables", 0, len(LEDGERED_TABLES))
        for index, table in enumerate(LEDGERED_TABLES, 1):
            for row in session.exec(select(table)).all():
                rows_checked += 1
                problems.extend(_row_problems(session, row, recorded))
            tell("catalog tables", index, len(LEDGERED_TABLES))
        for (table_name, seq), _ in sorted(recorded.items(), key=lambda item: item[0][1]):
            problems.append(
                f"ledger entry {seq} created a row in {table_name} that is missing from the catalog (deleted)"
            )
        snapshots = (
            session.exec(select(Snapshot).order_by(col(Snapshot.ledger_seq))).all()
            if check_snapshots
            else []
        )
        erased = session.exec(select(func.count()).select_from(Erasure)).one()
        for index, snapshot in enumerate(snapshots, 1):
            problems.extend(snapshot_problems(workspace, session, snapshot))
            tell("snapshots", index, len(snapshots))
        if check_snapshots:
            problems.extend(stray_object_problems(workspace, session))
        problems.extend(consent_problems(session))
        problems.extend(findings_problems(session))
        problems.extend(erasure_problems(session))
        problems.extend(run_event_problems(session))
    if checkpoint is not None:
        problems.extend(_checkpoint_problems(checkpoint, chain))
    if rescan:
        from govern.pii.scans import rescan_problems

        problems.extend(rescan_problems(workspace))
    return AuditResult(
        entries=chain.entries,
        head_seq=chain.head_seq,
        head_hash=chain.head_hash,
        snapshots_checked=len(snapshots),
        rows_checked=rows_checked,
        erased_records=erased,
        problems=problems,
        checkpoint=checkpoint,
    )


def _row_problems(session: Any, row: Any, recorded: dict[tuple[str, int], str]) -> list[str]:
    table = row.__tablename__
    name = f"{table} row {getattr(row, 'id', None) or getattr(row, 'key_id', '?')}"
    expected = recorded.pop((table, row.ledger_seq), None)
    if expected is None:
        return [f"{name} was not created by any ledger entry (written outside govern)"]
    content = ledgered_row(row)
    if hash_value(content) == expected:
        return []
    entry = session.get(LedgerEntry, row.ledger_seq)
    original = json.loads(entry.payload).get("row", {}) if entry else {}
    changed = sorted(key for key in content if content.get(key) != original.get(key))
    return [
        f"{name} differs from what ledger entry {row.ledger_seq} recorded (fields: {', '.join(changed)})"
    ]


def _entry(session: Any, seq: int) -> tuple[str | None, dict[str, Any]]:
    entry = session.get(LedgerEntry, seq)
    if entry is None:
        return None, {}
    try:
        payload = json.loads(entry.payload)
    except json.JSONDecodeError:
        payload = {}
    return entry.event, payload if isinstance(payload, dict) else {}


def consent_problems(session: Any) -> list[str]:
    """Consent events are ledgered in batches: each batch must match its entry's count and hash,
    and each event's erasable evidence its salted hash."""
    from govern.consent.registry import evidence_problems, ledgered_events_hash

    groups: dict[int, list[ConsentEvent]] = defaultdict(list)
    for event in session.exec(select(ConsentEvent)):
        groups[event.ledger_seq].append(event)
    problems = []
    for seq, events in sorted(groups.items()):
        kind, payload = _entry(session, seq)
        expected = ledgered_events_hash(session, events, payload)
        if kind not in ("consent.imported", "consent.revoked"):
            problems.append(
                f"{len(events)} consent event(s) name ledger entry {seq}, which recorded no consent change (written outside govern)"
            )
        elif payload.get("events") != len(events) or (
            expected is not None and payload.get("events_hash") != expected
        ):
            problems.append(
                f"consent events of ledger entry {seq} differ from what it recorded "
                f"({len(events)} rows, {payload.get('events')} recorded; added, removed or altered)"
            )
    for entry in session.exec(
        select(LedgerEntry).where(
            col(LedgerEntry.event).in_(("consent.imported", "consent.revoked"))
        )
    ):
        if entry.seq not in groups and json.loads(entry.payload).get("events"):
            problems.append(
                f"ledger entry {entry.seq} recorded consent events that are missing from the catalog (deleted)"
            )
    erased = {
        event_id
        for entry in session.exec(select(LedgerEntry).where(LedgerEntry.event == "subject.erased"))
        for event_id in json.loads(entry.payload).get("evidence_erased", [])
    }
    return problems + evidence_problems(session, erased)


def findings_problems(session: Any) -> list[str]:
    """Each scan's stored findings must still hash to the findings hash its ledger entry recorded."""
    from govern.pii.scans import findings_digest

    problems = []
    for scan in session.exec(select(Scan)):
        rows = session.exec(
            select(ScanFinding).where(ScanFinding.scan_id == scan.id).order_by(col(ScanFinding.seq))
        )
        digest = findings_digest(
            [r.position, r.field, r.start, r.end, r.entity_type, r.score, r.recognizer]
            for r in rows
        )
        if digest != scan.findings_hash:
            problems.append(
                f"scan {scan.id[:12]}: its stored findings no longer match the findings hash it recorded "
                "(findings added, removed or altered)"
            )
    return problems


def erasure_problems(session: Any) -> list[str]:
    """Each erased record must be one that a `subject.erased` entry erased, for that record's subject."""
    problems = []
    for row in session.exec(select(Erasure)):
        kind, payload = _entry(session, row.ledger_seq)
        record = session.get(SnapshotRecord, (row.snapshot_id, row.position))
        listed = row.position in payload.get("erased", {}).get(row.snapshot_id, [])
        if (
            kind != "subject.erased"
            or not listed
            or payload.get("subject_hash") != row.subject_hash
            or record is None
            or record.subject_hash != row.subject_hash
        ):
            problems.append(
                f"erasure of record {row.position} of snapshot {row.snapshot_id[:12]} was not recorded by the "
                f"ledger entry it names ({row.ledger_seq}); the record is missing, not erased on request"
            )
    return problems


def run_event_problems(session: Any) -> list[str]:
    """Each run event row must be the index of the `run.<kind>` entry it names, and each such entry have its row."""
    from govern.catalog.models import RunEvent
    from govern.training.spending import LIFECYCLE_EVENTS

    problems = []
    indexed = set()
    for row in session.exec(select(RunEvent)):
        kind, payload = _entry(session, row.ledger_seq)
        indexed.add(row.ledger_seq)
        if (
            kind != f"run.{row.kind}"
            or payload.get("run_id") != row.run_id
            or payload.get("step") != row.step
        ):
            problems.append(
                f"run event {row.id[:12]} ({row.kind} of run {row.run_id}) was not recorded by the ledger "
                f"entry it names ({row.ledger_seq}); written or altered outside govern"
            )
    for entry in session.exec(
        select(LedgerEntry).where(col(LedgerEntry.event).in_(LIFECYCLE_EVENTS))
    ):
        if entry.seq not in indexed:
            problems.append(
                f"ledger entry {entry.seq} ({entry.event}) has no run event row in the catalog (deleted)"
            )
    return problems


def event_names(session: Any) -> list[str]:
    """The event names `audit log --event` accepts: every event govern writes (the signers table)
    and any other this ledger holds."""
    from govern.ledger.authority import EVENT_SIGNERS

    held = session.exec(select(LedgerEntry.event).distinct()).all()
    return sorted(set(EVENT_SIGNERS) | set(held))


def make_checkpoint(workspace: Workspace, actor: PrivateIdentity) -> dict[str, Any]:
    """A signed statement of the current ledger head, for an auditor to keep elsewhere."""
    from govern.ledger.authority import require

    with workspace.catalog.reading() as session:
        require(session, actor, "audit.checkpoint")
        top = ledger.head(session)
    if top is None:
        raise BadInput("the ledger is empty; nothing to checkpoint")
    statement = {
        "format": CHECKPOINT_FORMAT,
        "seq": top.seq,
        "entry_hash": top.entry_hash,
        "created_at": utc_now(),
        "signer_key_id": actor.key_id,
        "signer_public_key": actor.public_key_hex,
    }
    return {**statement, "signature": actor.sign(canonical_bytes(statement))}


def load_checkpoint(path: Path) -> dict[str, Any]:
    """Read a checkpoint file, checking its shape (its signature is checked by verify)."""
    try:
        data: Any = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BadInput(f"{path}: no such checkpoint file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise BadInput(f"{path}: not a checkpoint (invalid JSON: {error})") from None
    required = (
        "format",
        "seq",
        "entry_hash",
        "created_at",
        "signer_key_id",
        "signer_public_key",
        "signature",
    )
    missing = (
        [key for key in required if key not in data] if isinstance(data, dict) else list(required)
    )
    if missing or data.get("format") != CHECKPOINT_FORMAT:
        raise BadInput(
            f"{path}: not a {CHECKPOINT_FORMAT} file (missing: {', '.join(missing) or 'format'})"
        )
    if not isinstance(data["seq"], int) or isinstance(data["seq"], bool) or data["seq"] < 1:
        raise BadInput(f"{path}: field seq must be a positive integer, found {data['seq']!r}")
    for field_name in ("entry_hash", "signer_public_key", "signature"):
        value = data[field_name]
        if (
            not isinstance(value, str)
            or not value
            or any(c not in "0123456789abcdef" for c in value)
        ):
            raise BadInput(f"{path}: field {field_name} must be lowercase hex")
    return cast(dict[str, Any], data)


def _checkpoint_problems(checkpoint: dict[str, Any], chain: ledger.ChainReport) -> list[str]:
    statement = {key: value for key, value in checkpoint.items() if key != "signature"}
    public_key = str(checkpoint["signer_public_key"])
    if key_id_for(public_key) != checkpoint["signer_key_id"] or not verify_signature(
        public_key, canonical_bytes(statement), str(checkpoint["signature"])
    ):
        return ["checkpoint: its signature does not verify (the file was altered or forged)"]
    registered = chain.keys.get(checkpoint["signer_key_id"])
    if registered is None or registered.get("public_key") != public_key:
        return [
            f"checkpoint: signed by {checkpoint['signer_key_id']}, which the ledger never registered"
        ]
    seq = int(checkpoint["seq"])
    if seq > chain.head_seq:
        return [
            f"checkpoint: it names entry {seq}, but the ledger ends at {chain.head_seq} (entries were removed)"
        ]
    if chain.kept_hashes.get(seq) != checkpoint["entry_hash"]:
        return [
            f"checkpoint: ledger entry {seq} no longer has the hash the checkpoint recorded (history was rewritten)"
        ]
    return []
