"""Provenance: the dataset declared where its records came from, under what licence and legal basis."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, model_validator

from govern.config_models import StrictInt
from govern.consent.legal_basis import basis_problem, canonical_basis
from govern.errors import BadInput
from govern.licenses import expression_problem, normalize_term, permits
from govern.policy.facts import SnapshotFacts, format_time
from govern.policy.rules.base import (
    ConfigPath,
    EvaluationContext,
    Name,
    RuleConfig,
    RuleFamily,
    RuleResult,
    Unique,
    at_least_one_key,
    register,
)

PROVENANCE_FIELDS = (
    "source",
    "license",
    "legal_basis",
    "jurisdiction",
    "collected_at",
    "registered_at",
    "declared_fields",
)
ProvenanceField = Literal[PROVENANCE_FIELDS]  # type: ignore[valid-type]


class LicenseLists(RuleConfig):
    """rules.provenance.licenses: at least one of allow and deny."""

    allow: Unique[Name] | None = None
    deny: Unique[Name] | None = None
    _at_least_one = model_validator(mode="after")(at_least_one_key)


class ProvenanceConfig(RuleConfig):
    """rules.provenance."""

    required_fields: Unique[ProvenanceField] | None = None
    licenses: LicenseLists | None = None
    legal_bases: Unique[Name] | None = None
    jurisdictions: Unique[Name] | None = None
    max_age_days: StrictInt | None = Field(None, ge=1)


@register
class ProvenanceRules(RuleFamily):
    """Required provenance fields, SPDX licence allow/deny lists, legal bases, jurisdictions, data age."""

    name = "provenance"
    phase = "data"
    summary = "the dataset's declared source, licence, legal basis, jurisdiction and age"
    checks = ("required_fields", "license", "legal_basis", "jurisdiction", "max_age")
    config_model = ProvenanceConfig

    def config_problems(self) -> list[tuple[ConfigPath, str]]:
        problems: list[tuple[ConfigPath, str]] = []
        licenses = self.config.get("licenses", {})
        normalized: dict[str, set[str]] = {"allow": set(), "deny": set()}
        for side in ("allow", "deny"):
            for index, name in enumerate(licenses.get(side, [])):
                try:
                    normalized[side].add(normalize_term(name, f"licenses.{side}[{index}]").lower())
                except BadInput as error:
                    problems.append((("licenses", side, index), str(error)))
        for index, name in enumerate(self.config.get("legal_bases", [])):
            problem = basis_problem(name, f"legal_bases[{index}]")
            if problem is not None:
                problems.append((("legal_bases", index), problem))
        for name in sorted(normalized["allow"] & normalized["deny"]):
            problems.append(
                (("licenses",), f"{name!r} is both allowed and denied; keep it in one list")
            )
        return problems

    def evaluate(self, facts: SnapshotFacts, ctx: EvaluationContext) -> list[RuleResult]:
        p = facts.provenance
        results: list[RuleResult] = []
        if "required_fields" in self.config:
            required = list(self.config["required_fields"])
            missing = [name for name in required if p.get(name) in (None, "", ())]
            if missing:
                results.append(
                    self.result(
                        "required_fields",
                        "fail",
                        f"dataset {facts.dataset_id} does not declare {', '.join(missing)}; "
                        "declare them in the dataset's provenance and check again",
                        missing=missing,
                        required=required,
                    )
                )
            else:
                results.append(
                    self.result(
                        "required_fields",
                        "pass",
                        "every required field is declared",
                        required=required,
                    )
                )
        if "licenses" in self.config:
            results.append(self._license(facts))
        if "legal_bases" in self.config:
            allowed = list(self.config["legal_bases"])
            basis = p.legal_basis
            canonical = canonical_basis(basis)
            ok = canonical is not None and canonical in {canonical_basis(b) for b in allowed}
            results.append(
                self.result(
                    "legal_basis",
                    "pass" if ok else "fail",
                    f"legal basis {basis!r} is allowed"
                    if ok
                    else f"legal basis {basis!r} is not one this pack allows ({', '.join(allowed)}); "
                    "declare the basis the data was collected under, or use a pack that allows it",
                    legal_basis=basis,
                    allowed=allowed,
                )
            )
        if "jurisdictions" in self.config:
            allowed = list(self.config["jurisdictions"])
            place = p.jurisdiction
            ok = place is not None and any(
                place.upper() == a.upper() or place.upper().startswith(a.upper() + "-")
                for a in allowed
            )
            results.append(
                self.result(
                    "jurisdiction",
                    "pass" if ok else "fail",
                    f"jurisdiction {place!r} is allowed"
                    if ok
                    else f"jurisdiction {place!r} is not one this pack covers ({', '.join(allowed)}); "
                    "use a pack written for that jurisdiction",
                    jurisdiction=place,
                    allowed=allowed,
                )
            )
        if "max_age_days" in self.config:
            results.append(self._age(facts, ctx))
        return results

    def _license(self, facts: SnapshotFacts) -> RuleResult:
        config = self.config["licenses"]
        allow = [normalize_term(n, "allow") for n in config["allow"]] if "allow" in config else None
        deny = [normalize_term(n, "deny") for n in config.get("deny", [])]
        evidence: dict[str, Any] = {"license": facts.provenance.license}
        if allow is not None:
            evidence["allow"] = allow
        if deny:
            evidence["deny"] = deny
        expression = facts.provenance.license
        if not expression:
            return self.result(
                "license",
                "fail",
                "the dataset declares no licence; declare its SPDX id",
                **evidence,
            )
        problem = expression_problem(expression, "the dataset's licence")
        if problem is not None:
            return self.result(
                "license",
                "fail",
                f"{problem}; amend the dataset's licence to the SPDX expression that applies",
                **evidence,
            )
        ok, blocked = permits(expression, allow, deny)
        if ok:
            return self.result("license", "pass", f"licence {expression!r} is allowed", **evidence)
        denied_names = {name.lower() for name in deny}
        denied = [
            term
            for term in blocked
            if {term.lower(), term.split(" WITH ")[0].lower()} & denied_names
        ]
        why = (
            f"{', '.join(denied)} is on the deny list"
            if denied
            else f"{', '.join(blocked)} is not on the allow list"
        )
        return self.result(
            "license",
            "fail",
            f"licence {expression!r} is not usable: {why}; use data under an allowed licence "
            "or get the pack owner to allow this one",
            blocked=blocked,
            **evidence,
        )

    def _age(self, facts: SnapshotFacts, ctx: EvaluationContext) -> RuleResult:
        limit = int(self.config["max_age_days"])
        collected = facts.provenance.collected_at
        if collected is None:
            return self.result(
                "max_age",
                "fail",
                "the dataset declares no collected_at, so its age is unknown; declare when it was collected",
                max_age_days=limit,
            )
        expires = collected + timedelta(days=limit)
        evidence = {
            "collected_at": format_time(collected),
            "max_age_days": limit,
            "expires_at": format_time(expires),
        }
        if ctx.now > expires:
            return self.result(
                "max_age",
                "fail",
                f"the data is older than {limit} days (collected {format_time(collected)}, "
                f"expired {format_time(expires)}); collect fresh data or retire this dataset",
                **evidence,
            )
        return self.result(
            "max_age", "pass", f"the data is within {limit} days of collection", **evidence
        )
