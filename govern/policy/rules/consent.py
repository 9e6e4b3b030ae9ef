"""Consent: every record's subject holds an active grant for the purpose, or the record goes."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from govern.config_models import StrictStr
from govern.consent.legal_basis import basis_problem, canonical_basis
from govern.policy.facts import SnapshotFacts
from govern.policy.rules.base import (
    ConfigPath,
    EvaluationContext,
    Name,
    RuleConfig,
    RuleFamily,
    RuleResult,
    Unique,
    register,
    sample,
)


class ConsentConfig(RuleConfig):
    """rules.consent."""

    purpose: Annotated[StrictStr, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    on_missing: Literal["fail", "exclude"] | None = None
    applies_to_legal_bases: Unique[Name] | None = Field(None, min_length=1)


@register
class ConsentRules(RuleFamily):
    """The purpose that must be granted, and what happens to records whose subject has no active grant.

    `on_missing: fail` fails the snapshot. `on_missing: exclude` fails it too, but lists the record
    ids in `Decision.excluded_record_ids` so the caller can derive a snapshot without them; that
    derived snapshot then passes. Either way a snapshot holding records without consent never passes.
    """

    name = "consent"
    phase = "data"
    summary = "active consent for the training purpose, per record"
    checks = ("coverage",)
    config_model = ConsentConfig

    def config_problems(self) -> list[tuple[ConfigPath, str]]:
        problems: list[tuple[ConfigPath, str]] = []
        for index, name in enumerate(self.config.get("applies_to_legal_bases", [])):
            problem = basis_problem(name, f"applies_to_legal_bases[{index}]")
            if problem is not None:
                problems.append((("applies_to_legal_bases", index), problem))
        return problems

    def _applies(self, basis: str | None) -> bool:
        """Whether consent is required under `basis`; an unknown basis is never exempt."""
        bases = self.config.get("applies_to_legal_bases")
        canonical = canonical_basis(basis)
        return bases is None or canonical is None or canonical in map(canonical_basis, bases)

    def evaluate(self, facts: SnapshotFacts, ctx: EvaluationContext) -> list[RuleResult]:
        purpose = self.config["purpose"]
        on_missing = self.config.get("on_missing", "fail")
        bases = self.config.get("applies_to_legal_bases")
        basis = facts.provenance.legal_basis
        if bases is not None and not self._applies(basis):
            return [
                self.result(
                    "coverage",
                    "not_applicable",
                    f"consent is required only under the legal bases {', '.join(bases)}; "
                    f"this dataset declares {basis!r}",
                    purpose=purpose,
                    legal_basis=basis,
                    applies_to_legal_bases=list(bases),
                )
            ]
        coverage = facts.consent_for(purpose)
        if coverage is None:
            return [
                self.result(
                    "coverage",
                    "fail",
                    f"no consent coverage for purpose {purpose!r} is known for this snapshot; "
                    "import the consent records (govern consent import FILE) and check again",
                    purpose=purpose,
                    records=facts.record_count,
                )
            ]
        missing = sorted(coverage.records_without_grant)
        evidence = {
            "purpose": purpose,
            "records": facts.record_count,
            "records_with_grant": coverage.records_with_grant,
            "records_without_grant": len(missing),
            "on_missing": on_missing,
        }
        if not missing:
            return [
                self.result(
                    "coverage", "pass", f"every subject has an active {purpose!r} grant", **evidence
                )
            ]
        evidence["record_ids"] = sample(missing)
        if on_missing == "exclude":
            message = (
                f"{len(missing)} records have no active {purpose!r} grant; this pack excludes them: derive a "
                f"snapshot without them (govern consent filter {facts.snapshot_id}) and check that one"
            )
        else:
            message = (
                f"{len(missing)} records have no active {purpose!r} grant; collect consent for their subjects, "
                f"or derive a snapshot without them (govern consent filter {facts.snapshot_id})"
            )
        return [self.result("coverage", "fail", message, **evidence)]

    def excluded_record_ids(self, facts: SnapshotFacts) -> list[str]:
        """Record ids the caller should leave out of a derived snapshot (only under on_missing: exclude)."""
        if self.config.get("on_missing", "fail") != "exclude":
            return []
        coverage = facts.consent_for(self.config["purpose"])
        if coverage is None:
            return []
        if not self._applies(facts.provenance.legal_basis):
            return []
        return sorted(coverage.records_without_grant)
