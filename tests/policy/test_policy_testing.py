"""`govern policy test` as a library: example cases beside each pack, with clear diffs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govern.errors import NotFound
from govern.policy import run_pack_tests
from govern.resources import shipped_dir


@pytest.fixture
def policies_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped policies folder with its example cases."""
    target = tmp_path / "policies"
    shutil.copytree(shipped_dir("policies"), target)
    return target


def test_every_shipped_pack_has_example_cases_and_they_all_pass() -> None:
    run = run_pack_tests()
    assert run.passed, run.report()
    assert run.packs_without_tests == ()
    assert {case.pack for case in run.cases} == {
        "default",
        "gdpr-example",
        "hipaa-safe-harbor-example",
        "us-state-privacy-example",
    }
    assert len(run.cases) >= 30


def test_one_pack_can_be_tested_alone() -> None:
    run = run_pack_tests(pack="gdpr-example")
    assert run.passed and {case.pack for case in run.cases} == {"gdpr-example"}


def test_an_unknown_pack_is_not_found() -> None:
    with pytest.raises(NotFound):
        run_pack_tests(pack="nope")


def test_a_wrong_expectation_fails_with_a_diff_naming_rule_expected_and_actual(
    policies_copy: Path,
) -> None:
    suite = policies_copy / "tests" / "default" / "cases.yaml"
    suite.write_text(
        suite.read_text().replace(
            "rules: {provenance.license: fail}", "rules: {provenance.license: pass}"
        )
    )
    run = run_pack_tests(policies_copy, pack="default")
    failed = [case for case in run.cases if not case.passed]
    assert [case.name for case in failed] == ["a non-commercial licence is denied"]
    (diff,) = failed[0].diffs
    assert diff.startswith(
        "provenance.license: expected pass, got fail: licence 'CC-BY-NC-4.0' is not usable"
    )
    assert failed[0].where.endswith(f"cases.yaml:{failed[0].line}")
    assert "FAIL default: a non-commercial licence is denied" in run.report()


def test_a_rule_the_pack_does_not_have_is_a_diff(policies_copy: Path) -> None:
    suite = policies_copy / "tests" / "default" / "cases.yaml"
    suite.write_text(
        suite.read_text().replace(
            "rules: {provenance.license: fail}", "rules: {provenance.licence: fail}"
        )
    )
    run = run_pack_tests(policies_copy, pack="default")
    (failed,) = [case for case in run.cases if not case.passed]
    assert (
        "provenance.licence: expected fail, but the pack does not configure this rule"
        in failed.diffs[0]
    )


def test_excluded_record_ids_and_evidence_mismatches_are_diffs(policies_copy: Path) -> None:
    suite = policies_copy / "tests" / "gdpr-example" / "cases.yaml"
    text = suite.read_text().replace(
        "excluded_record_ids: [msg-2, msg-31, msg-9]", "excluded_record_ids: [msg-2, msg-9]"
    )
    text = text.replace(
        "pii.residuals: {residuals: {LOCATION: 3}}", "pii.residuals: {residuals: {LOCATION: 4}}"
    )
    suite.write_text(text)
    diffs = [
        d for case in run_pack_tests(policies_copy, pack="gdpr-example").cases for d in case.diffs
    ]
    assert (
        "excluded_record_ids: expected ['msg-2', 'msg-9'], got ['msg-2', 'msg-31', 'msg-9'] (missing none, unexpected ['msg-31'])"
        in diffs
    )
    assert (
        "pii.residuals evidence residuals: expected {'LOCATION': 4}, got {'LOCATION': 3}" in diffs
    )


def test_bad_facts_in_a_case_are_an_error_naming_file_line_and_key(policies_copy: Path) -> None:
    suite = policies_copy / "tests" / "default" / "cases.yaml"
    suite.write_text(
        suite.read_text().replace(
            "provenance: {legal_basis: legitimate_interests}", "provenance: {legal_basis: 7}"
        )
    )
    run = run_pack_tests(policies_copy, pack="default")
    (error,) = [case for case in run.cases if case.status == "error"]
    line = next(
        i for i, text in enumerate(suite.read_text().splitlines(), 1) if "legal_basis: 7" in text
    )
    assert f"cases.yaml, line {line}, key cases." in error.diffs[0]
    assert ".facts.provenance.legal_basis: facts: 7 is not of type" in error.diffs[0]
    assert not run.passed


def test_a_pack_without_cases_is_reported(policies_copy: Path) -> None:
    shutil.rmtree(policies_copy / "tests" / "us-state-privacy-example")
    run = run_pack_tests(policies_copy)
    assert run.packs_without_tests == ("us-state-privacy-example",)
    assert "WARN us-state-privacy-example: no example cases" in run.report()


def test_cases_for_a_pack_that_does_not_exist_are_an_error(policies_copy: Path) -> None:
    (policies_copy / "tests" / "ghost").mkdir()
    run = run_pack_tests(policies_copy)
    assert [case.pack for case in run.cases if case.status == "error"] == ["ghost"]


def test_an_invalid_pack_is_an_error_not_a_crash(policies_copy: Path) -> None:
    pack = policies_copy / "default.yaml"
    pack.write_text(pack.read_text().replace("on_missing: fail", "on_missing: maybe"))
    run = run_pack_tests(policies_copy, pack=None)
    errors = [case for case in run.cases if case.status == "error"]
    assert [case.pack for case in errors] == ["default"]
    assert "key rules.consent.on_missing" in errors[0].diffs[0]


def test_the_run_counts_failed_cases_for_the_cli(policies_copy: Path) -> None:
    suite = policies_copy / "tests" / "default" / "cases.yaml"
    suite.write_text(
        suite.read_text().replace(
            "rules: {provenance.license: fail}", "rules: {provenance.license: pass}"
        )
    )
    run = run_pack_tests(policies_copy)
    assert not run.ok and run.failed == 1
    assert run.to_dict()["counts"]["fail"] == 1
