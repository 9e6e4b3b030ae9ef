"""What every report kind shares: the registry of kinds, the report header and small readers.

A report kind is a small object with two jobs: gather the facts of one subject from the catalog
(`build`), and say which later ledger entries contradict a report it built (`contradictions`).
A new kind is a new module that calls `register`, not an edit of a switch statement.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from govern import __version__, ledger
from govern.catalog.models import ConsentEvent, LedgerEntry, SnapshotRecord
from govern.clock import utc_now

REPORT_FORMAT = "govern.report.v1"
FORMATS = ("html", "md", "json")
EXTENSIONS = {"html": "html", "md": "md", "json": "json"}
RENDERED_EVENT = "report.rendered"
MAX_LISTED = 50  # longest list of record ids or subjects a report prints in full


@dataclass(frozen=True)
class ReportKind:
    """One kind of report: how to gather its facts, and how to tell that later entries contradict it."""

    name: str
    title: str
    contradictions: Callable[[Session, dict[str, Any], list[LedgerEntry]], list[str]]


KINDS: dict[str, ReportKind] = {}


def register(kind: ReportKind) -> ReportKind:
    """Add a report kind to the registry (by name)."""
    KINDS[kind.name] = kind
    return kind


def header(
    session: Session, workspace: Any, kind: str, subject: dict[str, Any], covers: dict[str, Any]
) -> dict[str, Any]:
    """The facts every report opens with, including the ledger head they were read at."""
    top = ledger.head(session)
    return {
        "format": REPORT_FORMAT,
        "kind": kind,
        "title": KINDS[kind].title if kind in KINDS else kind,
        "subject": subject,
        "covers": covers,
        "generated_at": utc_now(),
        "govern_version": __version__,
        "workspace": Path(workspace.root).name,
        "ledger_head": {
            "seq": top.seq if top else 0,
            "hash": top.entry_hash if top else ledger.GENESIS_HASH,
        },
    }


def loads(text: str | None, default: Any = None) -> Any:
    """Parse catalog JSON, tolerating None."""
    if text is None:
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return default


def short(value: str | None, length: int = 12) -> str:
    return (value or "")[:length]


def payload_of(entry: LedgerEntry) -> dict[str, Any]:
    data = loads(entry.payload, {})
    return data if isinstance(data, dict) else {}


def refs_of(entry: LedgerEntry) -> list[str]:
    data = loads(entry.refs, [])
    return [str(x) for x in data] if isinstance(data, list) else []


def entries_after(session: Session, seq: int) -> list[LedgerEntry]:
    """Ledger entries after `seq`, other than the rendering of reports."""
    rows = session.exec(
        select(LedgerEntry).where(col(LedgerEntry.seq) > seq).order_by(col(LedgerEntry.seq))
    ).all()
    return [e for e in rows if e.event != RENDERED_EVENT]


def revocations_touching(
    session: Session, snapshot_ids: Iterable[str], after_seq: int
) -> list[str]:
    """Consent revocations ledgered after `after_seq` for subjects whose records are in these snapshots."""
    ids = list(snapshot_ids)
    if not ids:
        return []
    subjects = (
        select(SnapshotRecord.subject_hash)
        .where(col(SnapshotRecord.snapshot_id).in_(ids))
        .distinct()
    )
    rows = session.exec(
        select(ConsentEvent)
        .where(
            col(ConsentEvent.ledger_seq) > after_seq,
            ConsentEvent.action == "revoke",
            col(ConsentEvent.subject_hash).in_(subjects),
        )
        .order_by(col(ConsentEvent.ledger_seq))
    ).all()
    found = []
    for event in rows:
        snapshots = session.exec(
            select(SnapshotRecord.snapshot_id)
            .where(
                SnapshotRecord.subject_hash == event.subject_hash,
                col(SnapshotRecord.snapshot_id).in_(ids),
            )
            .distinct()
        ).all()
        found.append(
            f"ledger entry {event.ledger_seq}: consent for {event.purpose!r} revoked for subject "
            f"{short(event.subject_hash, 16)}, whose records are in snapshot(s) {', '.join(short(s) for s in snapshots)}"
        )
    return found


def entries_on(
    later: list[LedgerEntry], ids: Iterable[str], events: Iterable[str]
) -> list[LedgerEntry]:
    """Later entries of the given event types whose refs name any of `ids`."""
    wanted, names = set(ids), set(events)
    return [e for e in later if e.event in names and wanted & set(refs_of(e))]
