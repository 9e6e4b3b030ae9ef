"""Synthetic-data rules: a declared generator, an optional allow list, and a maximum share."""

from __future__ import annotations

from govern.policy import evaluate

SYNTHETIC = {"require_generator": True, "max_share": 0.25, "allowed_generators": ["acme-synth 2.1"]}


def test_no_synthetic_records_means_the_generator_rule_does_not_apply(
    pack_from, clean_facts, now
) -> None:
    decision = evaluate(pack_from(synthetic=SYNTHETIC), clean_facts, now)
    assert decision.result("synthetic.generator").status == "not_applicable"
    assert decision.result("synthetic.share").status == "pass"


def test_synthetic_records_without_a_declared_generator_fail(pack_from, facts_with, now) -> None:
    facts = facts_with(provenance={"synthetic_record_count": 100})
    result = evaluate(pack_from(synthetic=SYNTHETIC), facts, now).result("synthetic.generator")
    assert result.status == "fail"
    assert "declare the generator" in result.message


def test_a_generator_outside_the_allow_list_fails(pack_from, facts_with, now) -> None:
    facts = facts_with(
        provenance={"synthetic_record_count": 100, "synthetic_generator": "homebrew 0.1"}
    )
    assert (
        evaluate(pack_from(synthetic=SYNTHETIC), facts, now).result("synthetic.generator").status
        == "fail"
    )


def test_a_declared_allowed_generator_within_the_share_passes(pack_from, facts_with, now) -> None:
    facts = facts_with(
        provenance={"synthetic_record_count": 250, "synthetic_generator": "acme-synth 2.1"}
    )
    decision = evaluate(pack_from(synthetic=SYNTHETIC), facts, now)
    assert decision.passed
    assert decision.result("synthetic.share").evidence == {
        "synthetic_records": 250,
        "records": 1000,
        "share": 0.25,
        "max_share": 0.25,
    }


def test_too_large_a_synthetic_share_fails(pack_from, facts_with, now) -> None:
    facts = facts_with(
        provenance={"synthetic_record_count": 251, "synthetic_generator": "acme-synth 2.1"}
    )
    result = evaluate(pack_from(synthetic=SYNTHETIC), facts, now).result("synthetic.share")
    assert result.status == "fail"
    assert "25.1%" in result.message
