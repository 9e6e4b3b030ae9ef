"""Differential privacy for training: required or not, ε per run, δ bound, lifetime ε per dataset,
and the privacy unit (`unit: subject` requires subject-level DP, so ε is per person).

These checks look at the training plan, so they are `pending` until the caller (the training gate)
adds `SnapshotFacts.training`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from govern.config_models import Number, StrictBool
from govern.policy.facts import SnapshotFacts
from govern.policy.rules.base import (
    ConfigPath,
    EvaluationContext,
    Name,
    RuleConfig,
    RuleFamily,
    RuleResult,
    register,
)

MIN_WAIVER_REASON = 20


class DpConfig(RuleConfig):
    """rules.dp."""

    required: StrictBool
    waiver_reason: Name | None = None
    max_epsilon_per_run: Number | None = Field(None, gt=0)
    max_delta: Number | None = Field(None, gt=0, lt=1)
    delta_below_inverse_records: StrictBool | None = None
    lifetime_epsilon_budget: Number | None = Field(None, gt=0)
    unit: Literal["record", "subject"] | None = None


@register
class DifferentialPrivacyRules(RuleFamily):
    """Bounds on the planned run's (ε, δ) and on the ε the dataset may spend over its lifetime."""

    name = "dp"
    phase = "training"
    summary = "DP-SGD for training runs: ε per run, δ, lifetime ε per dataset"
    checks = ("required", "max_epsilon", "delta", "lifetime_budget", "unit")
    config_model = DpConfig

    def config_problems(self) -> list[tuple[ConfigPath, str]]:
        problems: list[tuple[ConfigPath, str]] = []
        per_run = self.config.get("max_epsilon_per_run")
        lifetime = self.config.get("lifetime_epsilon_budget")
        if per_run is not None and lifetime is not None and per_run > lifetime:
            problems.append(
                (
                    ("max_epsilon_per_run",),
                    f"ε per run ({per_run}) is above the lifetime budget ({lifetime}); lower it or raise the budget",
                )
            )
        reason = str(self.config.get("waiver_reason") or "").strip()
        if not self.config["required"] and len(reason) < MIN_WAIVER_REASON:
            problems.append(
                (
                    ("waiver_reason",),
                    "DP is a floor of govern: a pack that lets runs train without it must say why in "
                    f"waiver_reason (at least {MIN_WAIVER_REASON} characters); such runs are labelled NOT PRIVATE",
                )
            )
        if self.config["required"] and "waiver_reason" in self.config:
            problems.append(
                (
                    ("waiver_reason",),
                    "waiver_reason is only for packs with required: false; remove it",
                )
            )
        return problems

    @property
    def waiver(self) -> str | None:
        """The pack's stated reason for allowing non-private runs, or None when DP is required."""
        return None if self.config["required"] else str(self.config["waiver_reason"]).strip()

    def evaluate(self, facts: SnapshotFacts, ctx: EvaluationContext) -> list[RuleResult]:
        required = bool(self.config["required"])
        plan = facts.training
        configured = [
            check
            for check, key in (
                ("max_epsilon", "max_epsilon_per_run"),
                ("delta", "max_delta"),
                ("lifetime_budget", "lifetime_epsilon_budget"),
                ("unit", "unit"),
            )
            if key in self.config
            or (check == "delta" and self.config.get("delta_below_inverse_records"))
        ]
        if plan is None:
            waiting = "waits for a training plan (checked by the training gate)"
            results = [self.result("required", "pending", waiting, dp_required=required)]
            return results + [self.result(check, "pending", waiting) for check in configured]
        results = []
        if required and not plan.dp_enabled:
            results.append(
                self.result(
                    "required",
                    "fail",
                    "this pack requires differential privacy; enable DP in the training recipe ([dp] section)",
                    dp_required=True,
                    dp_enabled=False,
                )
            )
        else:
            results.append(
                self.result(
                    "required",
                    "pass",
                    "the run uses differential privacy"
                    if plan.dp_enabled
                    else f"NOT PRIVATE: the pack waives differential privacy ({self.waiver})",
                    dp_required=required,
                    dp_enabled=plan.dp_enabled,
                    **({} if required else {"waiver_reason": self.waiver}),
                )
            )
        if not plan.dp_enabled:
            return results + [
                self.result(check, "not_applicable", "the run does not use differential privacy")
                for check in configured
            ]
        for check in configured:
            results.append(getattr(self, f"_{check}")(facts))
        return results

    def _max_epsilon(self, facts: SnapshotFacts) -> RuleResult:
        assert facts.training is not None
        limit = float(self.config["max_epsilon_per_run"])
        epsilon = facts.training.epsilon
        evidence: dict[str, Any] = {"epsilon": epsilon, "max_epsilon_per_run": limit}
        if epsilon is None:
            return self.result(
                "max_epsilon",
                "fail",
                "the run plans DP without a target ε; set dp.epsilon in the recipe",
                **evidence,
            )
        if epsilon > limit:
            return self.result(
                "max_epsilon",
                "fail",
                f"planned ε {epsilon} is above this pack's {limit} per run; lower dp.epsilon",
                **evidence,
            )
        return self.result(
            "max_epsilon", "pass", f"planned ε {epsilon} is within {limit}", **evidence
        )

    def _delta(self, facts: SnapshotFacts) -> RuleResult:
        assert facts.training is not None
        delta = facts.training.delta
        evidence: dict[str, Any] = {"delta": delta, "records": facts.record_count}
        if "max_delta" in self.config:
            evidence["max_delta"] = float(self.config["max_delta"])
        inverse = bool(self.config.get("delta_below_inverse_records")) and facts.record_count > 0
        if inverse:
            evidence["inverse_records"] = 1.0 / facts.record_count
        if delta is None:
            return self.result(
                "delta",
                "fail",
                "the run plans DP without a δ; set dp.delta in the recipe",
                **evidence,
            )
        problems = []
        if "max_delta" in self.config and delta > evidence["max_delta"]:
            problems.append(f"above this pack's bound {evidence['max_delta']:.3g}")
        if inverse and delta >= evidence["inverse_records"]:
            problems.append(f"not below 1/records = {evidence['inverse_records']:.3g}")
        if problems:
            return self.result(
                "delta",
                "fail",
                f"planned δ {delta} is {' and '.join(problems)}; lower dp.delta",
                **evidence,
            )
        return self.result("delta", "pass", f"planned δ {delta} is within the bound", **evidence)

    def _unit(self, facts: SnapshotFacts) -> RuleResult:
        assert facts.training is not None
        required, planned = str(self.config["unit"]), facts.training.privacy_unit
        evidence: dict[str, Any] = {"required_unit": required, "privacy_unit": planned}
        if facts.training.max_records_per_subject is not None:
            evidence["max_records_per_subject"] = facts.training.max_records_per_subject
        if required == "subject" and planned != "subject":
            return self.result(
                "unit",
                "fail",
                "this pack requires subject-level DP (ε per person, not per record); set "
                'dp.unit = "subject" and dp.max_records_per_subject in the recipe',
                **evidence,
            )
        return self.result("unit", "pass", f"the privacy unit is the {planned}", **evidence)

    def _lifetime_budget(self, facts: SnapshotFacts) -> RuleResult:
        assert facts.training is not None
        budget = float(self.config["lifetime_epsilon_budget"])
        spent = facts.training.dataset_epsilon_spent
        planned = facts.training.epsilon or 0.0
        # The gate composes earlier runs and this plan with the accountant; without that figure
        # (e.g. in a pack's example cases) the sum is an upper bound of it.
        after = facts.training.lifetime_epsilon_after
        total = after if after is not None else spent + planned
        evidence = {
            "dataset_id": facts.dataset_id,
            "spent": spent,
            "planned": planned,
            "after_run": total,
            "composed": after is not None,
            "budget": budget,
            "remaining": round(max(budget - spent, 0.0), 9),
        }
        if total > budget:
            return self.result(
                "lifetime_budget",
                "fail",
                f"the data's subjects have spent ε {spent:.4g} of their lifetime {budget}; with this run they would "
                f"reach ε {total:.4g} (at most {max(budget - spent, 0.0):.3g} remains); lower dp.target_epsilon",
                **evidence,
            )
        return self.result(
            "lifetime_budget",
            "pass",
            f"ε {total:.4g} after this run stays within the lifetime {budget}",
            **evidence,
        )
