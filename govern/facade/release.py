"""`ws.release`: signed human reviews and the release of an adapter."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.catalog.models import Release, Review
    from govern.evaluation.release import ReleaseRule
    from govern.ledger.keys import Signer


class Releases(Namespace):
    """Review a run, check the release rules, release its adapter."""

    def review(
        self,
        actor: Signer,
        run_id: str,
        rating: int,
        notes: str,
        criteria: Mapping[str, int] | None = None,
    ) -> Review:
        """Record a signed review (rating and criteria 1..5) of a run's adapter; append-only."""
        from govern.evaluation.reviews import review_run

        return review_run(self._workspace, actor, run_id, rating, dict(criteria or {}), notes)

    def check(self, run_id: str) -> list[ReleaseRule]:
        """Every release rule of the active pack, evaluated on a run; releases nothing."""
        from govern.evaluation.release import check_release
        from govern.training.run_status import get_run

        with self._workspace.catalog.reading() as session:
            return check_release(self._workspace, session, get_run(session, run_id))

    def release(self, actor: Signer, run_id: str) -> tuple[Release, list[ReleaseRule]]:
        """Release a run's adapter when every rule holds; Refused lists each unmet rule (officers)."""
        from govern.evaluation.release import release_run

        return release_run(self._workspace, actor, run_id)
