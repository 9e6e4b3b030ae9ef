"""The statistics of a canary audit, as pure functions: guesses, the one-run ε lower bound, AUC, exposure.

One-run lower bound (Steinke, Nasr and Jagielski, "Privacy Auditing with One (1) Training Run",
NeurIPS 2023, Theorem 3.1 and its δ > 0 form, Appendix D). m canaries are each included in the
training data independently with probability 1/2. After training, the auditor scores every
canary and guesses "in" for the k₊ highest scores, "out" for the k₋ lowest and abstains on the
rest: r = k₊ + k₋ guesses, v of them correct. If training is (ε, δ)-DP with respect to each
canary, then for every v

    P[V ≥ v] ≤ P[Binomial(r, p) ≥ v] + 2mδ · max_{1≤i≤v} P[v − i ≤ Binomial(r, p) < v] / i,

with p = e^ε / (1 + e^ε), the accuracy of ε-DP randomised response. That right-hand side is a
p-value for the hypothesis "the run is (ε, δ)-DP"; the empirical lower bound at confidence c
is the largest ε whose p-value is still below 1 − c (every smaller ε is rejected too, since the
p-value grows with ε). At chance (v ≈ r/2) nothing is rejected and the bound is 0.

The count of guesses must be fixed before the scores are seen. `audit_bound` tries a small,
fixed grid of guess counts and pays for it with a Bonferroni correction (each try is tested at
(1 − c)/len(grid)), so the bound it reports holds at confidence c; `guesses=k` tests one count.

Exposure (Carlini et al., "The Secret Sharer", USENIX Security 2019): for a canary secret s
drawn from a space R, exposure(s) = log2 |R| − log2 rank(s), where rank is s's position when
every candidate is ordered by the model's loss. It is estimated here from K random reference
secrets of the same format: rank/|R| ≈ (1 + #{references with loss ≤ loss(s)}) / (K + 1), so
the estimate is capped at log2(K + 1) bits (ties count against the canary). `fitted_exposure`
extrapolates past that cap with a skew-normal fitted to the reference losses (the paper's §4.3).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

DEFAULT_GUESS_FRACTIONS = (0.1, 0.2, 0.3, 0.5, 0.7, 1.0)


def randomised_response_accuracy(epsilon: float) -> float:
    """e^ε / (1 + e^ε): the best accuracy of one guess against an ε-DP coin."""
    return 1.0 / (1.0 + math.exp(-epsilon))


def one_run_p_value(m: int, r: int, v: int, epsilon: float, delta: float = 0.0) -> float:
    """P[V ≥ v] bound of the one-run audit under (ε, δ)-DP: m canaries, r guesses, v correct."""
    from scipy.stats import binom

    if not 0 <= v <= r <= m:
        raise ValueError(f"need 0 ≤ v ≤ r ≤ m, got m={m}, r={r}, v={v}")
    if epsilon < 0 or not 0 <= delta <= 1:
        raise ValueError(f"need ε ≥ 0 and 0 ≤ δ ≤ 1, got ε={epsilon}, δ={delta}")
    if v == 0:
        return 1.0
    p = randomised_response_accuracy(epsilon)
    tail = float(binom.sf(v - 1, r, p))  # P[Binomial(r, p) ≥ v]
    worst = 0.0
    if delta > 0:
        below = 0.0  # P[v − i ≤ Binomial(r, p) < v]
        for i in range(1, v + 1):
            below += float(binom.pmf(v - i, r, p))
            worst = max(worst, below / i)
    return min(1.0, tail + 2.0 * m * delta * worst)


def epsilon_lower_bound(
    m: int, r: int, v: int, delta: float = 0.0, confidence: float = 0.95, tolerance: float = 1e-6
) -> float:
    """The largest ε that `v` correct of `r` guesses on `m` canaries rejects at `confidence`.

    0.0 when not even ε = 0 is rejected. Bisection keeps the returned ε on the rejected side,
    so rounding never overstates the bound.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    alpha = 1.0 - confidence
    if r == 0 or one_run_p_value(m, r, v, 0.0, delta) >= alpha:
        return 0.0
    low, high = 0.0, 1.0
    while one_run_p_value(m, r, v, high, delta) < alpha:
        low, high = high, high * 2
        if high > 1e4:  # every ε rejected: only possible with δ = 0 and r = v, which p^r excludes
            return low
    while high - low > tolerance:
        middle = (low + high) / 2
        if one_run_p_value(m, r, v, middle, delta) < alpha:
            low = middle
        else:
            high = middle
    return low


def guesses_from_scores(scores: Sequence[float], k_in: int, k_out: int) -> list[int]:
    """+1 ("included") for the k_in highest scores, −1 for the k_out lowest, 0 (abstain) elsewhere.

    Ties break by position, which the inclusion draw does not depend on.
    """
    m = len(scores)
    if k_in < 0 or k_out < 0 or k_in + k_out > m:
        raise ValueError(f"cannot make {k_in} + {k_out} guesses about {m} canaries")
    order = sorted(range(m), key=lambda i: (-scores[i], i))
    guesses = [0] * m
    for i in order[:k_in]:
        guesses[i] = 1
    for i in order[m - k_out :] if k_out else []:
        guesses[i] = -1
    return guesses


def count_correct(guesses: Sequence[int], included: Sequence[bool]) -> tuple[int, int]:
    """(r, v): how many guesses were made and how many were right."""
    r = sum(1 for g in guesses if g != 0)
    v = sum(
        1
        for g, inc in zip(guesses, included, strict=True)
        if (g == 1 and inc) or (g == -1 and not inc)
    )
    return r, v


@dataclass(frozen=True)
class BoundResult:
    """The lower bound an audit reports and how it was reached."""

    epsilon_lower_bound: float
    confidence: float
    delta: float
    canaries: int
    guesses: int  # r of the guess count that gave the bound
    correct: int  # v of that guess count
    k_in: int
    k_out: int
    tests: int  # how many guess counts were tried (Bonferroni factor)
    per_test: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def guess_counts(m: int, fractions: Sequence[float] = DEFAULT_GUESS_FRACTIONS) -> list[int]:
    """Guesses per side (k₊ = k₋ = k) for each fraction of m guessed; distinct, at least 1."""
    counts: list[int] = []
    for fraction in fractions:
        k = max(1, round(fraction * m / 2))
        k = min(k, m // 2)
        if k >= 1 and k not in counts:
            counts.append(k)
    return counts


def audit_bound(
    scores: Sequence[float],
    included: Sequence[bool],
    delta: float = 0.0,
    confidence: float = 0.95,
    guesses: int | None = None,
) -> BoundResult:
    """The one-run ε lower bound at `confidence` from canary scores (higher = more likely included).

    `guesses=k` makes k "in" and k "out" guesses; by default a fixed grid of k is tried with a
    Bonferroni correction, and the best bound over the grid is reported.
    """
    m = len(scores)
    if m != len(included):
        raise ValueError("scores and included differ in length")
    if m < 2:
        raise ValueError("an audit needs at least 2 canaries")
    counts = [guesses] if guesses is not None else guess_counts(m)
    for k in counts:
        if not 1 <= k <= m // 2:
            raise ValueError(f"guesses per side must lie in 1..{m // 2} for {m} canaries, got {k}")
    level = 1.0 - (1.0 - confidence) / len(counts)
    per_test = []
    best: dict[str, Any] | None = None
    for k in counts:
        r, v = count_correct(guesses_from_scores(scores, k, k), included)
        bound = epsilon_lower_bound(m, r, v, delta, level)
        row = {"k_in": k, "k_out": k, "guesses": r, "correct": v, "epsilon_lower_bound": bound}
        per_test.append(row)
        if best is None or bound > best["epsilon_lower_bound"]:
            best = row
    assert best is not None
    return BoundResult(
        epsilon_lower_bound=best["epsilon_lower_bound"],
        confidence=confidence,
        delta=delta,
        canaries=m,
        guesses=best["guesses"],
        correct=best["correct"],
        k_in=best["k_in"],
        k_out=best["k_out"],
        tests=len(counts),
        per_test=per_test,
    )


def membership_auc(scores: Sequence[float], included: Sequence[bool]) -> float:
    """Area under the ROC curve of `scores` separating included from excluded canaries (ties count ½).

    0.5 is chance; NaN-free: with no included or no excluded canary it is 0.5.
    """
    pos = [s for s, inc in zip(scores, included, strict=True) if inc]
    neg = [s for s, inc in zip(scores, included, strict=True) if not inc]
    if not pos or not neg:
        return 0.5
    wins = 0.0
    ordered = sorted(neg)
    import bisect

    for s in pos:
        below = bisect.bisect_left(ordered, s)
        ties = bisect.bisect_right(ordered, s) - below
        wins += below + 0.5 * ties
    return wins / (len(pos) * len(neg))


def exposure(canary_loss: float, reference_losses: Sequence[float]) -> float:
    """Estimated exposure in bits: log2(K + 1) − log2(1 + #{references with loss ≤ the canary's})."""
    k = len(reference_losses)
    if k == 0:
        raise ValueError("exposure needs reference losses")
    at_most = sum(1 for loss in reference_losses if loss <= canary_loss)
    return math.log2(k + 1) - math.log2(1 + at_most)


def fitted_exposure(
    canary_loss: float, reference_losses: Sequence[float], cap: float = 1000.0
) -> float:
    """Exposure extrapolated from a skew-normal fit of the reference losses: −log2 P[loss ≤ canary's]."""
    from scipy.stats import skewnorm

    if len(reference_losses) < 10:
        raise ValueError("a fitted exposure needs at least 10 reference losses")
    shape, loc, scale = skewnorm.fit(list(reference_losses))
    log_cdf = float(skewnorm.logcdf(canary_loss, shape, loc, scale))
    if not math.isfinite(log_cdf):
        return cap
    return max(0.0, min(cap, -log_cdf / math.log(2)))
