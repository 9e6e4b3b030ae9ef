"""Privacy accounting as pure functions over accountant histories.

A history is a list of (noise_multiplier, sample_rate, steps) entries, the form Opacus's
accountants keep. Composing several runs on the same data is composing their histories: the
ε of a dataset is the ε of every run that touched any of its snapshots, computed by the Opacus
accountant (RDP or PRV), never by adding ε values.

Every computation is bounded (see limits.py): the PRV accountant checks the size of its grid
before allocating it (`AccountingTooCostly`), and the noise search is a bracketed bisection
that never evaluates PRV where the grid would be too large. ε values are cached: the plan is
fixed, so a run's final ε is the ε the plan already computed. The Opacus accountants themselves
are accountants.py's, which compute each (q, σ)'s RDP orders once for RDP and PRV alike.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from typing import Any

from govern.errors import BadInput
from govern.training.accountants import (
    AccountingTooCostly,
    HistoryEntry,
    forget_orders,
    keep_orders,
    one_step_rdp,
    prv_class,
    rdp_class,
)
from govern.training.limits import MAX_NOISE_MULTIPLIER

__all__ = [
    "AccountingTooCostly",
    "EpsilonUnreachable",
    "HistoryEntry",
    "clear_cache",
    "compose_epsilon",
    "default_delta",
    "epsilon_of_history",
    "noise_multiplier_for",
    "normalise_history",
]
CALIBRATION_TOLERANCE = 0.01  # ε below the target by at most this much (Opacus's default)
_MAX_ITERATIONS = 80


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


@functools.lru_cache(maxsize=512)
def _epsilon(entries: tuple[HistoryEntry, ...], delta: float, accountant: str) -> float:
    import warnings

    from govern.blas_threads import one_thread

    if accountant == "prv":
        acct = prv_class()()
    elif accountant == "rdp":
        acct = rdp_class()()
    else:
        from opacus.accountants import create_accountant

        acct = create_accountant(mechanism=accountant)
    acct.history = list(entries)
    # numpy's OpenBLAS on one thread: its threads would spin after the PRV grid's small products
    with warnings.catch_warnings(), one_thread():
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
    one_step_rdp.cache_clear()
    forget_orders()
    noise_multiplier_for.cache_clear()


def _smallest_sigma(epsilon_at: Any, target: float, low: float, high: float) -> tuple[float, float]:
    """(low, σ): the smallest σ in (low, high] with ε ≤ target (to CALIBRATION_TOLERANCE), given ε(high) ≤ target < ε(low).

    The returned low is the last σ found over the target (a lower bracket for a tighter accountant).

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
    return low, high


def _bracket(
    epsilon_at: Any, target: float, start: float, low_hint: float | None = None
) -> tuple[float, float]:
    """(low, high) around the target: ε(high) ≤ target < ε(low), by doubling or halving from `start`.

    `low_hint`, when ε is over the target there, is taken as the low end instead of halving.
    """
    high = start
    while epsilon_at(high) > target:
        high *= 2
        if high > MAX_NOISE_MULTIPLIER:
            raise EpsilonUnreachable(
                f"no noise multiplier up to {MAX_NOISE_MULTIPLIER:g} reaches ε = {target}"
            )
    if low_hint is not None and low_hint < high and epsilon_at(low_hint) > target:
        return low_hint, high
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
    over-budget (so the answer can only err towards more noise). The RDP search's last σ over
    the target is tried first as PRV's lower bracket: its RDP orders are already computed, so
    that PRV call costs only the PRV grid.

    Answers are kept between processes (noise_cache.py), each trusted only after one evaluation
    of ε at it lands within the calibration tolerance below the target, as a search's answer does.
    """
    from govern.training import noise_cache

    def epsilon_at(sigma: float) -> float:
        return epsilon_of_history([(sigma, sample_rate, steps)], delta, accountant)

    key = noise_cache.search_key(
        target_epsilon, delta, sample_rate, steps, accountant, CALIBRATION_TOLERANCE
    )
    cached = noise_cache.verified_sigma(key, epsilon_at, target_epsilon, CALIBRATION_TOLERANCE)
    if cached is not None:
        keep_orders(sample_rate, cached)
        return cached
    sigma = _search(target_epsilon, delta, sample_rate, steps, accountant)
    if target_epsilon - CALIBRATION_TOLERANCE <= epsilon_at(sigma) <= target_epsilon:
        noise_cache.remember(key, sigma)
        keep_orders(sample_rate, sigma)  # rdp_cache.py: its orders, for the next process
    return sigma


def _search(
    target_epsilon: float, delta: float, sample_rate: float, steps: int, accountant: str
) -> float:
    """noise_multiplier_for's search: RDP, then PRV below the RDP σ."""

    def rdp(sigma: float) -> float:
        return epsilon_of_history([(sigma, sample_rate, steps)], delta, "rdp")

    rdp_low, sigma = _smallest_sigma(rdp, target_epsilon, *_bracket(rdp, target_epsilon, 1.0))
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
        return _smallest_sigma(
            prv, target_epsilon, *_bracket(prv, target_epsilon, sigma, low_hint=rdp_low)
        )[1]
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
