"""Consent rules: the purpose must be granted; missing grants fail, or list records to exclude."""

from __future__ import annotations

from govern.policy import evaluate

MISSING = [
    {
        "purpose": "model_training",
        "records_with_grant": 997,
        "records_without_grant": ["rec-9", "rec-1", "rec-5"],
    }
]


def test_full_coverage_passes_with_counts_as_evidence(pack_from, clean_facts, now) -> None:
    result = evaluate(pack_from(consent={"purpose": "model_training"}), clean_facts, now).result(
        "consent.coverage"
    )
    assert result.status == "pass"
    assert result.evidence["records_with_grant"] == 1000
    assert result.evidence["records_without_grant"] == 0


def test_records_without_a_grant_fail_and_are_named_by_record_id(
    pack_from, facts_with, now
) -> None:
    decision = evaluate(
        pack_from(consent={"purpose": "model_training"}), facts_with(consent=MISSING), now
    )
    result = decision.result("consent.coverage")
    assert result.status == "fail"
    assert result.evidence["record_ids"] == ["rec-1", "rec-5", "rec-9"]
    assert result.evidence["records_without_grant"] == 3
    assert decision.excluded_record_ids == ()


def test_exclude_mode_lists_the_record_ids_to_leave_out(pack_from, facts_with, now) -> None:
    pack = pack_from(consent={"purpose": "model_training", "on_missing": "exclude"})
    decision = evaluate(pack, facts_with(consent=MISSING), now)
    assert decision.excluded_record_ids == ("rec-1", "rec-5", "rec-9")
    # the snapshot that still holds them does not pass; the derived one without them does
    assert decision.result("consent.coverage").status == "fail"
    assert "govern consent filter snap-anon-1" in decision.result("consent.coverage").message


def test_the_derived_snapshot_without_the_excluded_records_passes(
    pack_from, facts_with, now
) -> None:
    pack = pack_from(consent={"purpose": "model_training", "on_missing": "exclude"})
    derived = facts_with(
        snapshot_id="snap-consented",
        parent_id="snap-anon-1",
        transform="exclude_records",
        record_count=997,
        consent=[
            {"purpose": "model_training", "records_with_grant": 997, "records_without_grant": []}
        ],
    )
    decision = evaluate(pack, derived, now)
    assert decision.passed and decision.excluded_record_ids == ()


def test_evidence_samples_at_most_twenty_record_ids(pack_from, facts_with, now) -> None:
    ids = [f"rec-{i:04d}" for i in range(100)]
    facts = facts_with(
        consent=[
            {"purpose": "model_training", "records_with_grant": 900, "records_without_grant": ids}
        ]
    )
    decision = evaluate(
        pack_from(consent={"purpose": "model_training", "on_missing": "exclude"}), facts, now
    )
    assert len(decision.result("consent.coverage").evidence["record_ids"]) == 20
    assert len(decision.excluded_record_ids) == 100


def test_coverage_for_another_purpose_does_not_count(pack_from, facts_with, now) -> None:
    facts = facts_with(
        consent=[{"purpose": "analytics", "records_with_grant": 1000, "records_without_grant": []}]
    )
    result = evaluate(pack_from(consent={"purpose": "model_training"}), facts, now).result(
        "consent.coverage"
    )
    assert result.status == "fail"
    assert "govern consent import" in result.message


def test_consent_can_apply_only_under_some_legal_bases(pack_from, facts_with, now) -> None:
    pack = pack_from(consent={"purpose": "model_training", "applies_to_legal_bases": ["consent"]})
    facts = facts_with(provenance={"legal_basis": "contract"}, consent=MISSING)
    decision = evaluate(pack, facts, now)
    assert decision.result("consent.coverage").status == "not_applicable"
    assert decision.passed
