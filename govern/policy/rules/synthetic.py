"""Synthetic data: synthetic records name their generator, and make up no more than a set share."""

from __future__ import annotations

from typing import Any

from govern.policy.facts import SnapshotFacts
from govern.policy.rules.base import EvaluationContext, RuleFamily, RuleResult, register


@register
class SyntheticRules(RuleFamily):
    """A declared (optionally allow-listed) generator for synthetic records, and a maximum synthetic share."""

    name = "synthetic"
    phase = "data"
    summary = "declared generator and maximum share of synthetic records"
    checks = ("generator", "share")
    schema = {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {
            "require_generator": {"type": "boolean"},
            "allowed_generators": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "uniqueItems": True,
                "minItems": 1,
            },
            "max_share": {"type": "number", "minimum": 0, "maximum": 1},
        },
    }

    def evaluate(self, facts: SnapshotFacts, ctx: EvaluationContext) -> list[RuleResult]:
        p = facts.provenance
        synthetic = p.synthetic_record_count
        results: list[RuleResult] = []
        if self.config.get("require_generator", True) or "allowed_generators" in self.config:
            allowed = self.config.get("allowed_generators")
            evidence: dict[str, Any] = {
                "synthetic_records": synthetic,
                "generator": p.synthetic_generator,
            }
            if allowed is not None:
                evidence["allowed_generators"] = list(allowed)
            if synthetic == 0:
                results.append(
                    self.result(
                        "generator",
                        "not_applicable",
                        "the snapshot has no synthetic records",
                        **evidence,
                    )
                )
            elif not p.synthetic_generator:
                results.append(
                    self.result(
                        "generator",
                        "fail",
                        f"{synthetic} synthetic records but no generator is declared; declare the "
                        "generator (name and version) in the dataset's provenance",
                        **evidence,
                    )
                )
            elif allowed is not None and p.synthetic_generator not in allowed:
                results.append(
                    self.result(
                        "generator",
                        "fail",
                        f"generator {p.synthetic_generator!r} is not one this pack allows "
                        f"({', '.join(allowed)}); regenerate with an allowed one",
                        **evidence,
                    )
                )
            else:
                results.append(
                    self.result(
                        "generator",
                        "pass",
                        f"generator {p.synthetic_generator!r} is declared",
                        **evidence,
                    )
                )
        if "max_share" in self.config:
            limit = float(self.config["max_share"])
            share = synthetic / facts.record_count if facts.record_count else 0.0
            evidence2 = {
                "synthetic_records": synthetic,
                "records": facts.record_count,
                "share": round(share, 6),
                "max_share": limit,
            }
            if share > limit:
                results.append(
                    self.result(
                        "share",
                        "fail",
                        f"{share:.1%} of the records are synthetic, above the {limit:.1%} this pack allows; "
                        "add real records or drop synthetic ones",
                        **evidence2,
                    )
                )
            else:
                results.append(
                    self.result(
                        "share", "pass", f"{share:.1%} synthetic, within {limit:.1%}", **evidence2
                    )
                )
        return results
