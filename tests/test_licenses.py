"""SPDX licence expressions: validated and normalised by license-expression, evaluated as a tree."""

from __future__ import annotations

import dataclasses

import pytest

from govern.errors import BadInput
from govern.licenses import expression_problem, normalize, normalize_term, permits


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("MIT", "MIT"),
        ("mit or apache-2.0", "MIT OR Apache-2.0"),
        ("(MIT OR Apache-2.0) AND CC-BY-4.0", "(MIT OR Apache-2.0) AND CC-BY-4.0"),
        ("GPL-2.0+", "GPL-2.0-or-later"),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception"),
        ("LicenseRef-consented-internal", "LicenseRef-consented-internal"),
        ("DocumentRef-vendor:LicenseRef-terms-2024", "DocumentRef-vendor:LicenseRef-terms-2024"),
        ("  MIT   AND\tCC0-1.0 ", "MIT AND CC0-1.0"),
    ],
)
def test_valid_expressions_are_normalised_to_spdx_spelling(given: str, canonical: str) -> None:
    assert normalize(given, "--license") == canonical


@pytest.mark.parametrize(
    ("given", "why"),
    [
        ("CC-BY-4", "'CC-BY-4' (did you mean CC-BY-4.0?) is not an SPDX licence id"),
        ("Proprietary", "'Proprietary' is not an SPDX licence id"),
        ("MIT OR", "is not a valid SPDX licence expression"),
        ("MIT AND (Apache-2.0", "is not a valid SPDX licence expression"),
        ("MIT WITH MIT", "is not a valid SPDX licence expression"),
        ("LLVM-exception", "is not a valid SPDX licence expression"),
        ("MIT/Apache-2.0", "is not a valid SPDX licence expression"),
        ("licenseref-lowercase", "is not an SPDX licence id"),
        ("", "no licence given"),
    ],
)
def test_invalid_expressions_are_refused_naming_the_field(given: str, why: str) -> None:
    with pytest.raises(BadInput) as caught:
        normalize(given, "--license")
    assert str(caught.value).startswith("--license")
    assert why in str(caught.value)
    assert expression_problem(given, "--license") == str(caught.value)


def test_a_list_entry_must_be_one_licence() -> None:
    assert normalize_term("apache-2.0 with llvm-exception", "allow") == (
        "Apache-2.0 WITH LLVM-exception"
    )
    with pytest.raises(BadInput, match=r"allow 'MIT OR Apache-2\.0' is an expression"):
        normalize_term("MIT OR Apache-2.0", "allow")


@pytest.mark.parametrize(
    ("expression", "ok", "blocked"),
    [
        ("(MIT OR GPL-3.0-only) AND CC-BY-4.0", True, ["GPL-3.0-only"]),
        ("(GPL-3.0-only OR CC-BY-NC-4.0) AND MIT", False, ["GPL-3.0-only", "CC-BY-NC-4.0"]),
        ("MIT AND CC-BY-NC-4.0", False, ["CC-BY-NC-4.0"]),
        ("MIT WITH Classpath-exception-2.0 OR GPL-3.0-only", True, ["GPL-3.0-only"]),
    ],
)
def test_an_expression_passes_when_allowed_terms_can_satisfy_it(
    expression: str, ok: bool, blocked: list[str]
) -> None:
    assert permits(expression, allow={"MIT", "CC-BY-4.0"}, deny={"CC-BY-NC-4.0"}) == (ok, blocked)


def test_a_denied_exception_term_blocks_even_when_its_licence_is_allowed() -> None:
    assert permits("MIT WITH Classpath-exception-2.0", None, {"mit"}) == (
        False,
        ["MIT WITH Classpath-exception-2.0"],
    )


def test_dataset_registration_refuses_a_bad_licence_and_stores_the_normal_form(
    fresh_workspace, engineer, dataset_spec, sample_file
) -> None:  # type: ignore[no-untyped-def]
    from govern.ingest.datasets import add_dataset, amend_provenance

    bad = dataclasses.replace(dataset_spec, license="Proprietary")
    with pytest.raises(BadInput, match="--license 'Proprietary'"):
        add_dataset(fresh_workspace, engineer, bad, sample_file)
    spelled = dataclasses.replace(dataset_spec, license="(mit or apache-2.0) and cc-by-4.0")
    added = add_dataset(fresh_workspace, engineer, spelled, sample_file)
    assert added.dataset.license == "(MIT OR Apache-2.0) AND CC-BY-4.0"
    with pytest.raises(BadInput, match=r"CC-BY-4.*did you mean CC-BY-4\.0"):
        amend_provenance(fresh_workspace, engineer, "support", "license", "CC-BY-4", "typo")
    row = amend_provenance(fresh_workspace, engineer, "support", "license", "cc0-1.0", "relicensed")
    assert row.value == "CC0-1.0"
