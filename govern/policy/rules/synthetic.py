"""Synthetic data: synthetic records name their generator, make up no more than a set share,
inherit their seeds' constraints, and are validated and reviewed before they may train.

`seeds` always runs on a snapshot with recorded seeds (no setting removes it). The validation
checks read the latest `govern synth validate` of the snapshot, and only when it ran under this
pack's settings (threshold, span length, n, review confidence and margin)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from govern.config_models import Number, StrictBool, StrictInt
from govern.policy.facts import SnapshotFacts
from govern.policy.rules.base import (
    EvaluationContext,
    Name,
    RuleConfig,
    RuleFamily,
    RuleResult,
    Unique,
    at_least_one_key,
    register,
    sample,
)
from govern.policy.synthetic_facts import SeedFacts, ValidationFacts
from govern.synthetic.sampling import wilson_interval
from govern.synthetic.settings import validation_config

# check -> (config key, fact of the validation, what it measures)
_LIMITS = {
    "near_duplicates": (
        "max_near_duplicate_rate",
        "near_duplicate_rate",
        "near-duplicates of seed or reference records",
    ),
    "verbatim": ("max_verbatim_copy_rate", "verbatim_copy_rate", "verbatim copies of seed spans"),
    "divergence": ("max_divergence", "divergence", "n-gram divergence from the reference"),
    "duplicates": (
        "max_duplicate_rate",
        "within_duplicate_rate",
        "duplicates within the synthetic set",
    ),
}
_EVIDENCE_IDS = {
    "near_duplicates": ("near_duplicate_ids", "near_duplicate_sources"),
    "verbatim": ("verbatim_ids", "verbatim_sources"),
    "duplicates": ("within_duplicate_ids", None),
    "divergence": (None, None),
}


def _why(seed: SeedFacts) -> str:
    """What a failing seed passes on, in words."""
    reasons = list(seed.failed_rules)
    if seed.record_ids:
        reasons.append(f"{len(seed.record_ids)} records without consent or erased")
    return ", ".join(reasons)


Rate = Annotated[Number, Field(ge=0, le=1)]
OpenUnit = Annotated[Number, Field(gt=0, lt=1)]


class SyntheticConfig(RuleConfig):
    """rules.synthetic: at least one key."""

    require_generator: StrictBool | None = None
    allowed_generators: Unique[Name] | None = Field(None, min_length=1)
    max_share: Rate | None = None
    require_validation: StrictBool | None = None
    near_duplicate_threshold: OpenUnit | None = None
    verbatim_span_tokens: StrictInt | None = Field(None, ge=3, le=200)
    ngram: StrictInt | None = Field(None, ge=1, le=5)
    review_confidence: OpenUnit | None = None
    review_margin: OpenUnit | None = None
    max_near_duplicate_rate: Rate | None = None
    max_verbatim_copy_rate: Rate | None = None
    max_divergence: Rate | None = None
    max_duplicate_rate: Rate | None = None
    min_review_pass_rate: Rate | None = None
    _at_least_one = model_validator(mode="after")(at_least_one_key)


@register
class SyntheticRules(RuleFamily):
    """A declared (optionally allow-listed) generator for synthetic records, and a maximum synthetic share."""

    name = "synthetic"
    phase = "data"
    summary = "declared generator and maximum share of synthetic records"
    checks = (
        "generator",
        "share",
        "seeds",
        "validation",
        "near_duplicates",
        "verbatim",
        "divergence",
        "duplicates",
        "review",
    )
    config_model = SyntheticConfig

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
        if facts.synthetic is not None and facts.synthetic.seeds:
            results.append(self._seeds(facts))
        if synthetic:
            results += self._validated(facts)
        return results

    def _seeds(self, facts: SnapshotFacts) -> RuleResult:
        assert facts.synthetic is not None
        bad = [s for s in facts.synthetic.seeds if s.failed_rules or s.record_ids]
        evidence: dict[str, Any] = {
            "seed_snapshots": [s.snapshot_id for s in facts.synthetic.seeds],
            "seeds_failing": [
                {
                    "snapshot_id": s.snapshot_id,
                    "failed_rules": list(s.failed_rules),
                    "record_ids": sample(s.record_ids),
                    "records": len(s.record_ids),
                }
                for s in bad
            ],
        }
        if not bad:
            return self.result(
                "seeds",
                "pass",
                "every seed snapshot meets the pack's provenance and consent rules",
                **evidence,
            )
        named = ", ".join(f"{s.snapshot_id[:12]} ({_why(s)})" for s in bad)
        return self.result(
            "seeds",
            "fail",
            f"synthetic records inherit their seeds' constraints, and seed snapshots fail them: {named}; "
            "regenerate from seeds that pass (e.g. after `govern consent filter`)",
            **evidence,
        )

    def _current(self, facts: SnapshotFacts) -> tuple[ValidationFacts | None, str]:
        """The validation the checks may rely on, or why there is none."""
        validation = facts.synthetic.validation if facts.synthetic is not None else None
        if facts.synthetic is None:
            return (
                None,
                "the dataset records no synthetic provenance; register it with `govern dataset add --synthetic`",
            )
        if validation is None:
            return None, (
                f"snapshot {facts.snapshot_id[:12]} has no validation; run `govern synth validate "
                f"{facts.snapshot_id[:12]} --reference REAL_SNAPSHOT`"
            )
        expected = validation_config(self.config)
        if dict(validation.config) != expected:
            return None, (
                f"validation {validation.validation_id[:12]} ran under other settings "
                f"({dict(validation.config)}) than this pack's ({expected}); run `govern synth validate` again"
            )
        return validation, ""

    def _validated(self, facts: SnapshotFacts) -> list[RuleResult]:
        validation, problem = self._current(facts)
        results: list[RuleResult] = []
        if self.config.get("require_validation"):
            if validation is None:
                results.append(self.result("validation", "fail", problem))
            else:
                results.append(
                    self.result(
                        "validation",
                        "pass",
                        f"validated by {validation.validation_id[:12]} against reference "
                        f"{(validation.reference_snapshot_id or '?')[:12]}",
                        validation_id=validation.validation_id,
                        reference_snapshot_id=validation.reference_snapshot_id,
                    )
                )
        for check, (key, fact, what) in _LIMITS.items():
            if key not in self.config:
                continue
            if validation is None:
                results.append(self.result(check, "fail", problem, **{key: self.config[key]}))
                continue
            results.append(self._limit(check, key, fact, what, validation))
        if "min_review_pass_rate" in self.config:
            results.append(self._review(facts, validation, problem))
        return results

    def _limit(
        self, check: str, key: str, fact: str, what: str, validation: ValidationFacts
    ) -> RuleResult:
        value, limit = float(getattr(validation, fact)), float(self.config[key])
        ids, sources = _EVIDENCE_IDS[check]
        evidence: dict[str, Any] = {
            fact: value,
            key: limit,
            "validation_id": validation.validation_id,
        }
        if ids:
            evidence["record_ids"] = sample(getattr(validation, ids))
        if sources:
            evidence["seed_record_ids"] = sample(getattr(validation, sources))
        if value > limit:
            return self.result(
                check,
                "fail",
                f"{what}: {value:.2%} of the records, above the {limit:.2%} this pack allows; "
                "drop or regenerate the records named in the evidence",
                **evidence,
            )
        return self.result(check, "pass", f"{what}: {value:.2%}, within {limit:.2%}", **evidence)

    def _review(
        self, facts: SnapshotFacts, validation: ValidationFacts | None, problem: str
    ) -> RuleResult:
        minimum = float(self.config["min_review_pass_rate"])
        confidence = float(validation_config(self.config)["review_confidence"])
        if validation is None:
            return self.result("review", "fail", problem, min_review_pass_rate=minimum)
        review = facts.synthetic.review if facts.synthetic is not None else None
        reviewed = review.reviewed if review else 0
        passed = review.passed if review else 0
        low, high = wilson_interval(passed, reviewed, confidence)
        evidence: dict[str, Any] = {
            "sample_size": validation.sample_size,
            "reviewed": reviewed,
            "passed": passed,
            "pass_rate_interval": [round(low, 4), round(high, 4)],
            "confidence": confidence,
            "min_review_pass_rate": minimum,
            "failed_record_ids": sample(review.failed_ids) if review else [],
        }
        if reviewed < validation.sample_size:
            return self.result(
                "review",
                "fail",
                f"{reviewed} of the {validation.sample_size} sampled records are reviewed; export the "
                "sample with `govern synth review export` and import the signed verdicts",
                **evidence,
            )
        if low < minimum:
            return self.result(
                "review",
                "fail",
                f"the reviewed pass rate is at least {low:.1%} at {confidence:.0%} confidence, below "
                f"the {minimum:.1%} this pack requires; fix the generator and regenerate",
                **evidence,
            )
        return self.result(
            "review",
            "pass",
            f"{passed} of {reviewed} sampled records passed review: at least {low:.1%} at {confidence:.0%} confidence",
            **evidence,
        )
