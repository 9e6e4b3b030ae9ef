"""DP-LoRA training: recipes, the trainer, checkpoints, privacy accounting.

Importing this package is cheap; torch, transformers, peft and opacus load only when a
function that needs them runs. Public names:

    load_recipe, recipe_from_dict, Recipe          recipe files (recipe.py)
    plan_run, PrivacyPlan                          N, q, steps, δ, calibrated σ (plan.py)
    train, resume, read_run, charged_history       the trainer (trainer.py)
    Interrupted                                    Ctrl-C stop, after a checkpoint
    TrainingHooks, RecordingHooks                  ledger events (hooks.py)
    TrainingData, RecordsData                      the gate's data handle (data.py)
    compose_epsilon, epsilon_of_history            budget across runs (accounting.py)
    build_tiny_model                               a tiny Llama for tests and examples (tiny.py)
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
    "read_run": "trainer",
    "charged_history": "trainer",
    "Interrupted": "trainer",
    "TrainingHooks": "hooks",
    "RecordingHooks": "hooks",
    "TrainingData": "data",
    "RecordsData": "data",
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
    "RecordsData",
    "TrainingData",
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
