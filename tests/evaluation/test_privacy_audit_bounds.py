"""The audit's statistics against known values: the one-run bound, guesses, AUC and exposure."""

from __future__ import annotations

import math
import random

import pytest

from govern.evaluation.privacy_audit.bounds import (
    audit_bound,
    count_correct,
    epsilon_lower_bound,
    exposure,
    fitted_exposure,
    guess_counts,
    guesses_from_scores,
    membership_auc,
    one_run_p_value,
)


def test_p_value_at_epsilon_zero_is_the_fair_coin_tail() -> None:
    # P[Binomial(10, 1/2) >= 10] = 1/1024 and P[Binomial(10, 1/2) >= 8] = (45 + 10 + 1) / 1024
    assert one_run_p_value(10, 10, 10, 0.0) == pytest.approx(1 / 1024)
    assert one_run_p_value(10, 10, 8, 0.0) == pytest.approx(56 / 1024)
    assert one_run_p_value(10, 10, 0, 0.0) == 1.0


def test_p_value_grows_with_epsilon_and_with_delta() -> None:
    values = [one_run_p_value(100, 40, 35, eps) for eps in (0.0, 0.5, 1.0, 2.0, 4.0)]
    assert values == sorted(values)
    assert one_run_p_value(100, 40, 35, 1.0, 1e-3) > one_run_p_value(100, 40, 35, 1.0, 0.0)


def test_delta_term_matches_a_hand_computation() -> None:
    # m = 5, r = 2, v = 2, ε = 0: tail = 1/4; P[v - i <= B < v] / i is 1/2 (i = 1) and 3/4 / 2 (i = 2)
    delta = 0.01
    assert one_run_p_value(5, 2, 2, 0.0, delta) == pytest.approx(0.25 + 2 * 5 * delta * 0.5)


def test_bound_matches_the_closed_form_when_every_guess_is_right() -> None:
    # δ = 0, v = r: the p-value is p^r with p = e^ε/(1+e^ε), so ε = logit(alpha^(1/r))
    for r, confidence in ((100, 0.95), (20, 0.9), (1000, 0.99)):
        p = (1 - confidence) ** (1 / r)
        assert epsilon_lower_bound(r, r, r, 0.0, confidence) == pytest.approx(
            math.log(p / (1 - p)), abs=1e-5
        )


def test_bound_is_zero_at_chance_and_grows_with_correct_guesses() -> None:
    assert epsilon_lower_bound(200, 100, 50, 0.0) == 0.0
    assert epsilon_lower_bound(200, 100, 55, 0.0) == 0.0  # within noise of a fair coin
    bounds = [epsilon_lower_bound(200, 100, v, 1e-5) for v in (60, 70, 80, 90, 100)]
    assert bounds == sorted(bounds) and bounds[0] > 0
    assert epsilon_lower_bound(200, 100, 80, 1e-5, 0.99) < epsilon_lower_bound(
        200, 100, 80, 1e-5, 0.95
    )
    assert epsilon_lower_bound(200, 100, 80, 1e-2) < epsilon_lower_bound(200, 100, 80, 0.0)


def test_the_bound_rejects_exactly_the_epsilons_whose_p_value_is_small() -> None:
    eps = epsilon_lower_bound(100, 60, 50, 1e-5, 0.95)
    assert (
        one_run_p_value(100, 60, 50, eps, 1e-5)
        < 0.05
        <= one_run_p_value(100, 60, 50, eps + 1e-4, 1e-5)
    )


def test_on_randomised_response_the_bound_holds_and_is_not_vacuous() -> None:
    """Canaries whose scores come from ε-DP randomised response: the bound stays below ε (at 95%)."""
    rng = random.Random(7)
    epsilon, m = 2.0, 1000
    keep = math.exp(epsilon) / (1 + math.exp(epsilon))
    results = []
    for _ in range(40):
        included = [rng.random() < 0.5 for _ in range(m)]
        scores = [
            float(inc if rng.random() < keep else not inc) + rng.random() * 1e-3 for inc in included
        ]
        results.append(audit_bound(scores, included, 0.0, 0.95, guesses=m // 2).epsilon_lower_bound)
    assert sum(b > epsilon for b in results) <= 4  # at most ~5% of audits may exceed ε
    assert min(results) > 0.8 * epsilon - 0.5  # and with 1000 canaries the bound is close to ε


def test_guesses_take_the_top_and_bottom_scores_and_break_ties_by_position() -> None:
    scores = [0.5, 0.9, 0.1, 0.9, 0.3]
    assert guesses_from_scores(scores, 2, 1) == [0, 1, -1, 1, 0]
    assert guesses_from_scores([1.0, 1.0, 1.0, 1.0], 1, 1) == [1, 0, 0, -1]
    assert count_correct([1, 0, -1, 1], [True, True, False, False]) == (3, 2)
    with pytest.raises(ValueError):
        guesses_from_scores(scores, 3, 3)


def test_grid_search_pays_for_its_tries() -> None:
    rng = random.Random(1)
    included = [rng.random() < 0.5 for _ in range(200)]
    scores = [float(inc) + rng.gauss(0, 0.6) for inc in included]
    grid = audit_bound(scores, included, 1e-5, 0.95)
    assert grid.tests == len(guess_counts(200)) > 1
    single = audit_bound(scores, included, 1e-5, 0.95, guesses=grid.k_in)
    assert single.tests == 1 and single.epsilon_lower_bound >= grid.epsilon_lower_bound
    assert grid.epsilon_lower_bound > 0


def test_auc_known_values() -> None:
    assert membership_auc([3, 2, 1, 0], [True, True, False, False]) == 1.0
    assert membership_auc([0, 1, 2, 3], [True, True, False, False]) == 0.0
    assert membership_auc([1, 1, 1, 1], [True, False, True, False]) == 0.5
    # pairs (in, out): (3 vs 2) win, (3 vs 4) loss, (1 vs 2) loss, (1 vs 4) loss -> 1/4
    assert membership_auc([3, 2, 1, 4], [True, False, True, False]) == 0.25
    assert membership_auc([1, 2], [True, True]) == 0.5


def test_exposure_is_the_log_rank_among_references() -> None:
    refs = [float(i) for i in range(1, 1024)]  # 1023 references
    assert exposure(0.0, refs) == pytest.approx(10.0)  # better than every reference: log2(1024)
    assert exposure(2000.0, refs) == pytest.approx(0.0)  # worse than every one
    assert exposure(511.5, refs) == pytest.approx(
        1.0
    )  # the median: half the candidates rank above it
    rng = random.Random(0)
    normal = [rng.gauss(5.0, 0.5) for _ in range(2000)]
    assert fitted_exposure(5.0, normal) == pytest.approx(1.0, abs=0.2)
    assert fitted_exposure(2.0, normal) > exposure(2.0, normal)  # extrapolates past the cap
