"""The ε a run reports is the Opacus accountant's ε of what the run recorded, and runs compose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opacus")

from opacus.accountants import PRVAccountant, RDPAccountant

from govern.training.accounting import (
    compose_epsilon,
    default_delta,
    epsilon_of_history,
    normalise_history,
)


def _independent(accountant: Any, sigma: float, rate: float, steps: int, delta: float) -> float:
    for _ in range(steps):
        accountant.step(noise_multiplier=sigma, sample_rate=rate)
    return float(accountant.get_epsilon(delta=delta))


@pytest.mark.parametrize("mechanism", ["rdp", "prv"])
def test_reported_epsilon_matches_an_independent_opacus_accountant(
    mechanism: str, make_recipe: Any, tmp_path: Path, support_data: Any
) -> None:
    from govern.training import train

    recipe = make_recipe(
        dp={"accountant": mechanism, "noise_multiplier": 0.9}, schedule={"steps": 3}
    )
    result = train(recipe, support_data, run_dir=tmp_path / "run")
    sigma, rate, steps, delta = (
        result["noise_multiplier"],
        result["sample_rate"],
        result["steps"],
        result["delta"],
    )
    assert (sigma, rate, steps, delta) == (0.9, 16 / 160, 3, default_delta(160))
    fresh = RDPAccountant() if mechanism == "rdp" else PRVAccountant()
    assert result["epsilon"] == pytest.approx(
        _independent(fresh, sigma, rate, steps, delta), rel=1e-9
    )


def test_calibrated_noise_spends_at_most_the_target_epsilon(make_recipe: Any) -> None:
    from govern.training.plan import plan_run

    plan = plan_run(
        make_recipe(dp={"noise_multiplier": None, "target_epsilon": 2.0}, schedule={"steps": 20}),
        160,
    )
    assert plan.noise_multiplier is not None and plan.planned_epsilon is not None
    assert 2.0 - 0.02 <= plan.planned_epsilon <= 2.0
    assert (
        epsilon_of_history(
            [(plan.noise_multiplier * 0.97, plan.sample_rate, 20)], plan.delta, "rdp"
        )
        > 2.0
    )


@pytest.mark.parametrize("mechanism", ["rdp", "prv"])
def test_runs_compose_through_the_accountant_not_by_adding_epsilons(mechanism: str) -> None:
    run_a = [(1.1, 0.05, 40)]
    run_b = [(0.8, 0.1, 10), (1.1, 0.05, 5)]
    delta = 1e-5
    composed = compose_epsilon([run_a, run_b], delta, mechanism)
    fresh = RDPAccountant() if mechanism == "rdp" else PRVAccountant()
    fresh.history = [(1.1, 0.05, 40), (0.8, 0.1, 10), (1.1, 0.05, 5)]
    assert composed == pytest.approx(fresh.get_epsilon(delta=delta), rel=1e-6)
    eps_a = epsilon_of_history(run_a, delta, mechanism)
    eps_b = epsilon_of_history(run_b, delta, mechanism)
    assert max(eps_a, eps_b) < composed < eps_a + eps_b


def test_histories_are_checked_and_merged() -> None:
    assert normalise_history([(1.0, 0.1, 2), (1.0, 0.1, 3), (2.0, 0.1, 0)]) == [(1.0, 0.1, 5)]
    assert compose_epsilon([], 1e-5) == 0.0
    with pytest.raises(ValueError):
        normalise_history([(1.0, 1.5, 2)])
    assert default_delta(160) == 0.0006 and default_delta(1000) == 0.0001


@pytest.mark.parametrize("mechanism", ["rdp", "prv"])
def test_the_trainer_asks_the_accountant_once_per_checkpoint_not_once_per_step(
    mechanism: str,
    make_recipe: Any,
    tmp_path: Path,
    support_data: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 18: ε after every step made the whole DP trainer 1.5-3.7x the non-private one."""
    from govern.training import train
    from govern.training.accounting import clear_cache

    calls: list[int] = []
    cls = RDPAccountant if mechanism == "rdp" else PRVAccountant
    original = cls.get_epsilon

    def counted(self: Any, *args: Any, **kwargs: Any) -> float:
        calls.append(sum(steps for _, _, steps in self.history))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(cls, "get_epsilon", counted)
    clear_cache()
    recipe = make_recipe(
        dp={"accountant": mechanism, "noise_multiplier": 1.1},
        schedule={"steps": 6},
        checkpoint_every=4,
    )
    result = train(recipe, support_data, run_dir=tmp_path / "run")
    assert calls == [6, 4], (
        calls
    )  # the plan (whose ε is also the final one), then the checkpoint at step 4
    assert result["epsilon"] == pytest.approx(
        _independent(cls(), 1.1, 0.1, 6, result["delta"]), rel=1e-9
    )
