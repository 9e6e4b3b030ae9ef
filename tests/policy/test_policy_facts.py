"""SnapshotFacts: JSON round trip, and every problem in facts data reported with its key."""

from __future__ import annotations

import copy
import json

import pytest
from policy_examples import CLEAN_FACTS

from govern.errors import BadInput
from govern.policy import SnapshotFacts
from govern.policy.facts import facts_problems


def test_facts_round_trip_through_json(facts_with) -> None:
    facts = facts_with(
        approvals=[
            {
                "approver_key_id": "k",
                "roles": ["officer"],
                "approved_at": "2025-05-02T10:00:00+02:00",
            }
        ],
        training={"trainer_key_id": "t", "dp_enabled": True, "epsilon": 2.0, "delta": 1e-6},
    )
    again = SnapshotFacts.from_dict(json.loads(json.dumps(facts.to_dict())))
    assert again == facts
    assert again.to_dict()["approvals"][0]["approved_at"] == "2025-05-02T08:00:00Z"


def test_the_inputs_digest_leaves_out_approvals_and_training(clean_facts, facts_with) -> None:
    later = facts_with(
        approvals=[{"approver_key_id": "k", "roles": ["officer"]}], training={"dp_enabled": False}
    )
    assert later.inputs_digest() == clean_facts.inputs_digest()
    assert facts_with(record_count=1001).inputs_digest() != clean_facts.inputs_digest()


def test_every_problem_is_reported_with_its_key() -> None:
    data = copy.deepcopy(CLEAN_FACTS)
    data["record_count"] = -1
    data["provenance"]["licence"] = "MIT"
    data["consent"][0]["records_without_grant"] = "rec-1"
    keys = [key for key, _ in facts_problems(data)]
    assert keys == [("consent", 0, "records_without_grant"), ("provenance",), ("record_count",)]


def test_from_dict_raises_bad_input_listing_the_keys() -> None:
    data = copy.deepcopy(CLEAN_FACTS)
    data["provenance"]["collected_at"] = "last tuesday"
    data["pii_scan"]["score_threshold"] = 2
    with pytest.raises(BadInput) as caught:
        SnapshotFacts.from_dict(data, source="case.yaml")
    message = str(caught.value)
    assert "key provenance.collected_at" in message and "ISO 8601" in message
    assert "key pii_scan.score_threshold" in message


def test_a_time_without_a_zone_is_refused_but_a_bare_date_means_utc() -> None:
    data = copy.deepcopy(CLEAN_FACTS)
    data["provenance"]["registered_at"] = "2025-05-01T09:00:00"
    assert any("time zone" in message for _, message in facts_problems(data))
    data["provenance"]["registered_at"] = "2025-05-01"
    assert (
        SnapshotFacts.from_dict(data).provenance.registered_at.isoformat()
        == "2025-05-01T00:00:00+00:00"
    )


def test_counts_larger_than_the_snapshot_are_refused() -> None:
    data = copy.deepcopy(CLEAN_FACTS)
    data["provenance"]["synthetic_record_count"] = 2000
    data["consent"][0]["records_with_grant"] = 1001
    keys = {key for key, _ in facts_problems(data)}
    assert keys == {("provenance", "synthetic_record_count"), ("consent", 0)}


def test_lists_given_by_a_caller_are_stored_as_tuples() -> None:
    from govern.policy import ConsentCoverage

    coverage = ConsentCoverage("model_training", 9, ["rec-1"])  # type: ignore[arg-type]
    assert coverage.records_without_grant == ("rec-1",)
