"""The privacy plan of a run: N, sampling rate, steps, δ and the noise calibrated to the target ε.

A pure function of the recipe and the number of approved examples, so the gate can check the
planned ε against a dataset's remaining budget before any data is read.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from govern.errors import BadInput
from govern.training.accounting import (
    default_delta,
    epsilon_of_history,
    noise_multiplier_for,
)
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

    def history(self) -> list[tuple[float, float, int]]:
        """The accountant history the whole run will have: [(σ, q, steps)] (empty if non-private)."""
        if not self.private:
            return []
        assert self.noise_multiplier is not None
        return [(self.noise_multiplier, self.sample_rate, self.steps)]

    def as_dict(self) -> dict[str, Any]:
        """JSON-able form, as stored in run.json and checkpoints."""
        return asdict(self)


def plan_run(recipe: Recipe, num_examples: int) -> PrivacyPlan:
    """Plan a run of `recipe` over `num_examples` approved examples (σ calibrated by Opacus)."""
    schedule = recipe["schedule"]
    logical = int(schedule["logical_batch_size"])
    if num_examples < 1:
        raise BadInput("the approved data holds no records; nothing to train on")
    if logical > num_examples:
        raise BadInput(
            f"schedule.logical_batch_size: {logical} exceeds the {num_examples} approved examples; "
            f"lower it to at most {num_examples}"
        )
    sample_rate = logical / num_examples
    if schedule["steps"] is not None:
        steps = int(schedule["steps"])
    else:
        steps = max(1, math.ceil(float(schedule["epochs"]) * num_examples / logical))
    if not recipe.private:
        return PrivacyPlan(
            private=False, num_examples=num_examples, sample_rate=sample_rate, steps=steps, logical_batch_size=logical
        )
    dp = recipe["dp"]
    delta = dp["delta"] if dp["delta"] is not None else default_delta(num_examples)
    if delta >= 1.0 / num_examples:
        raise BadInput(
            f"dp.delta: {delta} is not below 1/N = {1.0 / num_examples:.3g} for the {num_examples} approved "
            f"examples; remove it to use the default {default_delta(num_examples)}"
        )
    if dp["noise_multiplier"] is not None:
        sigma = float(dp["noise_multiplier"])
    else:
        sigma = noise_multiplier_for(float(dp["target_epsilon"]), float(delta), sample_rate, steps, dp["accountant"])
    planned = epsilon_of_history([(sigma, sample_rate, steps)], delta, dp["accountant"])
    return PrivacyPlan(
        private=True,
        num_examples=num_examples,
        sample_rate=sample_rate,
        steps=steps,
        logical_batch_size=logical,
        noise_multiplier=sigma,
        max_grad_norm=float(dp["max_grad_norm"]),
        delta=float(delta),
        target_epsilon=float(dp["target_epsilon"]) if dp["target_epsilon"] is not None else None,
        planned_epsilon=planned,
        accountant=dp["accountant"],
    )
