"""`ws.reports`: datasheets, model cards and audit reports, ledgered by their SHA-256."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.ledger.keys import PrivateIdentity
    from govern.reports.publish import ReportFile
    from govern.reports.verify import ReportCheck


class Reports(Namespace):
    """Render reports and verify them against the ledger."""

    def render(
        self,
        actor: PrivateIdentity,
        kind: str,
        subject: str | None = None,
        *,
        fmt: str = "html",
        out: Path | str | None = None,
        since: str | None = None,
        until: str | None = None,
    ) -> ReportFile:
        """Write a report and ledger it: kind "dataset" (subject: a snapshot), "run" (a run id) or
        "audit" (the period `since`..`until`); fmt "html", "md" or "json" (default file under
        audit_reports/)."""
        from govern.reports import make_report

        path = Path(out) if out is not None else None
        if kind == "audit":
            return make_report(
                self._workspace, actor, kind, subject, fmt, path, since=since, until=until
            )
        return make_report(self._workspace, actor, kind, subject, fmt, path)

    def verify(self, path: Path | str) -> ReportCheck:
        """Check a report file against the ledger, and list later entries that contradict it."""
        from govern.reports import verify_report

        return verify_report(self._workspace, Path(path))
