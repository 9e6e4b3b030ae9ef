"""The dp family's `unit`: a pack can require subject-level DP (ε per person)."""

from __future__ import annotations

from typing import Any

from govern.policy import evaluate

DP = {"required": True, "unit": "subject"}


def plan(**changes: Any) -> dict[str, Any]:
    base = {"trainer_key_id": "key-trainer", "dp_enabled": True, "epsilon": 4.0, "delta": 1e-6}
    return {**base, **changes}


def test_a_pack_requiring_the_subject_unit_fails_a_record_level_plan(
    pack_from: Any, facts_with: Any, now: Any
) -> None:
    decision = evaluate(pack_from(dp=DP), facts_with(training=plan()), now)
    result = decision.result("dp.unit")
    assert result.status == "fail" and decision.failed
    assert result.evidence == {"required_unit": "subject", "privacy_unit": "record"}
    assert 'dp.unit = "subject"' in result.message


def test_a_subject_level_plan_passes_and_names_its_cap(
    pack_from: Any, facts_with: Any, now: Any
) -> None:
    training = plan(privacy_unit="subject", max_records_per_subject=4)
    decision = evaluate(pack_from(dp=DP), facts_with(training=training), now)
    result = decision.result("dp.unit")
    assert result.status == "pass" and decision.passed
    assert result.evidence["max_records_per_subject"] == 4


def test_the_unit_check_is_pending_without_a_plan_and_absent_unless_configured(
    pack_from: Any, clean_facts: Any, facts_with: Any, now: Any
) -> None:
    assert evaluate(pack_from(dp=DP), clean_facts, now).result("dp.unit").status == "pending"
    rules = {
        r.rule
        for r in evaluate(
            pack_from(dp={"required": True}), facts_with(training=plan()), now
        ).results
    }
    assert "dp.unit" not in rules
