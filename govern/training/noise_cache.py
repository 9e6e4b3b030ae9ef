"""Calibrated noise multipliers kept between processes, trusted only after the accountant agrees.

The σ search (accounting.noise_multiplier_for) is a pure function of (target ε, δ, q, steps,
accountant, calibration tolerance, Opacus version), so its answer is stored under all of them in
`noise-multipliers.json` in the cache folder: `$GOVERN_CACHE_DIR` if set (empty: no cache), else
`$XDG_CACHE_HOME/govern` or `~/.cache/govern`.

The file is not evidence: anyone who can write it can put any number there. A stored σ is used
only when one accountant evaluation at that σ lands in [target − tolerance, target], the band a
fresh search guarantees, so an edited σ can neither lower the noise (ε over the target) nor
waste it (ε far below); anything else (a missing, unreadable or malformed file or entry) is a
miss, and the search runs. That one evaluation is the one the plan makes next anyway (cached).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

CACHE_FILE = "noise-multipliers.json"
MAX_ENTRIES = 256


def cache_path() -> Path | None:
    """Where the cache lives, or None when GOVERN_CACHE_DIR is set empty."""
    folder = os.environ.get("GOVERN_CACHE_DIR")
    if folder is not None:
        return Path(folder) / CACHE_FILE if folder else None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govern" / CACHE_FILE


def search_key(
    target_epsilon: float,
    delta: float,
    sample_rate: float,
    steps: int,
    accountant: str,
    tolerance: float,
) -> str:
    """Every input of the search, floats at full precision (repr round-trips)."""
    from importlib.metadata import version

    return (
        f"v1|opacus={version('opacus')}|accountant={accountant}|target_epsilon={float(target_epsilon)!r}"
        f"|delta={float(delta)!r}|sample_rate={float(sample_rate)!r}|steps={int(steps)}"
        f"|tolerance={float(tolerance)!r}"
    )


def read_entries(path: Path) -> dict[str, Any]:
    """A cache file's entries; a missing, unreadable or malformed file has none."""
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return entries if isinstance(entries, dict) else {}


def write_entry(path: Path, key: str, value: Any, max_entries: int) -> None:
    """Put `key` last in a cache file, the oldest entries dropping out beyond `max_entries`
    (best effort: a cache that cannot be written is no cache)."""
    from govern.atomic import atomic_write_bytes

    entries = {k: v for k, v in read_entries(path).items() if k != key}
    entries[key] = value
    kept = dict(list(entries.items())[-max_entries:])
    with contextlib.suppress(OSError, ValueError):
        atomic_write_bytes(path, (json.dumps(kept, indent=1) + "\n").encode("utf-8"))


def verified_sigma(
    key: str, epsilon_at: Callable[[float], float], target: float, tolerance: float
) -> float | None:
    """The stored σ for `key` if ε(σ) is within [target − tolerance, target], else None."""
    path = cache_path()
    if path is None:
        return None
    sigma = read_entries(path).get(key)
    if isinstance(sigma, bool) or not isinstance(sigma, int | float):
        return None
    sigma = float(sigma)
    if not (math.isfinite(sigma) and sigma > 0):
        return None
    try:
        epsilon = epsilon_at(sigma)
    except Exception:  # a σ the accountant refuses (grid too large, out of range) is a miss
        return None
    return sigma if target - tolerance <= epsilon <= target else None


def remember(key: str, sigma: float) -> None:
    """Store a searched σ (best effort: a cache that cannot be written is no cache)."""
    path = cache_path()
    if path is not None:
        write_entry(path, key, float(sigma), MAX_ENTRIES)
