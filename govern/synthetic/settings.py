"""The settings of a synthetic-data validation, read from the pack's `synthetic` section (pure).

Every setting is recorded with the validation it shaped; a decision under a pack whose settings
differ does not rely on that validation (the rule says to run it again).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

DEFAULTS: dict[str, Any] = {
    "near_duplicate_threshold": 0.8,  # estimated Jaccard of word 3-shingles (MinHash LSH)
    "verbatim_span_tokens": 8,  # a run this long copied from a seed record is a verbatim copy
    "ngram": 2,  # n of the n-gram divergence and distinct-n
    "review_confidence": 0.95,
    "review_margin": 0.05,
}


def validation_config(section: Mapping[str, Any] | None) -> dict[str, Any]:
    """The validation's settings: the defaults, overridden by the pack's `synthetic` section."""
    section = section or {}
    return {key: section.get(key, value) for key, value in DEFAULTS.items()}
