"""The statistics of a human review: how many records to read, and what the verdicts show.

Pure functions on the standard library, so the policy engine can use them too. The sample size is
the one for estimating a proportion (worst case p = 0.5) within `margin` at `confidence`, with the
finite-population correction for a snapshot of `population` records; the pass rate's interval is
Wilson's score interval, which behaves at 0 and 100 % where the normal approximation does not.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from statistics import NormalDist


def z_score(confidence: float) -> float:
    """The two-sided standard-normal quantile for `confidence` (1.96 at 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence} must lie strictly between 0 and 1")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def review_sample_size(population: int, confidence: float, margin: float) -> int:
    """Records to review so the pass rate is known within `margin` at `confidence` (FPC applied)."""
    if population <= 0:
        return 0
    if not 0 < margin < 1:
        raise ValueError(f"margin {margin} must lie strictly between 0 and 1")
    z = z_score(confidence)
    n0 = z * z * 0.25 / (margin * margin)
    corrected = n0 / (1 + (n0 - 1) / population)
    return min(population, math.ceil(corrected - 1e-9))


def wilson_interval(passed: int, reviewed: int, confidence: float) -> tuple[float, float]:
    """Wilson's score interval for the pass rate; (0, 1) when nothing was reviewed."""
    if reviewed <= 0:
        return 0.0, 1.0
    z = z_score(confidence)
    p = passed / reviewed
    denominator = 1 + z * z / reviewed
    centre = (p + z * z / (2 * reviewed)) / denominator
    half = z * math.sqrt(p * (1 - p) / reviewed + z * z / (4 * reviewed * reviewed)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def draw_sample(keys: Iterable[str], size: int, seed: str) -> list[str]:
    """`size` record keys drawn without replacement, reproducibly from `seed` (the validation's id)."""
    pool = sorted(set(keys))
    return sorted(random.Random(seed).sample(pool, min(size, len(pool))))
