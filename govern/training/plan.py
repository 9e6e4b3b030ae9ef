"""The privacy plan of a run: N, sampling rate, steps, δ and the noise calibrated to the target ε.

A pure function of the recipe and the number of approved examples, so the gate can check the
planned ε against a dataset's remaining budget before any data is read. Every ceiling of
limits.py is enforced here (or in the recipe check), each refusal naming the recipe key.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from govern.errors import BadInput
from govern.training.accounting import (
    AccountingTooCostly,
    EpsilonUnreachable,
    default_delta,
    epsilon_of_history,
    noise_multiplier_for,
)
from govern.training.limits import MAX_EPSILON, MAX_STEPS
from govern.training.recipe import Recipe


@dataclass(frozen=True)
class PrivacyPlan:
    """What a run will spend. For a non-private run only N, the sample rate and steps are set."""

    private: bool
    num_examples: int
    sample_rate: float
    steps: int
    logical_batch_size: int
    noise_multiplier: float | None = None
    max_grad_norm: float | None = None
    delta: float | None = None
    target_epsilon: float | None = None
    planned_epsilon: float | None = None
    accountant: str | None = None
    # Subject-level DP: N, q = L/N, the steps and δ count subjects; each step takes at most
    # `max_records_per_subject` records of a sampled subject.
    unit: str = "record"
    num_subjects: int | None = None
    max_records_per_subject: int | None = None

    def history(self) -> list[tuple[float, float, int]]:
        """The accountant history the whole run will have: [(σ, q, steps)] (empty if non-private)."""
        if not self.private:
            return []
        assert self.noise_multiplier is not None
        return [(self.noise_multiplier, self.sample_rate, self.steps)]

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form, as stored in run.json and checkpoints (a record-level plan keeps its old form)."""
        form = asdict(self)
        if self.unit == "record":
            for key in ("unit", "num_subjects", "max_records_per_subject"):
                del form[key]
        return form

    @property
    def units(self) -> int:
        """The number of privacy units N: subjects by subject, else examples."""
        return self.num_subjects if self.num_subjects is not None else self.num_examples


def _steps(schedule: dict[str, Any], num_examples: int, logical: int) -> int:
    if schedule["steps"] is not None:
        steps, key = int(schedule["steps"]), "schedule.steps"
    else:
        steps, key = (
            max(1, math.ceil(float(schedule["epochs"]) * num_examples / logical)),
            "schedule.epochs",
        )
    if steps > MAX_STEPS:
        raise BadInput(
            f"{key}: plans {steps:,} steps over {num_examples} examples, above the ceiling of {MAX_STEPS:,}; "
            "train fewer steps or with a larger schedule.logical_batch_size"
        )
    return steps


def _too_costly(error: AccountingTooCostly, key: str, delta: float) -> BadInput:
    rdp = epsilon_of_history(error.history, delta, "rdp")
    return BadInput(
        f"{key}: {error}. Its RDP bound is ε ≤ {rdp:.4g}. Add noise (a larger dp.noise_multiplier or a smaller "
        'dp.target_epsilon), plan fewer steps, or set dp.accountant = "rdp"'
    )


def plan_run(recipe: Recipe, num_examples: int, num_subjects: int | None = None) -> PrivacyPlan:
    """Plan a run of `recipe` over `num_examples` approved examples (σ calibrated to the target ε).

    With dp.unit = "subject", `num_subjects` (the distinct subjects among them) is the N of the
    plan: the logical batch is an expected number of subjects, q = L / subjects, and δ < 1/subjects.
    """
    schedule = recipe["schedule"]
    logical = int(schedule["logical_batch_size"])
    by_subject = recipe.privacy_unit == "subject"
    if num_examples < 1:
        raise BadInput("the approved data holds no records; nothing to train on")
    if by_subject and num_subjects is None:
        raise BadInput('dp.unit = "subject": the plan needs the number of subjects in the data')
    units = int(num_subjects) if by_subject and num_subjects is not None else num_examples
    noun = "subjects" if by_subject else "examples"
    if logical > units:
        raise BadInput(
            f"schedule.logical_batch_size: {logical} exceeds the {units} approved {noun}; "
            f"lower it to at most {units}"
        )
    sample_rate = logical / units
    steps = _steps(schedule, units, logical)
    subject_fields: dict[str, Any] = (
        {
            "unit": "subject",
            "num_subjects": units,
            "max_records_per_subject": recipe.max_records_per_subject,
        }
        if by_subject
        else {}
    )
    if not recipe.private:
        return PrivacyPlan(
            private=False,
            num_examples=num_examples,
            sample_rate=sample_rate,
            steps=steps,
            logical_batch_size=logical,
        )
    dp = recipe["dp"]
    delta = float(dp["delta"] if dp["delta"] is not None else default_delta(units))
    if delta >= 1.0 / units:
        raise BadInput(
            f"dp.delta: {delta} is not below 1/N = {1.0 / units:.3g} for the {units} approved "
            f"{noun}; remove it to use the default {default_delta(units)}"
        )
    accountant = dp["accountant"]
    if dp["noise_multiplier"] is not None:
        sigma, key = float(dp["noise_multiplier"]), "dp.noise_multiplier"
    else:
        key = "dp.target_epsilon"
        try:
            sigma = noise_multiplier_for(
                float(dp["target_epsilon"]), delta, sample_rate, steps, accountant
            )
        except EpsilonUnreachable as error:
            raise BadInput(
                f"dp.target_epsilon: {error} with q = {sample_rate:.4g} over {steps} steps at δ = {delta:g}; "
                "raise it, or plan fewer steps"
            ) from error
    try:
        planned = epsilon_of_history([(sigma, sample_rate, steps)], delta, accountant)
    except AccountingTooCostly as error:
        raise _too_costly(error, key, delta) from error
    if planned > MAX_EPSILON:
        raise BadInput(
            f"{key}: σ = {sigma:.4g} over {steps} steps at q = {sample_rate:.4g} spends ε = {planned:.4g}, above "
            f"the ceiling of {MAX_EPSILON:g} beyond which a DP guarantee promises nothing; raise dp.noise_multiplier "
            "or plan fewer steps"
        )
    return PrivacyPlan(
        private=True,
        num_examples=num_examples,
        sample_rate=sample_rate,
        steps=steps,
        logical_batch_size=logical,
        noise_multiplier=sigma,
        max_grad_norm=float(dp["max_grad_norm"]),
        delta=delta,
        target_epsilon=float(dp["target_epsilon"]) if dp["target_epsilon"] is not None else None,
        planned_epsilon=planned,
        accountant=accountant,
        **subject_fields,
    )
