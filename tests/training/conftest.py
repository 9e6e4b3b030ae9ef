"""Fixtures for the trainer tests: one tiny Llama and one governed workspace per session, the
example records admitted by the real gate, recipes.

Every test runs real Opacus steps on the tiny model (two layers, width 64), so the folder
stays fast on two CPU cores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opacus", reason="training tests need govern[train] (torch, peft, opacus)")

from training_helpers import (
    BASE_RECIPE,
    EXAMPLES,
    admitted_data,
    merged,
    predictable_bytes,
)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny Llama-style model and its tokenizer, trained on the example records."""
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl

    root = tmp_path_factory.mktemp("tiny")
    return build_tiny_model(root / "model", corpus_from_jsonl(EXAMPLES, ("text",)))


@dataclass
class GateWorld:
    """A governed workspace whose example snapshot an officer approved, and the gate's handle on it."""

    workspace: Any
    engineer: Any
    officer: Any
    snapshot_id: str
    data: Any

    def add_approved(self, name: str, lines: list[str]) -> Any:
        """Register `lines` as a new dataset, approve its snapshot, and return the gate's handle on it."""
        from govern.ingest.datasets import DatasetSpec, add_dataset
        from govern.policy.approvals import approve

        path = self.workspace.root / f"{name}.jsonl"
        path.write_text("".join(lines))
        spec = DatasetSpec(
            name=name,
            source="example helpdesk export",
            license="CC-BY-4.0",
            legal_basis="consent",
            subject_field="subject_id",
            text_fields=("prompt", "completion"),
            id_field="id",
        )
        from govern.pii.scans import scan_snapshot

        snapshot = add_dataset(self.workspace, self.engineer, spec, path).snapshot
        scan_snapshot(self.workspace, self.engineer, snapshot.id, processes=1)
        approve(self.workspace, self.officer, snapshot.id)
        return admitted_data(self.workspace.root, self.engineer.path, snapshot.id)


@pytest.fixture(scope="session")
def gate_world(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> GateWorld:
    from govern.policy.approvals import approve
    from tests.pipeline import governed_workspace

    workspace, engineer, officer, snapshot = governed_workspace(
        tmp_path_factory.mktemp("gate-world"), tiny_model_dir
    )
    approve(workspace, officer, snapshot.id)
    return GateWorld(
        workspace,
        engineer,
        officer,
        snapshot.id,
        admitted_data(workspace.root, engineer.path, snapshot.id),
    )


@pytest.fixture
def support_data(gate_world: GateWorld) -> Any:
    """The example records (160) as the gate's handle (govern.gate.GatedData)."""
    return gate_world.data


@pytest.fixture
def make_recipe(tiny_model_dir: Path) -> Any:
    """Build a validated recipe from BASE_RECIPE plus overrides (model path is the tiny model)."""
    from govern.training.recipe import recipe_from_dict

    def make(**overrides: Any) -> Any:
        raw = merged(BASE_RECIPE, overrides)
        return recipe_from_dict(raw, source="test-recipe.toml", base_dir=tiny_model_dir.parent)

    return make


@pytest.fixture
def predictable_randomness(monkeypatch: pytest.MonkeyPatch) -> Callable[[int], None]:
    """Call with a seed to make the secure source a seeded PRNG from then on (a test-only monkeypatch:
    no recipe key or CLI option can do this)."""
    from govern.training import secure_rng

    def reseed(seed: int) -> None:
        monkeypatch.setattr(secure_rng, "random_bytes", predictable_bytes(seed))

    return reseed
