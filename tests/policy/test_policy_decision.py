"""Decisions: outcome, a hash that approvals can sign, and stability against what must not move it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from govern.errors import BadInput
from govern.policy import Decision, evaluate, load_pack_text, verify_decision_hash

OFFICER = {"approver_key_id": "key-officer", "roles": ["officer"]}
PLAN = {
    "trainer_key_id": "key-trainer",
    "dp_enabled": True,
    "epsilon": 4.0,
    "delta": 1e-6,
    "dataset_epsilon_spent": 0.0,
}


def test_the_default_pack_passes_a_clean_snapshot_once_approved_and_planned(
    default_pack, facts_with, now
) -> None:
    decision = evaluate(default_pack, facts_with(approvals=[OFFICER], training=PLAN), now)
    assert decision.outcome == "pass", [r.message for r in decision.failures + decision.pending]
    assert decision.passed


def test_before_approval_the_clean_snapshot_is_pending_not_failed(
    default_pack, clean_facts, now
) -> None:
    decision = evaluate(default_pack, clean_facts, now)
    assert decision.outcome == "pending"
    assert not decision.failed and not decision.passed
    assert {r.phase for r in decision.pending} == {"approval", "training"}


def test_the_decision_records_the_pack_snapshot_and_inputs(default_pack, clean_facts, now) -> None:
    decision = evaluate(default_pack, clean_facts, now)
    assert decision.snapshot_id == "snap-anon-1"
    assert decision.pack_hash == default_pack.hash
    assert decision.pack_name == "default" and decision.pack_version == "1.0.0"
    assert decision.inputs_digest == clean_facts.inputs_digest()
    assert decision.evaluated_at == "2025-06-01T00:00:00Z"


def test_the_hash_is_the_same_for_the_same_inputs(default_pack, clean_facts, now) -> None:
    assert (
        evaluate(default_pack, clean_facts, now).hash
        == evaluate(default_pack, clean_facts, now).hash
    )


def test_approvals_and_training_plans_do_not_move_the_hash_an_approval_signs(
    default_pack, clean_facts, facts_with, now
) -> None:
    before = evaluate(default_pack, clean_facts, now).hash
    after = evaluate(default_pack, facts_with(approvals=[OFFICER], training=PLAN), now).hash
    assert before == after


def test_the_passage_of_time_does_not_move_the_hash_until_a_rule_flips(
    default_pack, clean_facts, now
) -> None:
    assert (
        evaluate(default_pack, clean_facts, now).hash
        == evaluate(default_pack, clean_facts, now + timedelta(days=30)).hash
    )
    expired = evaluate(default_pack, clean_facts, now + timedelta(days=2000))
    assert expired.result("provenance.max_age").status == "fail"
    assert expired.hash != evaluate(default_pack, clean_facts, now).hash


def test_a_revoked_consent_changes_the_hash(default_pack, clean_facts, facts_with, now) -> None:
    revoked = facts_with(
        consent=[
            {
                "purpose": "model_training",
                "records_with_grant": 999,
                "records_without_grant": ["rec-1"],
            }
        ]
    )
    assert (
        evaluate(default_pack, revoked, now).hash != evaluate(default_pack, clean_facts, now).hash
    )


def test_a_changed_pack_changes_the_hash(default_pack, clean_facts, now) -> None:
    text = default_pack.path.read_text().replace("max_share: 0.5", "max_share: 0.4")
    changed = load_pack_text(text, "default.yaml")
    assert changed.hash != default_pack.hash
    assert evaluate(changed, clean_facts, now).hash != evaluate(default_pack, clean_facts, now).hash


def test_a_decision_round_trips_through_json_and_its_hash_verifies(
    default_pack, clean_facts, now
) -> None:
    decision = evaluate(default_pack, clean_facts, now)
    again = Decision.from_dict(json.loads(json.dumps(decision.to_dict())))
    assert again == decision
    assert verify_decision_hash(again)


def test_a_tampered_decision_does_not_verify(default_pack, facts_with, now) -> None:
    data = evaluate(default_pack, facts_with(provenance={"license": "CC-BY-NC-4.0"}), now).to_dict()
    for result in data["results"]:
        if result["rule"] == "provenance.license":
            result["status"] = "pass"
    assert not verify_decision_hash(Decision.from_dict(data))


def test_results_come_in_flow_order_data_then_approval_then_training(
    default_pack, clean_facts, now
) -> None:
    families = [r.family for r in evaluate(default_pack, clean_facts, now).results]
    order = list(dict.fromkeys(families))
    assert order == ["provenance", "consent", "pii", "synthetic", "approvals", "dp"]


def test_a_time_without_a_zone_is_refused(default_pack, clean_facts) -> None:
    with pytest.raises(BadInput, match="no time zone"):
        evaluate(default_pack, clean_facts, datetime(2025, 6, 1))


def test_every_failure_says_what_to_do(default_pack, facts_with, now) -> None:
    facts = facts_with(
        anonymized=False,
        provenance={"license": None, "collected_at": None, "synthetic_record_count": 900},
        consent=[
            {
                "purpose": "model_training",
                "records_with_grant": 990,
                "records_without_grant": ["r1"],
            }
        ],
        pii_scan={"findings": [{"entity_type": "PERSON", "field": "text", "count": 5}]},
        approvals=[{"approver_key_id": "key-engineer", "roles": ["engineer"]}],
        training={**PLAN, "epsilon": 50, "dataset_epsilon_spent": 10},
    )
    decision = evaluate(default_pack, facts, now)
    assert len(decision.failures) >= 10
    for failure in decision.failures:
        assert ";" in failure.message, failure.rule  # what is wrong; what to do
