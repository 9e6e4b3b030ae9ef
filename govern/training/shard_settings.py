"""The recipe's `[train]` section: `shards = k` trains k adapters on k disjoint sets of subjects.

Kept apart from recipe.py (which only calls `shard_problems`; the section's model is
recipe_model.TrainSection): a recipe without `[train]` keeps its hash, and `shards = 1` means
one ordinary run.
"""

from __future__ import annotations

from typing import Any

MAX_SHARDS = 64


def shard_count(settings: dict[str, Any]) -> int:
    """How many shards a normalised recipe's settings ask for (1 when `[train]` is absent)."""
    return int((settings.get("train") or {}).get("shards", 1))


def shard_problems(settings: dict[str, Any]) -> list[str]:
    """What a sharded recipe cannot combine with, each naming its key."""
    if shard_count(settings) == 1:
        return []
    problems = []
    audit = settings.get("audit")
    if audit and int(audit.get("canaries", 0)) > 0:
        problems.append(
            "audit.canaries: a sharded run has one adapter per shard; plant canaries in a run with "
            "train.shards = 1"
        )
    if not settings["dp"]["enabled"]:
        problems.append(
            "train.shards: sharding is for exact unlearning under DP; with dp.enabled = false train "
            "one run (train.shards = 1)"
        )
    return problems
