"""A calibrated σ is kept between processes, and a cache file edited by anyone cannot lower it."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opacus")

from opacus.accountants import PRVAccountant
from opacus.accountants.analysis import rdp as rdp_analysis

from govern.training import noise_cache
from govern.training.accounting import CALIBRATION_TOLERANCE, clear_cache, noise_multiplier_for

SEARCH = (4.0, 1e-5, 0.2, 15, "prv")  # target ε, δ, q, steps, accountant: the quickstart's plan


def _opacus_epsilon(sigma: float) -> float:
    accountant = PRVAccountant()
    accountant.history = [(sigma, 0.2, 15)]
    return float(accountant.get_epsilon(delta=1e-5))


def _cache_file() -> Path:
    path = noise_cache.cache_path()
    assert path is not None
    return path


def _key() -> str:
    return noise_cache.search_key(*SEARCH, CALIBRATION_TOLERANCE)


def _searched() -> float:
    clear_cache()
    _cache_file().unlink(missing_ok=True)
    sigma = noise_multiplier_for(*SEARCH)
    clear_cache()
    return sigma


def _count_rdp(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    sigmas: list[float] = []
    original = rdp_analysis.compute_rdp

    def counted(**kwargs: Any) -> Any:
        sigmas.append(kwargs["noise_multiplier"])
        return original(**kwargs)

    monkeypatch.setattr(rdp_analysis, "compute_rdp", counted)
    return sigmas


def test_a_searched_sigma_is_reused_after_one_accountant_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sigma = _searched()
    assert json.loads(_cache_file().read_text())[_key()] == sigma
    computed = _count_rdp(monkeypatch)
    assert noise_multiplier_for(*SEARCH) == sigma  # a new process: nothing in memory
    assert set(computed) == {sigma}  # one evaluation at the stored σ, no search
    assert len(computed) <= 2  # its RDP orders stored too: only the deciding ones recomputed


def test_without_stored_orders_the_check_computes_them_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sigma = _searched()
    _cache_file().with_name("rdp-orders.json").unlink()
    computed = _count_rdp(monkeypatch)
    assert noise_multiplier_for(*SEARCH) == sigma
    assert computed == [sigma]  # every order at the stored σ once, no search


@pytest.mark.parametrize("factor", [0.9, 0.999, 1.1])
def test_an_edited_sigma_is_refused_and_searched_again(
    factor: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lower (ε over the target) or higher (noise wasted) than a search gives: never used."""
    sigma = _searched()
    _cache_file().write_text(json.dumps({_key(): sigma * factor}))
    computed = _count_rdp(monkeypatch)
    assert noise_multiplier_for(*SEARCH) == sigma
    assert len(computed) > 1  # the search ran again
    assert _opacus_epsilon(sigma) <= 4.0
    assert json.loads(_cache_file().read_text())[_key()] == sigma  # and the entry is repaired


def test_an_edited_cache_cannot_lower_the_planned_noise(make_recipe: Any) -> None:
    from govern.training.plan import plan_run

    recipe = make_recipe(
        dp={"noise_multiplier": None, "target_epsilon": 2.0}, schedule={"steps": 20}
    )
    honest = plan_run(recipe, 160)
    assert honest.noise_multiplier is not None and honest.planned_epsilon is not None
    entries = json.loads(_cache_file().read_text())
    assert list(entries.values()) == [honest.noise_multiplier]
    _cache_file().write_text(json.dumps({k: v / 2 for k, v in entries.items()}))
    clear_cache()
    replanned = plan_run(recipe, 160)
    assert replanned.noise_multiplier == honest.noise_multiplier
    assert replanned.planned_epsilon == honest.planned_epsilon <= 2.0


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[1.3]",
        '{"KEY": "1.3"}',
        '{"KEY": true}',
        '{"KEY": NaN}',
        '{"KEY": -1.3}',
        '{"KEY": 1e308}',
        '{"KEY": 1e-300}',
    ],
)
def test_a_malformed_cache_is_a_miss(content: str) -> None:
    sigma = _searched()
    _cache_file().write_text(content.replace("KEY", _key()))
    assert noise_multiplier_for(*SEARCH) == sigma
    clear_cache()


def test_the_key_names_every_input() -> None:
    base = (4.0, 1e-5, 0.2, 15, "prv", 0.01)
    changed = [
        (4.0000001, 1e-5, 0.2, 15, "prv", 0.01),
        (4.0, 2e-5, 0.2, 15, "prv", 0.01),
        (4.0, 1e-5, 0.2000001, 15, "prv", 0.01),
        (4.0, 1e-5, 0.2, 16, "prv", 0.01),
        (4.0, 1e-5, 0.2, 15, "rdp", 0.01),
        (4.0, 1e-5, 0.2, 15, "prv", 0.02),
    ]
    keys = {noise_cache.search_key(*base)} | {noise_cache.search_key(*c) for c in changed}
    assert len(keys) == 1 + len(changed)
    assert "opacus=" in noise_cache.search_key(*base)


def test_an_empty_cache_dir_turns_the_cache_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GOVERN_CACHE_DIR", "")
    assert noise_cache.cache_path() is None
    clear_cache()
    sigma = noise_multiplier_for(*SEARCH)
    clear_cache()
    assert math.isfinite(sigma) and _opacus_epsilon(sigma) <= 4.0
