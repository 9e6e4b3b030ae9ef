"""govern's accountants are Opacus's to the bit, and the noise search computes each σ's RDP once."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("opacus")

from opacus.accountants import PRVAccountant, RDPAccountant
from opacus.accountants.analysis import rdp as rdp_analysis

from govern.training.accountants import prv_class, rdp_class
from govern.training.accounting import (
    CALIBRATION_TOLERANCE,
    clear_cache,
    epsilon_of_history,
    noise_multiplier_for,
)

HISTORIES = [
    [(1.25, 0.2, 15)],
    [(0.9, 0.1, 3)],
    [(1.1, 0.05, 40), (0.8, 0.1, 10), (1.1, 0.05, 5)],
    [(4.0, 0.01, 300)],
]


def _opacus(cls: type, history: list[tuple[float, float, int]], delta: float) -> float:
    accountant = cls()
    accountant.history = list(history)
    return float(accountant.get_epsilon(delta=delta))


@pytest.mark.parametrize("history", HISTORIES)
def test_epsilon_is_opacus_epsilon_bit_for_bit(history: list[tuple[float, float, int]]) -> None:
    clear_cache()
    for delta in (1e-5, 6e-4):
        assert _opacus(rdp_class(), history, delta) == _opacus(RDPAccountant, history, delta)
        assert _opacus(prv_class(), history, delta) == _opacus(PRVAccountant, history, delta)
        assert epsilon_of_history(history, delta, "prv") == _opacus(PRVAccountant, history, delta)


@pytest.mark.parametrize("history", HISTORIES)
def test_the_prv_grid_is_opacus_grid(history: list[tuple[float, float, int]]) -> None:
    from opacus.accountants.analysis.prv import PoissonSubsampledGaussianPRV

    prvs = [PoissonSubsampledGaussianPRV(rate, sigma) for sigma, rate, _ in history]
    kwargs = {
        "prvs": prvs,
        "num_self_compositions": [steps for _, _, steps in history],
        "eps_error": 0.01,
        "delta_error": 1e-8,
    }
    ours, theirs = prv_class()(), PRVAccountant()
    ours.history = theirs.history = list(history)
    mine, opacus = ours._get_domain(**kwargs), theirs._get_domain(**kwargs)
    assert (mine.t_min, mine.t_max, mine.size) == (opacus.t_min, opacus.t_max, opacus.size)


def test_the_noise_search_computes_each_sigmas_rdp_orders_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A PRV ε used to compute RDP twice (Opacus's grid sizing), and again for the RDP search."""
    sigmas: list[float] = []
    original = rdp_analysis.compute_rdp

    def counted(**kwargs: Any) -> Any:
        sigmas.append(kwargs["noise_multiplier"])
        return original(**kwargs)

    monkeypatch.setattr(rdp_analysis, "compute_rdp", counted)
    clear_cache()
    sigma = noise_multiplier_for(4.0, 1e-5, 0.2, 15, "prv")
    clear_cache()
    assert len(sigmas) == len(set(sigmas)), sigmas
    assert len(sigmas) <= 6, sigmas  # the RDP search's σs and two new ones for PRV
    epsilon = _opacus(PRVAccountant, [(sigma, 0.2, 15)], 1e-5)
    assert 4.0 - CALIBRATION_TOLERANCE <= epsilon <= 4.0


def test_the_accountant_runs_numpy_blas_on_one_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    """numpy's OpenBLAS threads spun after each PRV evaluation, a tenth of a small DP run's CPU."""
    import numpy  # noqa: F401  (loads OpenBLAS)

    from govern import blas_threads
    from govern.training import accountants, accounting

    if not blas_threads.thread_counts():
        pytest.skip("no OpenBLAS with a thread-count API in this process")
    seen: list[list[int]] = []
    prv = accountants.prv_class()
    original = prv.get_epsilon

    def watched(self: object, *args: object, **kwargs: object) -> object:
        seen.append(blas_threads.thread_counts())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(prv, "get_epsilon", watched)
    blas_threads.set_threads(2)
    try:
        accounting.clear_cache()
        accounting.epsilon_of_history([(1.1, 0.1, 10)], 1e-5, "prv")
        assert seen and set(seen[0]) == {1}
        assert set(blas_threads.thread_counts()) == {2}  # the caller's count, restored
    finally:
        accounting.clear_cache()
