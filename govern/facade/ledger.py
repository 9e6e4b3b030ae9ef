"""`ws.ledger`: verify the signed, hash-chained ledger, list its entries, checkpoint its head."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.catalog.models import LedgerEntry
    from govern.ledger.keys import PrivateIdentity
    from govern.ledger.verify import AuditResult


class Ledger(Namespace):
    """The ledger every step is recorded in."""

    def verify(
        self,
        checkpoint: Path | str | None = None,
        *,
        rescan: bool = False,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> AuditResult:
        """Recompute every hash and signature, check stored snapshots and catalog rows.

        With `checkpoint` (a file from `checkpoint()`), also prove the ledger still extends it;
        with `rescan`, re-run every PII scan. The result's `ok` and `problems` say what failed.
        """
        from govern.ledger.verify import load_checkpoint, verify_workspace

        statement = load_checkpoint(Path(checkpoint)) if checkpoint is not None else None
        return verify_workspace(self._workspace, statement, rescan=rescan, progress=progress)

    def log(self, event: str | None = None, limit: int | None = None) -> list[LedgerEntry]:
        """Ledger entries oldest first: all, one event type's, or the newest `limit`.

        BadInput when `event` is no event govern writes or this ledger holds.
        """
        from govern import ledger
        from govern.errors import BadInput
        from govern.ledger.verify import event_names

        with self._workspace.catalog.reading() as session:
            known = event_names(session)
            if event is not None and event not in known:
                raise BadInput(
                    f"--event {event!r} is no ledger event; known events: {', '.join(known)}"
                )
            entries = [e for e in ledger.iter_entries(session) if event is None or e.event == event]
        return entries[-limit:] if limit is not None else entries

    def checkpoint(self, actor: PrivateIdentity, out: Path | str | None = None) -> dict[str, Any]:
        """A signed statement of the ledger head; written to `out` (atomically) when given."""
        from govern.atomic import atomic_write_json
        from govern.ledger.verify import make_checkpoint

        statement = make_checkpoint(self._workspace, actor)
        if out is not None:
            atomic_write_json(Path(out), statement)
        return statement
