"""`ws.consent`: the append-only consent registry and data-subject requests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.catalog.models import ConsentEvent
    from govern.consent.erasure import Impact
    from govern.ingest.datasets import AddResult
    from govern.ledger.keys import PrivateIdentity, Signer


@dataclass(frozen=True)
class ConsentHistory:
    """A subject's consent events, their evidence (None once erased) and the state per purpose now."""

    events: list[ConsentEvent]
    evidence: dict[str, str]
    active_now: dict[str, bool]

    def evidence_of(self, event: ConsentEvent) -> str | None:
        """The event's evidence reference, "(erased)" when erasure deleted it, None if it had none."""
        return self.evidence.get(event.id, "(erased)" if event.evidence_hash else None)


class Consent(Namespace):
    """Import, revoke, inspect and erase consent."""

    def import_file(self, actor: PrivateIdentity, path: Path | str) -> tuple[int, int]:
        """Import consent events from CSV or JSONL, whole or not at all: (events, ledger seq)."""
        from govern.consent.registry import import_consent

        return import_consent(self._workspace, actor, Path(path))

    def revoke(self, actor: Signer, subject: str, purpose: str | None = None) -> list[ConsentEvent]:
        """Revoke a subject's consent (one purpose, or every purpose it granted)."""
        from govern.consent.registry import revoke

        return revoke(self._workspace, actor, subject, purpose)

    def show(self, subject: str) -> ConsentHistory:
        """A subject's full consent history and whether each purpose is active now."""
        from govern import clock
        from govern.consent.registry import evidence_refs, history, is_active

        with self._workspace.catalog.reading() as session:
            events = history(session, self._workspace.hash_subject(subject))
            evidence = evidence_refs(session, events)
        now = clock.now()
        active = {p: is_active(events, p, now) for p in sorted({e.purpose for e in events})}
        return ConsentHistory(events=events, evidence=evidence, active_now=active)

    def impact(self, subject: str) -> Impact:
        """The snapshots, approvals and training runs that include a subject."""
        from govern.consent.erasure import impact

        with self._workspace.catalog.reading() as session:
            return impact(session, self._workspace.hash_subject(subject))

    def erase(self, actor: Signer, subject: str) -> Impact:
        """Erase a subject's raw records from every stored snapshot (hashes stay, so the ledger verifies)."""
        from govern.consent.erasure import erase_subject

        return erase_subject(self._workspace, actor, subject)

    def filter(
        self, actor: PrivateIdentity, snapshot: str, purpose: str | None = None
    ) -> tuple[AddResult, int]:
        """Derive a snapshot without the records whose subject has no active grant: (result, excluded)."""
        from govern.ingest.derive import filter_by_consent

        return filter_by_consent(self._workspace, actor, snapshot, purpose)
