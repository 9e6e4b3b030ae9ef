"""`ws.evaluation`: held-out evaluation and the empirical privacy audit of a run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govern.facade._base import Namespace

if TYPE_CHECKING:
    from govern.catalog.models import Evaluation, PrivacyAudit
    from govern.ledger.keys import PrivateIdentity


class Evaluations(Namespace):
    """Measure a run's adapter: loss on held-out data, and leakage of its canaries."""

    def evaluate(
        self,
        actor: PrivateIdentity,
        run_id: str,
        snapshot: str,
        *,
        device: str | None = None,
        batch_size: int = 32,
    ) -> tuple[Evaluation, dict[str, Any]]:
        """Loss and perplexity of the adapter and its base model on an approved held-out snapshot."""
        from govern.evaluation.heldout import evaluate_run

        return evaluate_run(
            self._workspace, actor, run_id, snapshot, device=device, batch_size=batch_size
        )

    def privacy_audit(
        self,
        actor: PrivateIdentity,
        run_id: str,
        *,
        confidence: float = 0.95,
        references: int = 1000,
        guesses: int | None = None,
        attack: str = "loss",
        device: str | None = None,
    ) -> PrivacyAudit:
        """Empirical ε lower bound of a run from its canaries, beside the accountant's ε; ledgered."""
        from govern.evaluation.privacy_audit.audit import audit_run

        return audit_run(
            self._workspace,
            actor,
            run_id,
            confidence=confidence,
            references=references,
            guesses=guesses,
            attack=attack,
            device=device,
        )
