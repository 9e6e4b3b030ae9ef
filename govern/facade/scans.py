"""`ws.scans`: PII scans of snapshots and anonymized derivatives."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.catalog.models import Scan
    from govern.ledger.keys import PrivateIdentity
    from govern.pii.ray_engine import RayOptions
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
        ray: RayOptions | None = None,
    ) -> tuple[Scan, bool]:
        """Scan a snapshot's text fields for PII: (scan, created); the same config reuses a scan.
        `ray=RayOptions(...)` scans on a Ray cluster, with the same findings."""
        from govern.pii.scans import scan_snapshot

        return scan_snapshot(self._workspace, actor, snapshot, progress, processes, ray)

    def anonymize(
        self,
        actor: PrivateIdentity,
        snapshot: str,
        operators: Path | str | None = None,
        *,
        progress: bool = False,
        ray: RayOptions | None = None,
    ) -> AnonymizeResult:
        """Derive an anonymized snapshot (operators file, default: type tags) and scan its residue;
        `ray=RayOptions(...)` runs the scans and the rewriting on a Ray cluster."""
        from govern.pii.scans import anonymize_snapshot

        path = Path(operators) if operators is not None else None
        return anonymize_snapshot(self._workspace, actor, snapshot, path, progress, ray)
