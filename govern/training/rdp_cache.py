"""One step's RDP orders for a (q, σ), kept between processes and checked where they decide.

A PRV evaluation spends nine tenths of its time on Opacus's RDP orders of one step (the grid is
sized from them, accountants.py), 90 fractional orders summed term by term in Python: about
0.1 s, paid again by every `govern train` whose σ came from the cache (noise_cache.py). So the
orders of a planned σ are stored beside it, in `rdp-orders.json`, under Opacus's version and
the exact (q, σ).

The file is not evidence. Every use of stored orders turns them into an ε (or a grid bound)
through `min over α of f(α, r_α)`, increasing in each r_α; the order α* that attains the minimum
is recomputed exactly (one order, a few ms) and must equal the stored value. Then the result is
f(α*, r_α*) with the true r_α*, which is at least the true minimum: an edited entry can only
make the bound looser (a larger grid, a larger ε), never tighter; a mismatch discards the entry
and the orders are computed in full. An honest entry gives Opacus's numbers to the bit.
"""

from __future__ import annotations

import math
from typing import Any

from govern.training.noise_cache import cache_path, read_entries, write_entry

CACHE_FILE = "rdp-orders.json"
MAX_ENTRIES = 64


def _path() -> Any:
    sigma_file = cache_path()
    return None if sigma_file is None else sigma_file.with_name(CACHE_FILE)


def _key(sample_rate: float, noise_multiplier: float) -> str:
    from importlib.metadata import version

    return (
        f"v1|opacus={version('opacus')}|q={float(sample_rate)!r}|sigma={float(noise_multiplier)!r}"
    )


def stored(sample_rate: float, noise_multiplier: float, orders: int) -> Any:
    """The stored one-step orders for (q, σ) as a read-only array, or None (a miss)."""
    import numpy as np

    path = _path()
    if path is None:
        return None
    values = read_entries(path).get(_key(sample_rate, noise_multiplier))
    if not isinstance(values, list) or len(values) != orders:
        return None
    if not all(isinstance(v, float | int) and not isinstance(v, bool) for v in values):
        return None
    vector = np.array([float(v) for v in values], dtype=np.float64)
    if np.isnan(vector).any():
        return None
    vector.setflags(write=False)
    return vector


def remember(sample_rate: float, noise_multiplier: float, vector: Any) -> None:
    """Store (q, σ)'s one-step orders (best effort: a cache that cannot be written is no cache)."""
    path = _path()
    if path is None:
        return
    values = [float(v) for v in vector]
    if not all(math.isfinite(v) or v == math.inf for v in values):
        return
    write_entry(path, _key(sample_rate, noise_multiplier), values, MAX_ENTRIES)
