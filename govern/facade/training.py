"""`ws.training`: gated DP-LoRA runs and their records."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.ledger.keys import PrivateIdentity


class Training(Namespace):
    """Train on approved snapshots through the gate; list and show runs."""

    def train(
        self,
        actor: PrivateIdentity,
        recipe: Path | str,
        snapshots: Sequence[str],
        *,
        init_run: str | None = None,
        progress: bool = False,
        device: str | None = None,
    ) -> dict[str, Any]:
        """Train a LoRA adapter with DP on approved snapshots; the gate refuses with every failed check.

        `init_run` continues from a finished run's adapter. Returns the run's result (id, steps,
        ε, δ, adapter folder).
        """
        from govern.training.runs import start_run

        return start_run(
            self._workspace,
            actor,
            Path(recipe),
            list(snapshots),
            init_run,
            progress=progress,
            device=device,
        )

    def retrain_shards(
        self,
        actor: PrivateIdentity,
        family: str,
        snapshots: Sequence[str] = (),
        *,
        device: str | None = None,
    ) -> dict[str, Any]:
        """Retrain only the shards of a sharded run (`train.shards = k`) whose records changed after
        an erasure; the other shards' runs are reused. Returns the retrained and reused runs."""
        from govern.training.sharded_runs import retrain_shards

        return retrain_shards(
            self._workspace, actor, family, list(snapshots) or None, device=device
        )

    def resume(
        self,
        actor: PrivateIdentity,
        run_id: str,
        *,
        progress: bool = False,
        device: str | None = None,
    ) -> dict[str, Any]:
        """Resume a crashed or interrupted run from its last checkpoint."""
        from govern.training.runs import resume_run

        return resume_run(self._workspace, actor, run_id, progress=progress, device=device)

    def runs(self) -> list[dict[str, Any]]:
        """Every run's plan and latest state (status, ε spent), oldest first."""
        from govern.training.run_status import list_runs, run_status

        with self._workspace.catalog.reading() as session:
            return [run_status(session, run) for run in list_runs(session)]

    def run(self, run_id: str) -> dict[str, Any]:
        """One run: data, model and recipe hashes, DP parameters, ε spent, events."""
        from govern.training.run_status import get_run, run_status

        with self._workspace.catalog.reading() as session:
            return run_status(session, get_run(session, run_id))

    def card(
        self, actor: PrivateIdentity, run_id: str, out: Path | str | None = None
    ) -> dict[str, Any]:
        """Render a completed run's model card with its ledgered suite results; ledgered."""
        from govern.training.card_render import render_run_card

        return render_run_card(self._workspace, actor, run_id, Path(out) if out else None)
