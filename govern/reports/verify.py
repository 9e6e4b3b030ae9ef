"""Verify a report file against the ledger: is it the file that was ledgered, does the ledger
head it was made from still stand, and has anything since contradicted it?

Integrity problems (the file's hash is not ledgered, its head is gone or rewritten, the chain
does not verify) make a report worthless: exit 3. Contradictions (a later revocation, rejection,
erasure or decision touching what it covers) mean it was true when made but no longer stands.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from govern import ledger
from govern.canonical import file_sha256
from govern.catalog.models import LedgerEntry
from govern.errors import BadInput, Refused
from govern.reports._base import KINDS, RENDERED_EVENT, entries_after, payload_of
from govern.reports.publish import MARKER

_MARKER = re.compile(MARKER + r" id=([0-9a-f]{32}) kind=([a-z]+) head=(\d+):([0-9a-f]{64})")


class ReportContradicted(Refused):
    """The report is intact, but ledger entries made after it contradict what it states."""


@dataclass
class ReportCheck:
    """What verifying a report found: intact (no problems), and whether it still stands."""

    path: str
    sha256: str
    report_id: str | None = None
    kind: str | None = None
    subject: dict[str, Any] | None = None
    ledger_seq: int | None = None
    head_seq: int | None = None
    head_hash: str | None = None
    later_entries: int = 0
    signature: str | None = None  # "verified", "absent", or what is wrong with FILE.sig
    problems: list[str] = field(default_factory=list)
    contradictions: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    @property
    def stands(self) -> bool:
        return self.intact and not self.contradictions

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "intact": self.intact, "stands": self.stands}


def embedded_marker(path: Path) -> dict[str, Any] | None:
    """The report id, kind and ledger head written into a report file, if it carries them."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    found = _MARKER.search(text)
    if found is None:
        return None
    return {
        "report_id": found.group(1),
        "kind": found.group(2),
        "head_seq": int(found.group(3)),
        "head_hash": found.group(4),
    }


def _check_signature(session: Any, check: ReportCheck, path: Path, entry: LedgerEntry) -> None:
    """Check FILE.sig, if present, with the public key the ledger registered for the renderer."""
    from govern.ledger.authority import Authority
    from govern.reports.signature import signature_path, verify_detached

    sig = signature_path(path)
    if not sig.is_file():
        check.signature = "absent"
        return
    renderer = Authority.of(session).identities.get(entry.actor_key_id)
    if renderer is None:
        check.signature = "the renderer's key is not registered"
        check.problems.append(f"{sig.name}: ledger entry {entry.seq}'s key is not registered")
        return
    try:
        found = verify_detached(path, renderer.public_key, sig)
    except BadInput as error:
        found_problems = [str(error)]
    else:
        found_problems = found.problems
    check.signature = "verified" if not found_problems else "; ".join(found_problems)
    check.problems += found_problems


def verify_report(workspace: Any, path: Path) -> ReportCheck:
    """Check a report file against the ledger from scratch (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: no such report file")
    check = ReportCheck(path=str(path), sha256=file_sha256(path))
    embedded = embedded_marker(path)
    with workspace.catalog.reading() as session:
        rendered = session.exec(
            select(LedgerEntry)
            .where(LedgerEntry.event == RENDERED_EVENT)
            .order_by(col(LedgerEntry.seq))
        ).all()
        entry = next((e for e in rendered if payload_of(e).get("sha256") == check.sha256), None)
        if entry is None:
            named = next(
                (
                    e
                    for e in rendered
                    if embedded and payload_of(e).get("report_id") == embedded["report_id"]
                ),
                None,
            )
            if named is not None:
                check.report_id, check.ledger_seq = embedded["report_id"], named.seq  # type: ignore[index]
                check.problems.append(
                    f"the file was altered: its SHA-256 is {check.sha256}, but ledger entry {named.seq} recorded "
                    f"{payload_of(named).get('sha256')} for report {check.report_id}"
                )
            else:
                check.problems.append(
                    f"no {RENDERED_EVENT} ledger entry has this file's SHA-256 ({check.sha256}): "
                    "the file was altered, or it was never rendered by govern in this workspace"
                )
            return check
        from govern.ledger.authority import Authority

        untrusted = Authority.of(session).entry_problem(entry, (RENDERED_EVENT,))
        if untrusted is not None:
            check.problems.append(f"{untrusted}: it does not vouch for this report")
        payload = payload_of(entry)
        _check_signature(session, check, path, entry)
        head = payload.get("ledger_head", {})
        check.report_id, check.kind, check.subject = (
            payload.get("report_id"),
            payload.get("kind"),
            payload.get("subject"),
        )
        check.ledger_seq, check.head_seq, check.head_hash = (
            entry.seq,
            int(head.get("seq", 0)),
            head.get("hash"),
        )
        if embedded is not None and (embedded["head_seq"], embedded["head_hash"]) != (
            check.head_seq,
            check.head_hash,
        ):
            check.problems.append(
                "the ledger head written in the file differs from the one its ledger entry recorded"
            )
        if check.head_seq:
            at_head = session.get(LedgerEntry, check.head_seq)
            if at_head is None:
                check.problems.append(
                    f"the report was made at ledger entry {check.head_seq}, which is no longer in the ledger"
                )
            elif at_head.entry_hash != check.head_hash:
                check.problems.append(
                    f"ledger entry {check.head_seq} no longer has the hash the report was made at "
                    f"({str(check.head_hash)[:16]}…, now {at_head.entry_hash[:16]}…): history was rewritten"
                )
        if check.head_seq >= entry.seq:
            check.problems.append(
                f"ledger entry {entry.seq} records a head ({check.head_seq}) that is not before it"
            )
        chain = ledger.verify_chain(session)
        check.problems += [f"ledger: {p}" for p in chain.problems]
        later = entries_after(session, check.head_seq)
        check.later_entries = len(later)
        kind = KINDS.get(str(check.kind))
        if kind is not None:
            check.contradictions = kind.contradictions(
                session, {**payload, "ledger_head": head}, later
            )
    return check
