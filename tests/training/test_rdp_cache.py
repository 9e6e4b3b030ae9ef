"""Stored RDP orders (training/rdp_cache.py): Opacus's ε to the bit when honest, never a smaller
bound when edited, and the cached-σ plan no longer sums every fractional order."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

pytest.importorskip("opacus")

from govern.training import accounting

Q, STEPS, DELTA = 0.2, 15, 1e-5


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVERN_CACHE_DIR", str(tmp_path))
    accounting.clear_cache()
    yield tmp_path
    accounting.clear_cache()


def _fresh(history: list[tuple[float, float, int]], accountant: str) -> float:
    """ε with no cache folder at all: Opacus's own orders, every one computed."""
    import os

    folder = os.environ["GOVERN_CACHE_DIR"]
    os.environ["GOVERN_CACHE_DIR"] = ""  # empty: no cache (noise_cache.cache_path)
    try:
        accounting.clear_cache()
        return accounting.epsilon_of_history(history, DELTA, accountant)
    finally:
        os.environ["GOVERN_CACHE_DIR"] = folder
        accounting.clear_cache()


def _planned(cache_dir: Path) -> tuple[float, Path]:
    sigma = accounting.noise_multiplier_for(4.0, DELTA, Q, STEPS, "prv")
    stored = cache_dir / "rdp-orders.json"
    assert stored.is_file()
    return sigma, stored


def _edit(path: Path, change: object) -> None:
    entries = json.loads(path.read_text())
    (key,) = entries
    entries[key] = [change(i, v) for i, v in enumerate(entries[key])]  # type: ignore[operator]
    path.write_text(json.dumps(entries))


def test_honest_stored_orders_give_opacus_epsilon_and_skip_the_fractional_orders(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sigma, _ = _planned(cache_dir)
    history = [(sigma, Q, STEPS)]
    truth = {name: _fresh(history, name) for name in ("prv", "rdp")}
    from opacus.accountants.analysis import rdp as rdp_analysis

    calls: list[float] = []
    original = rdp_analysis._compute_log_a_for_frac_alpha

    def counted(q: float, s: float, alpha: float) -> float:
        calls.append(alpha)
        return original(q, s, alpha)  # type: ignore[no-any-return]

    monkeypatch.setattr(rdp_analysis, "_compute_log_a_for_frac_alpha", counted)
    accounting.clear_cache()  # a new process: only the files remain
    for name in ("prv", "rdp"):
        accounting._epsilon.cache_clear()
        assert accounting.epsilon_of_history(history, DELTA, name) == truth[name]
    assert len(calls) <= 4, calls  # the deciding orders only, not 90


@pytest.mark.parametrize("accountant", ["prv", "rdp"])
def test_lowered_stored_orders_are_caught_and_the_true_epsilon_returned(
    cache_dir: Path, accountant: str
) -> None:
    sigma, stored = _planned(cache_dir)
    history = [(sigma, Q, STEPS)]
    truth = _fresh(history, accountant)
    for change in (
        lambda i, v: v * 0.5,  # every order lower: the deciding one too
        lambda i, v: v * 0.9 if i % 7 == 0 else v,
        lambda i, v: 0.0,
    ):
        accounting.noise_multiplier_for(4.0, DELTA, Q, STEPS, "prv")  # rewrites the entry
        _edit(stored, change)
        accounting.clear_cache()
        assert accounting.epsilon_of_history(history, DELTA, accountant) == truth


def test_edited_stored_orders_never_give_a_smaller_rdp_epsilon(cache_dir: Path) -> None:
    sigma, stored = _planned(cache_dir)
    history = [(sigma, Q, STEPS)]
    truth = _fresh(history, "rdp")
    rng = random.Random(5)
    for _ in range(25):
        accounting.clear_cache()
        accounting.noise_multiplier_for(4.0, DELTA, Q, STEPS, "prv")
        factors = [rng.choice([0.3, 0.95, 1.0, 1.0, 1.5, 4.0]) for _ in range(200)]
        _edit(stored, lambda i, v, f=factors: v * f[i])  # type: ignore[misc]
        accounting.clear_cache()
        assert accounting.epsilon_of_history(history, DELTA, "rdp") >= truth


def test_a_malformed_store_is_a_miss(cache_dir: Path) -> None:
    sigma, stored = _planned(cache_dir)
    history = [(sigma, Q, STEPS)]
    truth = _fresh(history, "prv")
    for text in ("not json", "[]", json.dumps({"k": [1.0]})):
        stored.write_text(text)
        accounting.clear_cache()
        assert accounting.epsilon_of_history(history, DELTA, "prv") == truth
