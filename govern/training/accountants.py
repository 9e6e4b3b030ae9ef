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
import math
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


# (q, σ) whose orders came from rdp_cache.py this process, and those computed here in full
_STORED: dict[tuple[float, float], Any] = {}
_COMPUTED: set[tuple[float, float]] = set()


def _orders(sample_rate: float, noise_multiplier: float) -> tuple[Any, bool]:
    """One step's orders for (q, σ) and whether they are stored ones (to be checked where used)."""
    from opacus.accountants import RDPAccountant

    from govern.training import rdp_cache

    key = (sample_rate, noise_multiplier)
    if key not in _COMPUTED:
        if key not in _STORED:
            _STORED[key] = rdp_cache.stored(
                sample_rate, noise_multiplier, len(RDPAccountant.DEFAULT_ALPHAS)
            )
        if _STORED[key] is not None:
            return _STORED[key], True
    _COMPUTED.add(key)
    return one_step_rdp(sample_rate, noise_multiplier), False


def _one_order(sample_rate: float, noise_multiplier: float, order: float) -> float:
    """The one-step RDP at one order, computed as compute_rdp computes each of its orders."""
    from opacus.accountants.analysis.rdp import compute_rdp

    return float(
        compute_rdp(q=sample_rate, noise_multiplier=noise_multiplier, steps=1, orders=[order])[0]
    )


def keep_orders(sample_rate: float, noise_multiplier: float) -> None:
    """Store (q, σ)'s orders for later processes if this one computed them (a planned σ's)."""
    from govern.training import rdp_cache

    if (sample_rate, noise_multiplier) in _COMPUTED:
        rdp_cache.remember(
            sample_rate, noise_multiplier, one_step_rdp(sample_rate, noise_multiplier)
        )


def forget_orders() -> None:
    """Forget which orders were read or computed in this process (with the in-memory caches)."""
    _STORED.clear()
    _COMPUTED.clear()


@functools.cache
def rdp_class() -> type:
    from opacus.accountants import RDPAccountant
    from opacus.accountants.analysis.rdp import get_privacy_spent

    class SharedOrdersRDPAccountant(RDPAccountant):  # type: ignore[misc]
        """Opacus's RDP accountant over the cached one-step vectors (its default orders only)."""

        def get_privacy_spent(self, *, delta: float, alphas: Any = None) -> tuple[float, float]:
            if alphas is not None or not self.history:
                return super().get_privacy_spent(delta=delta, alphas=alphas)  # type: ignore[no-any-return]
            found = [_orders(rate, sigma) for sigma, rate, _ in self.history]
            rdp = sum(  # as Opacus: sum([compute_rdp(...) * steps for each entry])
                [
                    vector * steps
                    for (vector, _), (_, _, steps) in zip(found, self.history, strict=True)
                ]
            )
            eps, best_alpha = get_privacy_spent(orders=self.DEFAULT_ALPHAS, rdp=rdp, delta=delta)
            if math.isfinite(eps) and any(from_store for _, from_store in found):
                # rdp_cache.py: the order that decided must be the true one, else compute in full
                index = self.DEFAULT_ALPHAS.index(best_alpha)
                wrong = [
                    (rate, sigma)
                    for (vector, from_store), (sigma, rate, _) in zip(
                        found, self.history, strict=True
                    )
                    if from_store
                    and float(vector[index]) != _one_order(rate, sigma, self.DEFAULT_ALPHAS[index])
                ]
                if wrong:
                    _COMPUTED.update(wrong)
                    return self.get_privacy_spent(delta=delta)
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
