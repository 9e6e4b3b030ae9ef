"""Parallel composition as pure functions: disjoint shards of subjects cost the worst shard.

A sharded run trains one adapter per shard, each on its own subjects only. Adding or removing a
subject changes the data of exactly one shard, so the run's ε is the maximum of its shards' ε
(parallel composition), never their composition. That holds only when no subject is in two
shards: `sharded_epsilon` refuses shards that overlap.

Over a budget pool a subject sees every unsharded run that touched the pool, and exactly one
slot of each shard family (the slot its keyed hash falls in, with every run that trained that
slot, retrains included), so the pool's ε is the maximum over the choice of one slot per family
of the composed histories. When the choices would be too many to compute, every history is
composed as if sequential, an upper bound.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Protocol

from govern.errors import Refused
from govern.training.accounting import HistoryEntry, compose_epsilon

History = list[HistoryEntry]
Families = dict[str, dict[int, list[History]]]
MAX_SLOT_CHOICES = 256


class Shard(Protocol):
    """What composition needs of a shard run: its family, slot, shard count and seed."""

    @property
    def family(self) -> str: ...
    @property
    def index(self) -> int: ...
    @property
    def of(self) -> int: ...
    @property
    def seed(self) -> int: ...


def group_by_shard(runs: Iterable[tuple[Shard | None, History]]) -> tuple[list[History], Families]:
    """(unsharded histories, family -> slot -> histories). A shard whose shard count or seed
    disagrees with its family's first run is counted as unsharded: sequential, the safe side."""
    sequential: list[History] = []
    families: Families = {}
    keys: dict[str, tuple[int, int]] = {}
    for shard, history in runs:
        if not history:
            continue
        if shard is not None and keys.setdefault(shard.family, (shard.of, shard.seed)) == (
            shard.of,
            shard.seed,
        ):
            families.setdefault(shard.family, {}).setdefault(shard.index, []).append(history)
        else:
            sequential.append(history)
    return sequential, families


def sharded_epsilon(
    shards: Sequence[tuple[Collection[str], History]], delta: float, accountant: str = "prv"
) -> float:
    """ε of one sharded run: the maximum of its shards' ε; Refused when a subject is in two shards."""
    seen: dict[str, int] = {}
    overlaps = []
    for index, (subjects, _) in enumerate(shards):
        for subject in subjects:
            if subject in seen and seen[subject] != index:
                overlaps.append(f"a subject is in shards {seen[subject]} and {index}")
            seen.setdefault(subject, index)
    if overlaps:
        raise Refused(
            "shards share subjects, so their privacy costs do not compose in parallel",
            sorted(set(overlaps)),
        )
    return max(
        (compose_epsilon([h], delta, accountant) if h else 0.0 for _, h in shards), default=0.0
    )


def pool_epsilon(
    sequential: Sequence[History],
    families: Mapping[str, Mapping[int, Sequence[History]]],
    delta: float,
    accountant: str = "prv",
) -> float:
    """ε of a subject pool: every sequential history, plus the worst slot of each shard family."""
    choices = [
        [[h for h in slot if h] for slot in slots.values()] for slots in families.values() if slots
    ]
    count = 1
    for slots in choices:
        count *= len(slots)
    if count > MAX_SLOT_CHOICES:  # too many to try: compose everything (an upper bound)
        every = [h for slots in choices for slot in slots for h in slot]
        return compose_epsilon([*sequential, *every], delta, accountant)
    histories = [h for h in sequential if h]
    best = 0.0
    for picked in itertools.product(*choices):
        chosen = [*histories, *(h for slot in picked for h in slot)]
        if chosen:
            best = max(best, compose_epsilon(chosen, delta, accountant))
    return best
