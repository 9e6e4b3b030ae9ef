"""Provenance rules: required fields, SPDX allow/deny, legal basis, jurisdiction, maximum age."""

from __future__ import annotations

import pytest

from govern.policy import evaluate

PROVENANCE = {
    "required_fields": ["source", "license", "legal_basis", "jurisdiction", "collected_at"],
    "licenses": {
        "allow": ["MIT", "Apache-2.0", "LicenseRef-consented-internal"],
        "deny": ["CC-BY-NC-4.0"],
    },
    "legal_bases": ["consent"],
    "jurisdictions": ["EU", "US"],
    "max_age_days": 365,
}


def test_declared_provenance_passes_every_rule(pack_from, clean_facts, now) -> None:
    decision = evaluate(pack_from(provenance=PROVENANCE), clean_facts, now)
    assert {r.rule: r.status for r in decision.results} == {
        "provenance.required_fields": "pass",
        "provenance.license": "pass",
        "provenance.legal_basis": "pass",
        "provenance.jurisdiction": "pass",
        "provenance.max_age": "pass",
    }
    assert decision.passed


def test_missing_fields_fail_and_are_listed(pack_from, facts_with, now) -> None:
    facts = facts_with(provenance={"source": None, "collected_at": None})
    result = evaluate(pack_from(provenance=PROVENANCE), facts, now).result(
        "provenance.required_fields"
    )
    assert result.status == "fail"
    assert result.evidence["missing"] == ["source", "collected_at"]
    assert "declare them" in result.message


@pytest.mark.parametrize(
    ("license", "status"),
    [
        ("MIT", "pass"),
        ("mit", "pass"),  # SPDX ids are case-insensitive
        ("CC-BY-NC-4.0", "fail"),
        ("GPL-3.0-only", "fail"),  # not on the allow list
        ("GPL-3.0-only OR MIT", "pass"),
        ("MIT AND CC-BY-NC-4.0", "fail"),
        ("MIT AND Apache-2.0", "pass"),
        ("(MIT OR GPL-3.0-only) AND Apache-2.0", "pass"),  # MIT satisfies the OR
        ("(GPL-3.0-only OR CC-BY-NC-4.0) AND Apache-2.0", "fail"),  # nothing satisfies the OR
        ("MIT AND (Apache-2.0 OR CC-BY-NC-4.0)", "pass"),
        ("Apache-2.0 WITH LLVM-exception", "pass"),  # its licence is allowed
        ("LicenseRef-consented-internal", "pass"),
        ("CC-BY-4", "fail"),  # not an SPDX id: refused, never guessed
        ("Proprietary", "fail"),
        (None, "fail"),
    ],
)
def test_licences_are_checked_against_the_allow_and_deny_lists(
    pack_from, facts_with, now, license, status
) -> None:
    facts = facts_with(provenance={"license": license})
    result = evaluate(pack_from(provenance=PROVENANCE), facts, now).result("provenance.license")
    assert result.status == status, result.message


def test_a_denied_licence_says_which_list_blocked_it(pack_from, facts_with, now) -> None:
    facts = facts_with(provenance={"license": "CC-BY-NC-4.0"})
    result = evaluate(pack_from(provenance=PROVENANCE), facts, now).result("provenance.license")
    assert result.evidence["blocked"] == ["CC-BY-NC-4.0"]
    assert "deny list" in result.message


def test_an_invalid_licence_fails_and_names_the_closest_spdx_id(pack_from, facts_with, now) -> None:
    facts = facts_with(provenance={"license": "CC-BY-4"})
    result = evaluate(pack_from(provenance=PROVENANCE), facts, now).result("provenance.license")
    assert result.status == "fail"
    assert "not an SPDX licence id" in result.message
    assert "did you mean CC-BY-4.0?" in result.message


def test_the_pack_lists_compare_in_spdx_spelling(pack_from, facts_with, now) -> None:
    pack = pack_from(provenance={"licenses": {"allow": ["gpl-2.0+"]}})
    facts = facts_with(provenance={"license": "GPL-2.0-or-later"})
    result = evaluate(pack, facts, now).result("provenance.license")
    assert result.status == "pass", result.message
    assert result.evidence["allow"] == ["GPL-2.0-or-later"]


def test_without_an_allow_list_anything_not_denied_passes(pack_from, facts_with, now) -> None:
    pack = pack_from(provenance={"licenses": {"deny": ["CC-BY-NC-4.0"]}})
    assert evaluate(pack, facts_with(provenance={"license": "GPL-3.0-only"}), now).passed
    assert evaluate(pack, facts_with(provenance={"license": "CC-BY-NC-4.0"}), now).failed


def test_a_legal_basis_outside_the_list_fails(pack_from, facts_with, now) -> None:
    facts = facts_with(provenance={"legal_basis": "legitimate_interests"})
    result = evaluate(pack_from(provenance=PROVENANCE), facts, now).result("provenance.legal_basis")
    assert result.status == "fail"
    assert result.evidence == {"legal_basis": "legitimate_interests", "allowed": ["consent"]}


@pytest.mark.parametrize(
    ("place", "status"),
    [("EU-DE", "pass"), ("US", "pass"), ("USA", "fail"), ("GB", "fail"), (None, "fail")],
)
def test_a_jurisdiction_matches_its_region_or_a_subdivision(
    pack_from, facts_with, now, place, status
) -> None:
    result = evaluate(
        pack_from(provenance=PROVENANCE), facts_with(provenance={"jurisdiction": place}), now
    )
    assert result.result("provenance.jurisdiction").status == status


def test_data_past_its_maximum_age_fails_with_the_expiry_date(pack_from, facts_with, now) -> None:
    facts = facts_with(provenance={"collected_at": "2024-05-01"})
    result = evaluate(pack_from(provenance=PROVENANCE), facts, now).result("provenance.max_age")
    assert result.status == "fail"
    assert result.evidence == {
        "collected_at": "2024-05-01T00:00:00Z",
        "max_age_days": 365,
        "expires_at": "2025-05-01T00:00:00Z",
    }


def test_unknown_collection_date_fails_the_age_rule(pack_from, facts_with, now) -> None:
    facts = facts_with(provenance={"collected_at": None})
    assert (
        evaluate(pack_from(provenance={"max_age_days": 30}), facts, now)
        .result("provenance.max_age")
        .status
        == "fail"
    )


def test_unconfigured_checks_are_not_reported(pack_from, clean_facts, now) -> None:
    decision = evaluate(pack_from(provenance={"legal_bases": ["consent"]}), clean_facts, now)
    assert [r.rule for r in decision.results] == ["provenance.legal_basis"]
