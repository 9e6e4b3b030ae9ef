"""DP-LoRA training: recipes, the trainer, checkpoints, privacy accounting.

Importing this package is cheap; torch, transformers, peft and opacus load only when a
function that needs them runs. Public names:

    load_recipe, recipe_from_dict, Recipe          recipe files (recipe.py)
    plan_run, PrivacyPlan                          N, q, steps, δ, calibrated σ (plan.py)
    train, resume                                  the trainer (trainer.py); data only as the
                                                   gate's handle, govern.gate.GatedData
    read_run, charged_history                      a run folder's files (run_files.py)
    Interrupted, Terminated                        Ctrl-C stop after a checkpoint; SIGTERM
    TrainingHooks, RecordingHooks                  ledger events (hooks.py)
    compose_epsilon, epsilon_of_history,
    noise_multiplier_for                           accounting, bounded (accounting.py, limits.py)
    build_tiny_model                               a tiny Llama for tests and examples (tiny.py)

Inside: engine.py (Opacus DPEngine), loop.py (the steps), checkpoint.py, publish.py,
randomness.py and secure_rng.py (where noise and sampling come from), sampling.py,
optimizer.py, model.py (loading and probing), data.py, distributed.py, inference.py
(a finished run's model, for evaluation and the privacy audit), card.py.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "load_recipe": "recipe",
    "recipe_from_dict": "recipe",
    "Recipe": "recipe",
    "plan_run": "plan",
    "PrivacyPlan": "plan",
    "train": "trainer",
    "resume": "trainer",
    "read_run": "run_files",
    "charged_history": "run_files",
    "Interrupted": "loop",
    "Terminated": "distributed",
    "TrainingHooks": "hooks",
    "RecordingHooks": "hooks",
    "compose_epsilon": "accounting",
    "epsilon_of_history": "accounting",
    "noise_multiplier_for": "accounting",
    "build_tiny_model": "tiny",
}

__all__ = [
    "Interrupted",
    "PrivacyPlan",
    "Recipe",
    "RecordingHooks",
    "Terminated",
    "TrainingHooks",
    "build_tiny_model",
    "charged_history",
    "compose_epsilon",
    "epsilon_of_history",
    "load_recipe",
    "noise_multiplier_for",
    "plan_run",
    "read_run",
    "recipe_from_dict",
    "resume",
    "train",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"govern.training.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'govern.training' has no attribute {name!r}")
