"""`ws.approvals`: officers' signed approvals and rejections of snapshots."""

from __future__ import annotations

from typing import TYPE_CHECKING

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.catalog.models import Approval
    from govern.ledger.keys import Signer
    from govern.policy.approvals import ApprovalCheck
    from govern.policy.engine import Decision


class Approvals(Namespace):
    """Approve, reject, list, and ask whether a snapshot may be trained on."""

    def approve(
        self, actor: Signer, snapshot: str, note: str | None = None
    ) -> tuple[Approval, Decision]:
        """Sign an approval under the active pack, when its decision does not fail (officers only)."""
        from govern.policy.approvals import approve

        return approve(self._workspace, actor, snapshot, note)

    def reject(self, actor: Signer, snapshot: str, reason: str) -> tuple[Approval, Decision]:
        """Sign a rejection; it voids every earlier approval of the snapshot."""
        from govern.policy.approvals import reject

        return reject(self._workspace, actor, snapshot, reason)

    def list(self, snapshot: str | None = None) -> list[tuple[Approval, list[str]]]:
        """Approvals and rejections (of one snapshot, or all), each with why it cannot be trusted."""
        from govern.ingest.snapshots import resolve_snapshot
        from govern.policy.approvals import approval_problems, list_approvals

        with self._workspace.catalog.reading() as session:
            snapshot_id = resolve_snapshot(session, snapshot).id if snapshot else None
            return [
                (row, approval_problems(session, row))
                for row in list_approvals(session, snapshot_id)
            ]

    def status(self, snapshot: str) -> ApprovalCheck:
        """Whether a snapshot is approved for training now, checked from scratch, and why not."""
        from govern.ingest.snapshots import resolve_snapshot
        from govern.policy.activation import active_pack_in
        from govern.policy.approvals import is_approved_for_training

        workspace = self._workspace
        with workspace.catalog.reading() as session:
            pack = active_pack_in(workspace, session)
            return is_approved_for_training(
                workspace, session, resolve_snapshot(session, snapshot), pack
            )
