"""Pack format: schema and semantic errors name file, line and key; identity is the content hash."""

from __future__ import annotations

from pathlib import Path

import pytest

from govern.errors import BadInput, NotFound
from govern.policy import (
    RULE_FAMILIES,
    list_packs,
    load_pack,
    load_pack_text,
    pack_schema,
    validate_pack_text,
)
from govern.resources import shipped_dir

GOOD = """\
name: small
version: "1.0.0"
description: a small pack
disclaimer: an example, not legal advice
rules:
  consent:
    purpose: model_training
    on_missing: exclude
  dp:
    required: true
    max_epsilon_per_run: 8
  provenance: {}
  pii:
    score_threshold: 0.5
  synthetic:
    require_generator: true
  approvals:
    required_role: officer
"""


def test_a_valid_pack_loads_with_its_families_and_hash() -> None:
    pack = load_pack_text(GOOD, "small.yaml")
    assert pack.name == "small"
    assert sorted(f.name for f in pack.families) == [
        "approvals",
        "consent",
        "dp",
        "pii",
        "provenance",
        "synthetic",
    ]
    assert len(pack.hash) == 64
    assert pack.consent_purposes() == ["model_training"]
    assert pack.pii_score_threshold() == 0.5


def test_a_schema_error_names_the_file_line_and_key() -> None:
    text = GOOD.replace("on_missing: exclude", "on_missing: drop")
    with pytest.raises(BadInput) as caught:
        load_pack_text(text, "policies/small.yaml")
    message = str(caught.value)
    assert "policies/small.yaml, line 8, key rules.consent.on_missing" in message
    assert "'fail', 'exclude'" in message


def test_every_violation_is_reported_not_just_the_first() -> None:
    text = GOOD.replace("on_missing: exclude", "on_missing: drop").replace(
        "max_epsilon_per_run: 8", "max_epsilon_per_run: -1"
    )
    _, violations = validate_pack_text(text, "small.yaml")
    assert [(v.line, v.key) for v in violations] == [
        (8, "rules.consent.on_missing"),
        (11, "rules.dp.max_epsilon_per_run"),
    ]


def test_an_unknown_rule_family_is_named_with_its_line_and_the_known_families() -> None:
    text = GOOD + "  telepathy:\n    enabled: true\n"
    _, violations = validate_pack_text(text, "small.yaml")
    assert len(violations) == 1
    violation = violations[0]
    assert (violation.line, violation.key) == (GOOD.count("\n") + 1, "rules.telepathy")
    assert "unknown rule family 'telepathy'" in violation.message
    for name in RULE_FAMILIES:
        assert name in violation.message


def test_an_unknown_key_inside_a_family_is_named() -> None:
    text = GOOD.replace("    on_missing: exclude\n", "    on_missing: exclude\n    purpse: x\n")
    _, violations = validate_pack_text(text, "small.yaml")
    assert [(v.line, v.key) for v in violations] == [(9, "rules.consent.purpse")]
    assert "unknown key 'purpse'" in violations[0].message


def test_a_missing_required_key_names_the_key_and_its_parent_line() -> None:
    text = GOOD.replace("    purpose: model_training\n", "")
    _, violations = validate_pack_text(text, "small.yaml")
    assert [(v.line, v.key) for v in violations] == [(6, "rules.consent.purpose")]


def test_a_missing_disclaimer_is_an_error() -> None:
    text = GOOD.replace("disclaimer: an example, not legal advice\n", "")
    _, violations = validate_pack_text(text, "small.yaml")
    assert [v.key for v in violations] == ["disclaimer"]


def test_a_duplicate_key_is_an_error_with_its_line() -> None:
    text = GOOD.replace(
        "    on_missing: exclude\n", "    on_missing: exclude\n    on_missing: fail\n"
    )
    _, violations = validate_pack_text(text, "small.yaml")
    assert [(v.line, v.key) for v in violations] == [(9, "rules.consent.on_missing")]
    assert "twice" in violations[0].message


def test_a_yaml_syntax_error_names_the_line() -> None:
    with pytest.raises(BadInput, match=r"small.yaml, line \d+: not valid YAML"):
        load_pack_text(GOOD + "  dp: [unclosed\n", "small.yaml")


def test_semantic_problems_name_the_line_too() -> None:
    text = """\
name: small
version: "1.0.0"
description: d
disclaimer: not legal advice
rules:
  provenance:
    licenses:
      allow: [MIT, not a licence]
      deny: [MIT]
  dp:
    required: true
    max_epsilon_per_run: 20
    lifetime_epsilon_budget: 10
"""
    _, violations = validate_pack_text(text, "small.yaml")
    found = {(v.line, v.key) for v in violations}
    assert (8, "rules.provenance.licenses.allow.1") in found
    assert (7, "rules.provenance.licenses") in found  # MIT allowed and denied
    assert (12, "rules.dp.max_epsilon_per_run") in found


def test_the_pack_name_must_match_its_file_name(tmp_path: Path) -> None:
    path = tmp_path / "other.yaml"
    path.write_text(GOOD)
    with pytest.raises(BadInput, match=r"other.yaml, line 1, key name: .*'small'"):
        load_pack(path)


def test_loading_an_unknown_pack_by_name_lists_the_known_ones() -> None:
    with pytest.raises(NotFound, match="default"):
        load_pack("no-such-pack")


def test_the_pack_hash_ignores_key_order_whitespace_and_comments() -> None:
    reordered = """\
# a comment
rules:
  approvals: {required_role: officer}
  synthetic: {require_generator: true}
  pii: {score_threshold: 0.5}
  provenance: {}
  dp: {max_epsilon_per_run: 8,   required: true}
  consent:
    on_missing: exclude
    purpose: model_training
disclaimer: an example, not legal advice
description: a small pack
version: "1.0.0"
name: small
"""
    assert load_pack_text(reordered).hash == load_pack_text(GOOD).hash


def test_the_pack_hash_changes_when_any_value_changes() -> None:
    base = load_pack_text(GOOD).hash
    assert (
        load_pack_text(GOOD.replace("max_epsilon_per_run: 8", "max_epsilon_per_run: 7")).hash
        != base
    )
    assert load_pack_text(GOOD.replace("a small pack", "a small pack.")).hash != base


@pytest.mark.parametrize("path", list_packs(shipped_dir("policies")), ids=lambda p: p.stem)
def test_every_shipped_pack_validates_and_says_it_is_not_legal_advice(path: Path) -> None:
    pack = load_pack(path)
    assert "not legal advice" in pack.disclaimer.lower()
    assert {f.name for f in pack.families} == set(RULE_FAMILIES)
    if pack.name != "default":
        assert "EXAMPLE" in pack.disclaimer


def test_the_shipped_packs_are_the_four_the_issue_asks_for() -> None:
    assert [p.stem for p in list_packs()] == [
        "default",
        "gdpr-example",
        "hipaa-safe-harbor-example",
        "us-state-privacy-example",
    ]


def test_the_hipaa_example_maps_all_18_identifiers_and_names_those_without_a_recognizer() -> None:
    pii = load_pack("hipaa-safe-harbor-example").rules["pii"]
    identifiers = pii["identifiers"]
    assert len(identifiers) == 18
    without = [i["name"] for i in identifiers if not i["entity_types"]]
    assert len(without) == 4 and all(i.get("note") for i in identifiers if not i["entity_types"])


def test_the_pack_schema_is_assembled_from_the_registered_families() -> None:
    assert set(pack_schema()["properties"]["rules"]["properties"]) == set(RULE_FAMILIES)


@pytest.mark.parametrize("family", ["provenance", "consent", "pii", "synthetic", "dp", "approvals"])
def test_a_pack_that_leaves_out_a_family_is_refused_naming_it(family: str) -> None:
    """Regression (issue 10.2): a pack without `approvals` or `dp` needed no approval / no DP."""
    import yaml

    data = yaml.safe_load(GOOD)
    del data["rules"][family]
    _, violations = validate_pack_text(yaml.safe_dump(data), "small.yaml")
    assert [v.key for v in violations] == [f"rules.{family}"]
    assert "every pack configures the rule family" in violations[0].message


def test_approvals_by_another_role_or_without_separation_of_duties_are_refused() -> None:
    """Regression (issue 10.2): `required_role: engineer` with `separation_of_duties: false` let
    the engineer approve their own data."""
    text = GOOD.replace(
        "required_role: officer", "required_role: engineer\n    separation_of_duties: false"
    )
    _, violations = validate_pack_text(text, "small.yaml")
    assert sorted(v.key for v in violations) == [
        "rules.approvals.required_role",
        "rules.approvals.separation_of_duties",
    ]


def test_a_pack_may_waive_dp_only_with_a_stated_reason() -> None:
    silent = GOOD.replace("required: true", "required: false")
    _, violations = validate_pack_text(silent, "small.yaml")
    assert [v.key for v in violations] == ["rules.dp.waiver_reason"]
    waived = silent.replace(
        "required: false", "required: false\n    waiver_reason: public, non-personal corpus only"
    )
    assert load_pack_text(waived).family("dp").waiver == "public, non-personal corpus only"
