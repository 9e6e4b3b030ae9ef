"""Review sample size and the Wilson interval against values worked by hand."""

from __future__ import annotations

import pytest

from govern.synthetic.sampling import draw_sample, review_sample_size, wilson_interval


def test_sample_size_is_the_classic_385_for_a_large_population_and_shrinks_with_fpc() -> None:
    assert review_sample_size(10_000_000, 0.95, 0.05) == 385
    assert review_sample_size(1000, 0.95, 0.05) == 278
    assert review_sample_size(40, 0.90, 0.2) == 13
    assert review_sample_size(5, 0.99, 0.01) == 5
    assert review_sample_size(0, 0.95, 0.05) == 0


def test_wilson_interval_matches_the_published_values_and_stays_inside_zero_one() -> None:
    low, high = wilson_interval(9, 10, 0.95)
    assert (round(low, 4), round(high, 4)) == (0.5958, 0.9821)
    low, high = wilson_interval(10, 10, 0.95)
    assert high == 1.0 and low == pytest.approx(0.7225, abs=1e-4)
    assert wilson_interval(0, 0, 0.95) == (0.0, 1.0)


def test_the_sample_is_reproducible_from_its_seed_and_differs_between_seeds() -> None:
    keys = [f"r-{i}" for i in range(100)]
    assert draw_sample(keys, 10, "a") == draw_sample(reversed(keys), 10, "a")
    assert draw_sample(keys, 10, "a") != draw_sample(keys, 10, "b")
    assert len(set(draw_sample(keys, 10, "a"))) == 10


def test_bad_confidence_or_margin_is_refused() -> None:
    with pytest.raises(ValueError, match="confidence"):
        review_sample_size(10, 1.0, 0.05)
    with pytest.raises(ValueError, match="margin"):
        review_sample_size(10, 0.95, 0)
