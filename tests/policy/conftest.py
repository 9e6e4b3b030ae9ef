"""Fixtures for the policy engine: a snapshot that passes the strict default, a pack, a clock."""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from policy_examples import CLEAN_FACTS, NOW

from govern.policy import Pack, SnapshotFacts, load_pack
from govern.policy.testing import merge_facts


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def default_pack() -> Pack:
    return load_pack("default")


@pytest.fixture
def clean_facts() -> SnapshotFacts:
    """An anonymized snapshot that passes every data rule of the default pack."""
    return SnapshotFacts.from_dict(CLEAN_FACTS)


@pytest.fixture
def facts_with() -> Callable[..., SnapshotFacts]:
    """Build facts from CLEAN_FACTS deep-merged with the given overrides."""

    def build(**overrides: Any) -> SnapshotFacts:
        return SnapshotFacts.from_dict(merge_facts(copy.deepcopy(CLEAN_FACTS), overrides))

    return build


# The least each required family must say; a family under test replaces its entry.
MINIMAL_FAMILIES: dict[str, Any] = {
    "provenance": {},
    "consent": {"purpose": "model_training"},
    "pii": {"score_threshold": 0.5},
    "synthetic": {"require_generator": True},
    "dp": {"required": True},
    "approvals": {"required_role": "officer"},
}


@pytest.fixture
def pack_from() -> Callable[..., Pack]:
    """A valid pack (every required family configured), evaluating only the given rule sections:
    a harness for testing one family at a time."""
    import dataclasses

    import yaml

    from govern.policy import load_pack_text

    def build(**rules: Any) -> Pack:
        text = yaml.safe_dump(
            {
                "name": "t",
                "version": "0.1.0",
                "description": "test pack",
                "disclaimer": "not advice",
                "rules": {**MINIMAL_FAMILIES, **rules},
            }
        )
        pack = load_pack_text(text, "t.yaml")
        return dataclasses.replace(
            pack,
            rules={k: pack.rules[k] for k in rules},
            families=tuple(f for f in pack.families if f.name in rules),
        )

    return build
