"""Fixtures for the policy engine: a snapshot that passes the strict default, a pack, a clock."""

from __future__ import annotations

import copy
from datetime import datetime, timezone
from typing import Any, Callable

import pytest

from govern.policy import Pack, SnapshotFacts, load_pack
from govern.policy.testing import merge_facts

NOW = datetime(2025, 6, 1, tzinfo=timezone.utc)

CLEAN_FACTS: dict[str, Any] = {
    "snapshot_id": "snap-anon-1",
    "snapshot_hash": "aa" * 32,
    "dataset_id": "ds-support",
    "record_count": 1000,
    "registered_by": "key-engineer",
    "parent_id": "snap-raw-1",
    "transform": "anonymize",
    "transform_hash": "bb" * 32,
    "anonymized": True,
    "provenance": {
        "source": "support tickets export",
        "license": "LicenseRef-consented-internal",
        "legal_basis": "consent",
        "jurisdiction": "EU-DE",
        "collected_at": "2024-12-31",
        "registered_at": "2025-05-01T09:00:00Z",
        "declared_fields": ["ticket_id", "text"],
    },
    "consent": [{"purpose": "model_training", "records_with_grant": 1000, "records_without_grant": []}],
    "pii_scan": {
        "config_hash": "cc" * 32,
        "score_threshold": 0.5,
        "entity_types": [
            "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "US_SSN", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS", "LOCATION",
        ],
        "findings": [],
    },
}

OFFICER = {"approver_key_id": "key-officer", "roles": ["officer"]}
DP_PLAN = {"trainer_key_id": "key-trainer", "dp_enabled": True, "epsilon": 4.0, "delta": 1e-6, "dataset_epsilon_spent": 0.0}


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


@pytest.fixture
def pack_from() -> Callable[..., Pack]:
    """A pack holding only the given rule sections."""
    from govern.policy import load_pack_text
    import yaml

    def build(**rules: Any) -> Pack:
        text = yaml.safe_dump(
            {"name": "t", "version": "0.1.0", "description": "test pack", "disclaimer": "not advice", "rules": rules}
        )
        return load_pack_text(text, "t.yaml")

    return build
