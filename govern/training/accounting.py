"""Privacy accounting as pure functions over accountant histories.

A history is a list of (noise_multiplier, sample_rate, steps) entries, the form Opacus's
accountants keep. Composing several runs on the same data is composing their histories: the
ε of a dataset is the ε of every run that touched any of its snapshots, computed by the Opacus
accountant (RDP or PRV), never by adding ε values.

Every computation is bounded (see limits.py): the PRV accountant checks the size of its grid
before allocating it (`AccountingTooCostly`), and the noise search is a bracketed bisection
that never evaluates PRV where the grid would be too large. ε values are cached: the plan is
fixed, so a run's final ε is the ε the plan already computed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any

from govern.errors import BadInput
from govern.training.limits import (
    MAX_NOISE_MULTIPLIER,
    MAX_PRV_POINTS,
    PRV_BYTES_PER_POINT,
)

HistoryEntry = tuple[float, float, int]
CALIBRATION_TOLERANCE = 0.01  # ε below the target by at most this much (Opacus's default)
_MAX_ITERATIONS = 80


class AccountingTooCostly(BadInput):
    """The PRV accountant would need a grid larger than MAX_PRV_POINTS for this history."""

    def __init__(self, points: int, history: list[HistoryEntry]) -> None:
        self.points, self.history = points, history
        super().__init__(
            f"the PRV accountant would need {points:,} grid points (about {points * PRV_BYTES_PER_POINT / 2**30:.3g} GiB) "
            f"for history {history}; the ceiling is {MAX_PRV_POINTS:,}"
        )


class EpsilonUnreachable(BadInput):
    """No noise multiplier up to MAX_NOISE_MULTIPLIER reaches the target ε."""


def normalise_history(history: Iterable[Sequence[Any]]) -> list[HistoryEntry]:
    """Check and merge a history: consecutive equal (σ, q) entries are summed; steps > 0."""
    merged: list[HistoryEntry] = []
    for entry in history:
        if len(entry) != 3:
            raise ValueError(
                f"history entry {entry!r} is not (noise_multiplier, sample_rate, steps)"
            )
        sigma, rate, steps = float(entry[0]), float(entry[1]), int(entry[2])
        if not (sigma > 0 and 0 < rate <= 1 and steps >= 0):
            raise ValueError(
                f"history entry {entry!r} has σ ≤ 0, a sample rate outside (0, 1] or negative steps"
            )
        if steps == 0:
            continue
        if merged and merged[-1][0] == sigma and merged[-1][1] == rate:
            merged[-1] = (sigma, rate, merged[-1][2] + steps)
        else:
            merged.append((sigma, rate, steps))
    return merged


@functools.cache
def _bounded_prv_class() -> type:
    from opacus.accountants import PRVAccountant

    class BoundedPRVAccountant(PRVAccountant):  # type: ignore[misc]
        """Opacus's PRV accountant, refusing before it allocates a grid beyond MAX_PRV_POINTS."""

        def _get_domain(self, **kwargs: Any) -> Any:
            domain = super()._get_domain(**kwargs)
            if domain.size > MAX_PRV_POINTS:
                raise AccountingTooCostly(int(domain.size), list(self.history))
            return domain

    return BoundedPRVAccountant


@functools.lru_cache(maxsize=512)
def _epsilon(entries: tuple[HistoryEntry, ...], delta: float, accountant: str) -> float:
    import warnings

    if accountant == "prv":
        acct = _bounded_prv_class()()
    else:
        from opacus.accountants import create_accountant

        acct = create_accountant(mechanism=accountant)
    acct.history = list(entries)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Optimal order is the")
        warnings.filterwarnings(
            "ignore", category=RuntimeWarning, module=r"opacus\.accountants"
        )  # overflow at tiny σ
        return float(acct.get_epsilon(delta=delta))


def epsilon_of_history(
    history: Iterable[Sequence[Any]], delta: float, accountant: str = "prv"
) -> float:
    """ε at `delta` of one history with the named Opacus accountant ("rdp" or "prv")."""
    entries = normalise_history(history)
    if not entries:
        return 0.0
    return _epsilon(tuple(entries), float(delta), accountant)


def compose_epsilon(
    histories: Iterable[Iterable[Sequence[Any]]], delta: float, accountant: str = "prv"
) -> float:
    """ε at `delta` of several runs on the same data, composed by the accountant.

    `histories` holds one stored accountant history per run. Use it to enforce a lifetime
    budget: compose the stored histories plus the planned run's and compare with the limit.
    """
    combined: list[Sequence[Any]] = []
    for history in histories:
        combined.extend(normalise_history(history))
    return epsilon_of_history(combined, delta, accountant)


def clear_cache() -> None:
    """Forget cached ε values and noise multipliers (benchmarks time cold runs with it)."""
    _epsilon.cache_clear()
    noise_multiplier_for.cache_clear()


def _smallest_sigma(epsilon_at: Any, target: float, low: float, high: float) -> float:
    """The smallest σ in (low, high] with ε ≤ target (to CALIBRATION_TOLERANCE), given ε(high) ≤ target < ε(low).

    Regula falsi on (log σ, log ε − log target) with the Illinois step, which needs a handful of
    accountant calls where bisection needs a dozen; it bisects where ε(low) is unknown (a PRV
    grid too large counts as infinite ε).
    """

    def gap(eps: float) -> float:  # > 0 over the target, ≤ 0 within it
        return math.log(eps / target) if eps > 0 else -math.inf

    eps_high = epsilon_at(high)
    f_low, f_high = gap(epsilon_at(low)), gap(eps_high)
    side = 0
    for _ in range(_MAX_ITERATIONS):
        if target - eps_high <= CALIBRATION_TOLERANCE or high - low <= high * 1e-9:
            break
        middle = (low + high) / 2
        if math.isfinite(f_low) and math.isfinite(f_high) and f_low > f_high:
            guess = math.exp(
                math.log(high) - f_high * (math.log(low) - math.log(high)) / (f_low - f_high)
            )
            if low < guess < high:
                middle = guess
        eps = epsilon_at(middle)
        if eps <= target:
            high, eps_high, f_high = middle, eps, gap(eps)
            if side == +1:
                f_low /= 2  # Illinois: the kept end moved twice in a row, so halve its weight
            side = +1
        else:
            low, f_low = middle, gap(eps)
            if side == -1:
                f_high /= 2
            side = -1
    return high


def _bracket(epsilon_at: Any, target: float, start: float) -> tuple[float, float]:
    """(low, high) around the target: ε(high) ≤ target < ε(low), by doubling or halving from `start`."""
    high = start
    while epsilon_at(high) > target:
        high *= 2
        if high > MAX_NOISE_MULTIPLIER:
            raise EpsilonUnreachable(
                f"no noise multiplier up to {MAX_NOISE_MULTIPLIER:g} reaches ε = {target}"
            )
    low = high / 2
    for _ in range(_MAX_ITERATIONS):
        if epsilon_at(low) > target:
            break
        high, low = low, low / 2
    return low, high


@functools.lru_cache(maxsize=64)
def noise_multiplier_for(
    target_epsilon: float, delta: float, sample_rate: float, steps: int, accountant: str = "prv"
) -> float:
    """The smallest σ (to within 0.01 of the target ε) whose `steps` steps at `sample_rate` stay within ε.

    RDP first (cheap and always bounded); its σ is an upper bracket for PRV, which is tighter,
    and the PRV bisection runs below it, counting a σ whose grid would be too large as
    over-budget (so the answer can only err towards more noise).
    """

    def rdp(sigma: float) -> float:
        return epsilon_of_history([(sigma, sample_rate, steps)], delta, "rdp")

    sigma = _smallest_sigma(rdp, target_epsilon, *_bracket(rdp, target_epsilon, 1.0))
    if accountant == "rdp":
        return sigma

    too_costly: list[AccountingTooCostly] = []

    def prv(value: float) -> float:
        try:
            return epsilon_of_history([(value, sample_rate, steps)], delta, "prv")
        except AccountingTooCostly as error:
            too_costly.append(error)
            return float("inf")

    try:
        return _smallest_sigma(prv, target_epsilon, *_bracket(prv, target_epsilon, sigma))
    except EpsilonUnreachable:
        if (
            too_costly
        ):  # RDP reached the target: it is the PRV grid, not the noise, that cannot be had
            raise too_costly[-1] from None
        raise


def default_delta(num_examples: int) -> float:
    """δ below 1/N: 1/(10·N) rounded down to one significant digit."""
    import math

    raw = 1.0 / (10.0 * num_examples)
    exponent = math.floor(math.log10(raw))
    mantissa = math.floor(raw / 10**exponent + 1e-9)
    return float(f"{mantissa}e{exponent}")
