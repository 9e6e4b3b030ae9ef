"""Checks of the model card's recipe fields that the recipe models (recipe_model.py) cannot make.

The card's fields are top-level recipe keys, none by default (declared in recipe_model.py):
    license: SPDX expression the adapter is published under (default: its training data's)
    intended_use: what the adapter is for, in a sentence or a paragraph
    limitations: a string or a list of strings: what it must not be used for, known weaknesses
"""

from __future__ import annotations

from typing import Any

CARD_FIELDS = ("license", "intended_use", "limitations")


def option_problems(settings: dict[str, Any]) -> list[str]:
    """The card's licence must be a valid SPDX expression (checked before any compute)."""
    from govern.licenses import expression_problem

    license_text = settings.get("license")
    if license_text is None:
        return []
    problem = expression_problem(str(license_text), "license")
    return [problem] if problem else []
