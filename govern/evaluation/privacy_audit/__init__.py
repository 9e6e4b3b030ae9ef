"""Empirical privacy audit of a training run from its canaries.

Importing this package is cheap; torch and scipy load only when a function that needs them runs.

    bounds      the one-run ε lower bound (Steinke, Nasr & Jagielski 2023), guesses, AUC,
                exposure (Carlini et al. 2019): pure functions
    canaries    drawing, planting and reading a run's secret canaries
    audit       `audit_run`: score a finished run's canaries, store and ledger a PrivacyAudit
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "one_run_p_value": "bounds",
    "epsilon_lower_bound": "bounds",
    "audit_bound": "bounds",
    "membership_auc": "bounds",
    "exposure": "bounds",
    "fitted_exposure": "bounds",
    "guesses_from_scores": "bounds",
    "CanarySet": "canaries",
    "draw_canaries": "canaries",
    "read_canary_file": "canaries",
    "audit_run": "audit",
}

__all__ = [
    "CanarySet",
    "audit_bound",
    "audit_run",
    "draw_canaries",
    "epsilon_lower_bound",
    "exposure",
    "fitted_exposure",
    "guesses_from_scores",
    "membership_auc",
    "one_run_p_value",
    "read_canary_file",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(
            importlib.import_module(f"govern.evaluation.privacy_audit.{_EXPORTS[name]}"), name
        )
    raise AttributeError(f"module 'govern.evaluation.privacy_audit' has no attribute {name!r}")
