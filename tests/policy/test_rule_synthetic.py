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


# Issue 15: seeds, validation and review.
VALIDATED = {
    "require_generator": True,
    "require_validation": True,
    "near_duplicate_threshold": 0.8,
    "max_near_duplicate_rate": 0.02,
    "max_verbatim_copy_rate": 0.01,
    "max_divergence": 0.5,
    "min_review_pass_rate": 0.9,
    "review_confidence": 0.95,
    "review_margin": 0.1,
}
CONFIG = {
    "near_duplicate_threshold": 0.8,
    "verbatim_span_tokens": 8,
    "ngram": 2,
    "review_confidence": 0.95,
    "review_margin": 0.1,
}


def _synthetic_facts(facts_with, **synthetic):  # type: ignore[no-untyped-def]
    if "validation" in synthetic and synthetic["validation"] is None:
        return facts_with(
            provenance={"synthetic_record_count": 1000, "synthetic_generator": "llm@1"},
            synthetic={"generator": "llm@1", "seeds": [], "validation": None},
        )
    validation = {
        "validation_id": "v-1",
        "reference_snapshot_id": "snap-real",
        "config": CONFIG,
        "records": 1000,
        "near_duplicate_rate": 0.0,
        "verbatim_copy_rate": 0.0,
        "divergence": 0.2,
        "sample_size": 88,
        **synthetic.pop("validation", {}),
    }
    return facts_with(
        provenance={"synthetic_record_count": 1000, "synthetic_generator": "llm@1"},
        synthetic={
            "generator": "llm@1",
            "seeds": [{"snapshot_id": "snap-seed", "failed_rules": [], "record_ids": []}],
            "validation": validation,
            "review": {"reviewed": 88, "passed": 88},
            **synthetic,
        },
    )


def test_a_validated_reviewed_snapshot_passes_every_synthetic_check(
    pack_from, facts_with, now
) -> None:
    decision = evaluate(pack_from(synthetic=VALIDATED), _synthetic_facts(facts_with), now)
    assert not decision.failed, decision.failures
    review = decision.result("synthetic.review")
    assert review.status == "pass" and review.evidence["pass_rate_interval"][0] > 0.9


def test_copied_records_fail_with_the_synthetic_and_seed_record_ids_as_evidence(
    pack_from, facts_with, now
) -> None:
    facts = _synthetic_facts(
        facts_with,
        validation={
            "near_duplicate_rate": 0.03,
            "near_duplicate_ids": ["g-7", "g-9"],
            "near_duplicate_sources": ["s-1"],
        },
    )
    result = evaluate(pack_from(synthetic=VALIDATED), facts, now).result(
        "synthetic.near_duplicates"
    )
    assert result.status == "fail"
    assert result.evidence["record_ids"] == ["g-7", "g-9"]
    assert result.evidence["seed_record_ids"] == ["s-1"]


def test_a_seed_failing_consent_fails_its_synthetic_offspring(pack_from, facts_with, now) -> None:
    facts = _synthetic_facts(
        facts_with,
        seeds=[
            {
                "snapshot_id": "snap-seed",
                "failed_rules": ["consent.coverage"],
                "record_ids": ["s-3"],
            }
        ],
    )
    result = evaluate(pack_from(synthetic=VALIDATED), facts, now).result("synthetic.seeds")
    assert result.status == "fail"
    assert result.evidence["seeds_failing"][0]["record_ids"] == ["s-3"]


def test_a_validation_under_other_thresholds_or_none_is_not_relied_on(
    pack_from, facts_with, now
) -> None:
    stale = _synthetic_facts(
        facts_with, validation={"config": {**CONFIG, "near_duplicate_threshold": 0.95}}
    )
    decision = evaluate(pack_from(synthetic=VALIDATED), stale, now)
    assert decision.result("synthetic.validation").status == "fail"
    assert "other settings" in decision.result("synthetic.near_duplicates").message
    missing = _synthetic_facts(facts_with, validation=None)  # type: ignore[arg-type]
    assert (
        evaluate(pack_from(synthetic=VALIDATED), missing, now).result("synthetic.validation").status
        == "fail"
    )


def test_a_high_observed_pass_rate_on_too_small_a_sample_fails_the_lower_bound(
    pack_from, facts_with, now
) -> None:
    facts = _synthetic_facts(
        facts_with, validation={"sample_size": 10}, review={"reviewed": 10, "passed": 10}
    )
    result = evaluate(pack_from(synthetic=VALIDATED), facts, now).result("synthetic.review")
    assert result.status == "fail"  # 10/10 gives a Wilson lower bound of 72 % at 95 %
    assert result.evidence["pass_rate_interval"][0] < 0.9
