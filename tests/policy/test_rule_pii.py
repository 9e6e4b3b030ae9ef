"""PII rules: a scan must exist; a raw snapshot with PII fails until anonymized; residual limits."""

from __future__ import annotations

from govern.policy import evaluate

PII = {
    "score_threshold": 0.5,
    "required_entity_types": ["PERSON", "EMAIL_ADDRESS"],
    "allowed_residuals": {"PERSON": 2},
    "ignore_entity_types": ["ORGANIZATION"],
}
EMAILS = [
    {"entity_type": "EMAIL_ADDRESS", "field": "text", "count": 40},
    {"entity_type": "EMAIL_ADDRESS", "field": "subject", "count": 2},
    {"entity_type": "ORGANIZATION", "field": "text", "count": 99},
]


def raw(facts_with, findings):
    return facts_with(
        snapshot_id="snap-raw-1",
        parent_id=None,
        transform=None,
        anonymized=False,
        pii_scan={"findings": findings},
    )


def test_a_raw_snapshot_with_pii_fails_until_anonymized(pack_from, facts_with, now) -> None:
    decision = evaluate(pack_from(pii=PII), raw(facts_with, EMAILS), now)
    result = decision.result("pii.raw_snapshot")
    assert result.status == "fail"
    assert result.evidence["findings"] == {"EMAIL_ADDRESS": 42}
    assert result.evidence["findings_by_field"] == {"EMAIL_ADDRESS": {"text": 40, "subject": 2}}
    assert "govern anonymize snap-raw-1" in result.message
    assert decision.result("pii.residuals").status == "not_applicable"


def test_the_anonymized_snapshot_passes_with_allowed_residuals(pack_from, facts_with, now) -> None:
    facts = facts_with(
        pii_scan={"findings": [{"entity_type": "PERSON", "field": "text", "count": 2}]}
    )
    decision = evaluate(pack_from(pii=PII), facts, now)
    assert decision.result("pii.raw_snapshot").status == "not_applicable"
    residuals = decision.result("pii.residuals")
    assert residuals.status == "pass"
    assert residuals.evidence["residuals"] == {"PERSON": 2}
    assert residuals.evidence["allowed"] == {"PERSON": 2}


def test_residuals_over_the_limit_fail_and_name_the_entity_type(pack_from, facts_with, now) -> None:
    findings = [
        {"entity_type": "PERSON", "field": "text", "count": 3},
        {"entity_type": "EMAIL_ADDRESS", "field": "text", "count": 1},
    ]
    result = evaluate(pack_from(pii=PII), facts_with(pii_scan={"findings": findings}), now).result(
        "pii.residuals"
    )
    assert result.status == "fail"
    assert result.evidence["over_limit"] == ["EMAIL_ADDRESS", "PERSON"]
    assert "PERSON 3 (allowed 2)" in result.message


def test_a_raw_snapshot_the_scan_found_clean_passes(pack_from, facts_with, now) -> None:
    decision = evaluate(pack_from(pii=PII), raw(facts_with, []), now)
    assert decision.result("pii.raw_snapshot").status == "pass"


def test_no_scan_fails_and_says_to_run_one(pack_from, facts_with, now) -> None:
    decision = evaluate(pack_from(pii=PII), facts_with(pii_scan=None), now)
    assert {r.status for r in decision.results} == {"fail"}
    assert "govern scan snap-anon-1" in decision.result("pii.scan").message


def test_a_scan_less_sensitive_than_the_pack_fails(pack_from, facts_with, now) -> None:
    result = evaluate(
        pack_from(pii=PII), facts_with(pii_scan={"score_threshold": 0.8}), now
    ).result("pii.scan")
    assert result.status == "fail"
    assert "rescan with a threshold of 0.5 or less" in result.message


def test_a_scan_that_skipped_a_required_entity_type_fails(pack_from, facts_with, now) -> None:
    result = evaluate(
        pack_from(pii=PII), facts_with(pii_scan={"entity_types": ["PERSON"]}), now
    ).result("pii.scan")
    assert result.status == "fail"
    assert result.evidence["entity_types_not_scanned"] == ["EMAIL_ADDRESS"]
    assert result.evidence["scan_config_hash"] == "cc" * 32


def test_pii_evidence_holds_counts_and_never_values(pack_from, facts_with, now) -> None:
    import json

    decision = evaluate(pack_from(pii=PII), raw(facts_with, EMAILS), now)
    text = json.dumps(decision.to_dict())
    assert "@" not in text
