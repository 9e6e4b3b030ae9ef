"""Fixtures for the trainer tests: one tiny Llama per session, the example records, recipes.

Every test runs real Opacus steps on the tiny model (two layers, width 64), so the folder
stays fast on two CPU cores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opacus", reason="training tests need govern[train] (torch, peft, opacus)")

from training_helpers import BASE_RECIPE, EXAMPLES, merged


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama-style model and its tokenizer, trained on the example records."""
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl

    root = tmp_path_factory.mktemp("tiny")
    return build_tiny_model(root / "model", corpus_from_jsonl(EXAMPLES, ("text",)))


@pytest.fixture
def support_data() -> Any:
    """The example records as the gate's handle, under one snapshot id."""
    from govern.training.data import RecordsData

    return RecordsData.from_jsonl(EXAMPLES, "snap-support-1")


@pytest.fixture
def make_recipe(tiny_model_dir: Path) -> Any:
    """Build a validated recipe from BASE_RECIPE plus overrides (model path is the tiny model)."""
    from govern.training.recipe import recipe_from_dict

    def make(**overrides: Any) -> Any:
        raw = merged(BASE_RECIPE, overrides)
        return recipe_from_dict(raw, source="test-recipe.toml", base_dir=tiny_model_dir.parent)

    return make
