"""One legal-basis vocabulary: datasets declare from it, packs name from it, aliases are explicit."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import yaml

from govern.consent.legal_basis import (
    ALIASES,
    LEGAL_BASES,
    basis_problem,
    canonical_basis,
    require_basis,
)
from govern.errors import BadInput
from govern.ingest.datasets import DatasetSpec
from govern.policy import list_packs, load_pack, validate_pack_text
from govern.policy.pack import default_policies_dir
from govern.policy.testing import merge_facts

GDPR_ARTICLE_6 = {
    "consent",
    "contract",
    "legal_obligation",
    "vital_interests",
    "public_task",
    "legitimate_interests",
}


def test_the_vocabulary_holds_the_six_gdpr_bases_and_documented_us_terms() -> None:
    assert set(LEGAL_BASES) >= GDPR_ARTICLE_6
    assert {"authorization", "treatment_payment_operations", "opt_out_not_exercised"} <= set(
        LEGAL_BASES
    )
    assert all(basis.citation for basis in LEGAL_BASES.values())


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("legitimate_interest", "legitimate_interests"),
        ("Legitimate-Interests", "legitimate_interests"),
        ("hipaa_tpo", "treatment_payment_operations"),
        ("hipaa_authorization", "authorization"),
        (" consent ", "consent"),
        ("legitimate", None),  # a prefix is not a basis: nothing is guessed
        ("notice", None),
        (None, None),
    ],
)
def test_aliases_map_only_where_listed(given: str | None, canonical: str | None) -> None:
    assert canonical_basis(given) == canonical


def test_every_alias_points_at_a_basis() -> None:
    assert set(ALIASES.values()) <= set(LEGAL_BASES)
    assert not set(ALIASES) & set(LEGAL_BASES)


def test_an_unknown_basis_is_refused_naming_the_field_and_the_choices() -> None:
    with pytest.raises(BadInput) as caught:
        require_basis("legitimate", "--legal-basis")
    message = str(caught.value)
    assert message.startswith("--legal-basis 'legitimate' is not a legal basis")
    assert "legitimate_interests" in message and "opt_out_not_exercised" in message
    assert basis_problem("consent", "--legal-basis") is None


def test_a_dataset_declares_a_basis_from_the_vocabulary_stored_in_canonical_form(
    fresh_workspace, engineer, dataset_spec, sample_file
) -> None:  # type: ignore[no-untyped-def]
    from govern.ingest.datasets import add_dataset, amend_provenance

    bad = dataclasses.replace(dataset_spec, legal_basis="because")
    assert any(p.startswith("--legal-basis 'because'") for p in bad.problems())
    with pytest.raises(BadInput, match="--legal-basis 'because'"):
        add_dataset(fresh_workspace, engineer, bad, sample_file)
    spelled = dataclasses.replace(dataset_spec, legal_basis="legitimate_interest")
    assert add_dataset(fresh_workspace, engineer, spelled, sample_file).dataset.legal_basis == (
        "legitimate_interests"
    )
    row = amend_provenance(fresh_workspace, engineer, "support", "legal_basis", "Contract", "fix")
    assert row.value == "contract"
    with pytest.raises(BadInput, match="--legal-basis 'notice'"):
        amend_provenance(fresh_workspace, engineer, "support", "legal_basis", "notice", "typo")


PACK = """\
name: small
version: "1.0.0"
description: d
disclaimer: not legal advice
rules:
  provenance:
    legal_bases: [consent, legitimate_intrests]
  consent:
    purpose: model_training
    applies_to_legal_bases: [consnet]
"""


def test_a_pack_naming_an_unknown_basis_is_refused_with_its_line() -> None:
    _, violations = validate_pack_text(PACK, "small.yaml")
    found = {(v.line, v.key): v.message for v in violations}
    assert "legitimate_intrests" in found[(7, "rules.provenance.legal_bases.1")]
    assert "consnet" in found[(10, "rules.consent.applies_to_legal_bases.0")]


def _passing_cases(pack_name: str) -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = []
    for suite_path in sorted((default_policies_dir() / "tests" / pack_name).glob("*.yaml")):
        suite = yaml.safe_load(suite_path.read_text())
        for case in suite["cases"]:
            if case["expect"].get("outcome") == "pass":
                facts.append(merge_facts(suite.get("base_facts", {}), case.get("facts", {})))
    return facts


@pytest.mark.parametrize("pack_name", [Path(p).stem for p in list_packs()])
def test_every_shipped_pack_has_a_passing_case_a_real_dataset_could_declare(
    pack_name: str,
) -> None:
    pack = load_pack(pack_name)
    rules = pack.rules
    for name in rules["provenance"].get("legal_bases", []):
        assert name in LEGAL_BASES, f"{pack_name} names {name!r}, not its canonical spelling"
    for name in rules["consent"].get("applies_to_legal_bases", []):
        assert name in LEGAL_BASES
    cases = _passing_cases(pack_name)
    assert cases, f"{pack_name} has no case whose expected outcome is pass"
    for facts in cases:
        provenance = facts["provenance"]
        spec = DatasetSpec(
            name="from-case",
            source=provenance["source"],
            license=provenance["license"],
            legal_basis=provenance["legal_basis"],
            subject_field="subject",
            text_fields=tuple(provenance["declared_fields"]),
            jurisdiction=provenance["jurisdiction"],
            collected_at=str(provenance["collected_at"]),
        )
        assert spec.problems() == []
