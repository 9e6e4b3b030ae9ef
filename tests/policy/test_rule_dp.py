"""Differential-privacy rules: pending until a training plan; ε per run, δ bound, lifetime budget."""

from __future__ import annotations

from govern.policy import evaluate

DP = {
    "required": True,
    "max_epsilon_per_run": 8,
    "max_delta": 1e-5,
    "delta_below_inverse_records": True,
    "lifetime_epsilon_budget": 16,
}


def plan(**changes):
    base = {
        "trainer_key_id": "key-trainer",
        "dp_enabled": True,
        "epsilon": 4.0,
        "delta": 1e-6,
        "dataset_epsilon_spent": 0.0,
    }
    return {**base, **changes}


def test_without_a_training_plan_every_dp_rule_is_pending(pack_from, clean_facts, now) -> None:
    decision = evaluate(pack_from(dp=DP), clean_facts, now)
    assert {r.rule: r.status for r in decision.results} == {
        "dp.required": "pending",
        "dp.max_epsilon": "pending",
        "dp.delta": "pending",
        "dp.lifetime_budget": "pending",
    }
    assert decision.outcome == "pending" and not decision.passed and not decision.failed


def test_a_plan_within_every_bound_passes(pack_from, facts_with, now) -> None:
    assert evaluate(pack_from(dp=DP), facts_with(training=plan()), now).passed


def test_epsilon_above_the_per_run_maximum_fails(pack_from, facts_with, now) -> None:
    result = evaluate(pack_from(dp=DP), facts_with(training=plan(epsilon=8.5)), now).result(
        "dp.max_epsilon"
    )
    assert result.status == "fail"
    assert result.evidence == {"epsilon": 8.5, "max_epsilon_per_run": 8.0}


def test_epsilon_equal_to_the_maximum_passes(pack_from, facts_with, now) -> None:
    assert (
        evaluate(pack_from(dp=DP), facts_with(training=plan(epsilon=8)), now)
        .result("dp.max_epsilon")
        .status
        == "pass"
    )


def test_the_lifetime_budget_counts_what_the_dataset_already_spent(
    pack_from, facts_with, now
) -> None:
    facts = facts_with(training=plan(epsilon=5, dataset_epsilon_spent=12))
    result = evaluate(pack_from(dp=DP), facts, now).result("dp.lifetime_budget")
    assert result.status == "fail"
    assert result.evidence == {
        "dataset_id": "ds-support",
        "spent": 12,
        "planned": 5,
        "after_run": 17,
        "composed": False,
        "budget": 16.0,
        "remaining": 4.0,
    }
    assert "at most 4 remains" in result.message


def test_a_run_that_uses_the_budget_exactly_passes(pack_from, facts_with, now) -> None:
    facts = facts_with(training=plan(epsilon=4, dataset_epsilon_spent=12))
    assert evaluate(pack_from(dp=DP), facts, now).result("dp.lifetime_budget").status == "pass"


def test_delta_above_the_bound_fails(pack_from, facts_with, now) -> None:
    result = evaluate(pack_from(dp=DP), facts_with(training=plan(delta=2e-5)), now).result(
        "dp.delta"
    )
    assert result.status == "fail"
    assert "above this pack's bound" in result.message


def test_delta_must_be_below_one_over_the_record_count(pack_from, facts_with, now) -> None:
    facts = facts_with(record_count=1000, consent=[], training=plan(delta=1e-3))
    pack = pack_from(dp={"required": True, "delta_below_inverse_records": True})
    result = evaluate(pack, facts, now).result("dp.delta")
    assert result.status == "fail"
    assert "not below 1/records" in result.message


def test_training_without_dp_fails_when_dp_is_required(pack_from, facts_with, now) -> None:
    decision = evaluate(
        pack_from(dp=DP), facts_with(training=plan(dp_enabled=False, epsilon=None, delta=None)), now
    )
    assert decision.result("dp.required").status == "fail"
    assert decision.result("dp.max_epsilon").status == "not_applicable"


def test_training_without_dp_passes_when_dp_is_optional(pack_from, facts_with, now) -> None:
    pack = pack_from(
        dp={**DP, "required": False, "waiver_reason": "public corpus without personal data"}
    )
    assert evaluate(
        pack, facts_with(training=plan(dp_enabled=False, epsilon=None, delta=None)), now
    ).passed


def test_dp_without_a_target_epsilon_fails(pack_from, facts_with, now) -> None:
    assert (
        evaluate(pack_from(dp=DP), facts_with(training=plan(epsilon=None)), now)
        .result("dp.max_epsilon")
        .status
        == "fail"
    )


def test_the_gates_composed_epsilon_decides_the_budget_when_given(
    pack_from, facts_with, now
) -> None:
    """Regression (issue 10.11): admission added the run's ε to the spent ε instead of composing them."""
    composed = facts_with(
        training=plan(epsilon=5, dataset_epsilon_spent=12, lifetime_epsilon_after=15.5)
    )
    result = evaluate(pack_from(dp=DP), composed, now).result("dp.lifetime_budget")
    assert result.status == "pass"
    assert result.evidence["after_run"] == 15.5 and result.evidence["composed"] is True


def test_a_waived_run_is_labelled_not_private(pack_from, facts_with, now) -> None:
    pack = pack_from(
        dp={**DP, "required": False, "waiver_reason": "public corpus without personal data"}
    )
    result = evaluate(
        pack, facts_with(training=plan(dp_enabled=False, epsilon=None, delta=None)), now
    ).result("dp.required")
    assert result.message.startswith("NOT PRIVATE")
    assert result.evidence["waiver_reason"] == "public corpus without personal data"
