"""Opacus's RDP and PRV accountants, with each (q, σ)'s RDP orders computed once.

Most of a PRV evaluation is RDP: Opacus sizes the PRV grid (`compute_safe_domain_size`) from
two RDP accountants over the same (σ, q), one for the run's steps and one for a single step,
and the noise search then asks RDP and PRV about the same σ again. RDP of T steps is T times
the RDP of one step (`compute_rdp` multiplies the per-order vector by T), so the per-order
vector of one step is computed once per (q, σ) and scaled here exactly as Opacus scales it:
the ε values are bit-for-bit Opacus's (tests/training/test_accountants.py compares them).

The PRV accountant also refuses, before allocating, a grid beyond MAX_PRV_POINTS.
"""

from __future__ import annotations

import functools
from typing import Any

from govern.errors import BadInput
from govern.training.limits import MAX_PRV_POINTS, PRV_BYTES_PER_POINT

HistoryEntry = tuple[float, float, int]


class AccountingTooCostly(BadInput):
    """The PRV accountant would need a grid larger than MAX_PRV_POINTS for this history."""

    def __init__(self, points: int, history: list[HistoryEntry]) -> None:
        self.points, self.history = points, history
        super().__init__(
            f"the PRV accountant would need {points:,} grid points (about {points * PRV_BYTES_PER_POINT / 2**30:.3g} GiB) "
            f"for history {history}; the ceiling is {MAX_PRV_POINTS:,}"
        )


@functools.lru_cache(maxsize=1024)
def one_step_rdp(sample_rate: float, noise_multiplier: float) -> Any:
    """RDP of one step at Opacus's default orders: `compute_rdp(..., steps=1)`, read-only."""
    from opacus.accountants import RDPAccountant
    from opacus.accountants.analysis.rdp import compute_rdp

    vector = compute_rdp(
        q=sample_rate,
        noise_multiplier=noise_multiplier,
        steps=1,
        orders=RDPAccountant.DEFAULT_ALPHAS,
    )
    vector.setflags(write=False)
    return vector


@functools.cache
def rdp_class() -> type:
    from opacus.accountants import RDPAccountant
    from opacus.accountants.analysis.rdp import get_privacy_spent

    class SharedOrdersRDPAccountant(RDPAccountant):  # type: ignore[misc]
        """Opacus's RDP accountant over the cached one-step vectors (its default orders only)."""

        def get_privacy_spent(self, *, delta: float, alphas: Any = None) -> tuple[float, float]:
            if alphas is not None or not self.history:
                return super().get_privacy_spent(delta=delta, alphas=alphas)  # type: ignore[no-any-return]
            rdp = sum(  # as Opacus: sum([compute_rdp(...) * steps for each entry])
                [one_step_rdp(rate, sigma) * steps for sigma, rate, steps in self.history]
            )
            eps, best_alpha = get_privacy_spent(orders=self.DEFAULT_ALPHAS, rdp=rdp, delta=delta)
            return float(eps), float(best_alpha)

    return SharedOrdersRDPAccountant


def _safe_domain_size(history: list[HistoryEntry], eps_error: float, delta_error: float) -> float:
    """Opacus's `compute_safe_domain_size` (remark 5.6 of Gopi et al.), over the shared RDP vectors."""
    total = sum(steps for _, _, steps in history)
    rdp = rdp_class()
    whole = rdp()
    whole.history = list(history)
    bound = whole.get_epsilon(delta_error / 4)
    for sigma, rate, _ in history:
        single = rdp()
        single.history = [(sigma, rate, 1)]
        bound = max(bound, single.get_epsilon(delta=delta_error / (8 * total)))
    return float(max(bound, eps_error) + 3)


@functools.cache
def prv_class() -> type:
    import numpy as np
    from opacus.accountants import PRVAccountant
    from opacus.accountants.analysis.prv import Domain

    class BoundedPRVAccountant(PRVAccountant):  # type: ignore[misc]
        """Opacus's PRV accountant: grid sized from the shared RDP vectors, refused beyond MAX_PRV_POINTS."""

        def _get_domain(
            self,
            prvs: list[Any],
            num_self_compositions: list[int],
            eps_error: float,
            delta_error: float,
        ) -> Any:
            history = [
                (prv.noise_multiplier, prv.sample_rate, steps)
                for prv, steps in zip(prvs, num_self_compositions, strict=True)
            ]
            size = _safe_domain_size(history, eps_error, delta_error)
            mesh = eps_error / np.sqrt(sum(num_self_compositions) * np.log(12 / delta_error) / 2)
            domain = Domain.create_aligned(-size, size, mesh)
            if domain.size > MAX_PRV_POINTS:
                raise AccountingTooCostly(int(domain.size), list(self.history))
            return domain

    return BoundedPRVAccountant
