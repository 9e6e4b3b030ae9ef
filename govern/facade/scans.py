"""`ws.scans`: PII scans of snapshots and anonymized derivatives."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.catalog.models import Scan
    from govern.ledger.keys import PrivateIdentity
    from govern.pii.scans import AnonymizeResult


class Scans(Namespace):
    """Scan and anonymize with the workspace's [pii] configuration."""

    def scan(
        self,
        actor: PrivateIdentity,
        snapshot: str,
        *,
        progress: bool = False,
        processes: int | None = None,
    ) -> tuple[Scan, bool]:
        """Scan a snapshot's text fields for PII: (scan, created); the same config reuses a scan."""
        from govern.pii.scans import scan_snapshot

        return scan_snapshot(self._workspace, actor, snapshot, progress, processes)

    def anonymize(
        self,
        actor: PrivateIdentity,
        snapshot: str,
        operators: Path | str | None = None,
        *,
        progress: bool = False,
    ) -> AnonymizeResult:
        """Derive an anonymized snapshot (operators file, default: type tags) and scan its residue."""
        from govern.pii.scans import anonymize_snapshot

        path = Path(operators) if operators is not None else None
        return anonymize_snapshot(self._workspace, actor, snapshot, path, progress)
