"""Fixtures for the evaluation and privacy-audit tests: a real workspace with a training and a
held-out dataset (disjoint halves of the example records), consent, a permissive pack (DP not
required, so a non-private memorising run is admitted) and the tiny Llama."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip(
    "opacus", reason="evaluation and audit tests train runs: they need govern[train]"
)

from tests.pipeline import EXAMPLES

EVAL_PACK = """\
name: evalpack
version: "1.0.0"
description: consent, approvals, DP optional, for the evaluation and audit tests
disclaimer: test pack, not legal advice
rules:
  consent:
    purpose: model_training
    on_missing: fail
  provenance: {}
  pii:
    score_threshold: 0.5
    ignore_entity_types: [LOCATION]
  synthetic:
    require_generator: true
  dp:
    required: false
    waiver_reason: the memorising test run must be admitted without DP, on purpose
    max_epsilon_per_run: 10000
    max_delta: 1.0e-4
    lifetime_epsilon_budget: 100000
  approvals:
    required_role: officer
    min_distinct_approvers: 1
    separation_of_duties: true
"""

# A short DP run that plants canaries (the ε is whatever σ = 1 gives over its steps).
DP_RECIPE = """\
name = "eval-dp"
output_dir = "runs"
checkpoint_every = 100
[model]
path = "MODEL"
[data]
format = "prompt_completion"
max_length = 48
[lora]
r = 4
alpha = 8
target_modules = ["q_proj", "v_proj"]
[dp]
noise_multiplier = 1.0
delta = 1e-5
max_grad_norm = 1.0
accountant = "rdp"
clipping = "hooks"
[schedule]
steps = 4
logical_batch_size = 16
physical_batch_size = 16
learning_rate = 0.01
[audit]
canaries = 40
canary_length = 8
"""

# A non-private run made to memorise: every linear layer adapted, many epochs, a high rate.
MEMORISE_RECIPE = """\
name = "eval-memorise"
output_dir = "runs"
checkpoint_every = 1000
[model]
path = "MODEL"
[data]
format = "prompt_completion"
max_length = 48
[lora]
r = 16
alpha = 32
target_modules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
[dp]
enabled = false
[schedule]
steps = 150
logical_batch_size = 32
learning_rate = 0.01
[audit]
canaries = 100
canary_length = 8
"""


@pytest.fixture(scope="session")
def eval_tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from govern.training.tiny import build_tiny_model, corpus_from_jsonl

    return build_tiny_model(
        tmp_path_factory.mktemp("tiny-eval") / "model", corpus_from_jsonl(EXAMPLES, ("text",))
    )


@dataclass
class World:
    workspace: Any
    engineer: Any
    officer: Any
    auditor: Any
    train_snapshot: Any
    heldout_snapshot: Any
    root: Path

    def add_dataset(self, name: str, lines: list[str]) -> Any:
        from govern.ingest.datasets import DatasetSpec, add_dataset

        path = self.root / f"{name}.jsonl"
        path.write_text("".join(lines))
        spec = DatasetSpec(
            name=name,
            source="example",
            license="CC-BY-4.0",
            legal_basis="consent",
            subject_field="subject_id",
            text_fields=("prompt", "completion"),
            id_field="id",
        )
        from govern.pii.scans import scan_snapshot

        snapshot = add_dataset(self.workspace, self.engineer, spec, path).snapshot
        scan_snapshot(self.workspace, self.engineer, snapshot.id, processes=1)
        return snapshot

    def events(self, name: str) -> list[dict[str, Any]]:
        from govern import ledger

        with self.workspace.catalog.reading() as session:
            return [json.loads(e.payload) for e in ledger.iter_entries(session) if e.event == name]


def make_world(
    root: Path,
    model: Path,
    approve_heldout: bool = True,
    pack: str = EVAL_PACK,
    train_lines: Any = None,
) -> World:
    from govern.consent.registry import import_consent
    from govern.policy.approvals import approve
    from govern.workspace import Workspace
    from tests.conftest import _new_key, activate, make_workspace

    workspace = make_workspace(root / "ws").workspace
    for name, text in (("dp", DP_RECIPE), ("memorise", MEMORISE_RECIPE)):
        (workspace.root / "train" / f"{name}.toml").write_text(text.replace("MODEL", str(model)))
    workspace = Workspace(workspace.root)
    engineer, officer = (
        _new_key(workspace, "engineer", "erin"),
        _new_key(workspace, "officer", "olga"),
    )
    auditor = _new_key(workspace, "auditor", "aude")
    activate(workspace, officer, pack.split("\n", 1)[0].removeprefix("name: "), pack)
    lines = EXAMPLES.read_text().splitlines(keepends=True)
    subjects = sorted({json.loads(line)["subject_id"] for line in lines})
    consents = root / "consents.csv"
    consents.write_text(
        "subject_id,purpose,status,time\n"
        + "".join(f"{s},model_training,granted,2024-01-01\n" for s in subjects)
    )
    import_consent(workspace, officer, consents)
    world = World(workspace, engineer, officer, auditor, None, None, root)
    world.train_snapshot = world.add_dataset(
        "support-train", train_lines(lines[:120]) if train_lines else lines[:120]
    )
    world.heldout_snapshot = world.add_dataset("support-heldout", lines[120:])
    approve(workspace, officer, world.train_snapshot.id)
    if approve_heldout:
        approve(workspace, officer, world.heldout_snapshot.id)
    return world


@pytest.fixture(scope="module")
def dp_world(
    tmp_path_factory: pytest.TempPathFactory, eval_tiny_model: Path
) -> tuple[World, dict[str, Any]]:
    """A world with a finished DP run (with canaries) on the training half; the held-out half NOT approved yet."""
    from govern.training.runs import start_run

    world = make_world(tmp_path_factory.mktemp("dp-world"), eval_tiny_model, approve_heldout=False)
    result = start_run(
        world.workspace, world.engineer, Path("train/dp.toml"), [world.train_snapshot.id]
    )
    return world, result
