"""Privacy accounting as pure functions over accountant histories.

A history is a list of (noise_multiplier, sample_rate, steps) entries, the form Opacus's
accountants keep. Composing several runs on the same data is composing their histories: the
ε of a dataset is the ε of every run that touched any of its snapshots, computed by the Opacus
accountant (RDP or PRV), never by adding ε values.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any

HistoryEntry = tuple[float, float, int]


def normalise_history(history: Iterable[Sequence[Any]]) -> list[HistoryEntry]:
    """Check and merge a history: consecutive equal (σ, q) entries are summed; steps > 0."""
    merged: list[HistoryEntry] = []
    for entry in history:
        if len(entry) != 3:
            raise ValueError(f"history entry {entry!r} is not (noise_multiplier, sample_rate, steps)")
        sigma, rate, steps = float(entry[0]), float(entry[1]), int(entry[2])
        if not (sigma > 0 and 0 < rate <= 1 and steps >= 0):
            raise ValueError(f"history entry {entry!r} has σ ≤ 0, a sample rate outside (0, 1] or negative steps")
        if steps == 0:
            continue
        if merged and merged[-1][0] == sigma and merged[-1][1] == rate:
            merged[-1] = (sigma, rate, merged[-1][2] + steps)
        else:
            merged.append((sigma, rate, steps))
    return merged


def epsilon_of_history(history: Iterable[Sequence[Any]], delta: float, accountant: str = "prv") -> float:
    """ε at `delta` of one history with the named Opacus accountant ("rdp" or "prv")."""
    from opacus.accountants import create_accountant

    entries = normalise_history(history)
    if not entries:
        return 0.0
    acct = create_accountant(mechanism=accountant)
    acct.history = entries
    return float(acct.get_epsilon(delta=delta))


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


@functools.lru_cache(maxsize=64)
def noise_multiplier_for(
    target_epsilon: float, delta: float, sample_rate: float, steps: int, accountant: str = "prv"
) -> float:
    """The smallest σ (to Opacus's tolerance) whose `steps` steps at `sample_rate` stay within ε."""
    from opacus.accountants.utils import get_noise_multiplier

    return float(
        get_noise_multiplier(
            target_epsilon=target_epsilon,
            target_delta=delta,
            sample_rate=sample_rate,
            steps=steps,
            accountant=accountant,
        )
    )


def default_delta(num_examples: int) -> float:
    """δ below 1/N: 1/(10·N) rounded down to one significant digit."""
    import math

    raw = 1.0 / (10.0 * num_examples)
    exponent = math.floor(math.log10(raw))
    mantissa = math.floor(raw / 10**exponent + 1e-9)
    return float(f"{mantissa}e{exponent}")
