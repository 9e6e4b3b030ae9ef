"""Example facts shared by the policy tests (a module, so tests can import it by name)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

NOW = datetime(2025, 6, 1, tzinfo=UTC)

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
    "consent": [
        {"purpose": "model_training", "records_with_grant": 1000, "records_without_grant": []}
    ],
    "pii_scan": {
        "config_hash": "cc" * 32,
        "score_threshold": 0.5,
        "entity_types": [
            "PERSON",
            "EMAIL_ADDRESS",
            "PHONE_NUMBER",
            "US_SSN",
            "CREDIT_CARD",
            "IBAN_CODE",
            "IP_ADDRESS",
            "LOCATION",
        ],
        "findings": [],
    },
}

OFFICER = {"approver_key_id": "key-officer", "roles": ["officer"]}
DP_PLAN = {
    "trainer_key_id": "key-trainer",
    "dp_enabled": True,
    "epsilon": 4.0,
    "delta": 1e-6,
    "dataset_epsilon_spent": 0.0,
}
