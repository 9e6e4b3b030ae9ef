"""A governed workspace for the tests that train: a pack, a recipe on a tiny model, an engineer
and an officer, every subject's consent, and the example dataset registered.

Shared by the gate, run, release, lineage, report and evaluation tests so that they all build
the same pipeline the same way.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import _new_key, make_workspace

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "support_records.jsonl"

PACK = """\
name: NAME
version: "1.0.0"
description: consent, approvals and DP, for the tests that train
disclaimer: test pack, not legal advice
rules:
  consent:
    purpose: model_training
    on_missing: fail
  dp:
    required: true
    max_epsilon_per_run: 3.5
    max_delta: 1.0e-4
    lifetime_epsilon_budget: BUDGET
  approvals:
    required_role: officer
    min_distinct_approvers: 1
    separation_of_duties: true
"""

RECIPE = """\
name = "NAME-test"
output_dir = "runs"
checkpoint_every = 2
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
target_epsilon = 3.0
delta = 1e-5
max_grad_norm = 1.0
accountant = "rdp"
clipping = "hooks"
[schedule]
steps = 3
logical_batch_size = 16
physical_batch_size = 8
learning_rate = 0.01
"""


def governed_workspace(root: Path, tiny_model: Path, *, pack: str = "gate", budget: float = 100.0,
                       jurisdiction: str | None = None) -> tuple[Any, Any, Any, Any]:
    """(workspace, engineer, officer, snapshot): pack `pack` active, recipe `train/<pack>.toml`."""
    from govern.consent import import_consent
    from govern.datasets import DatasetSpec, add_dataset
    from govern.workspace import Workspace

    workspace = make_workspace(root / "ws").workspace
    (workspace.root / "policies" / f"{pack}.yaml").write_text(PACK.replace("NAME", pack).replace("BUDGET", str(budget)))
    toml = workspace.root / "govern.toml"
    toml.write_text(toml.read_text().replace('pack = "default"', f'pack = "{pack}"'))
    (workspace.root / "train" / f"{pack}.toml").write_text(RECIPE.replace("NAME", pack).replace("MODEL", str(tiny_model)))
    workspace = Workspace(workspace.root)
    engineer, officer = _new_key(workspace, "engineer", "erin"), _new_key(workspace, "officer", "olga")
    subjects = sorted({json.loads(line)["subject_id"] for line in EXAMPLES.read_text().splitlines()})
    consents = root / "consents.csv"
    consents.write_text("subject_id,purpose,status,time\n" + "".join(f"{s},model_training,granted,2024-01-01\n" for s in subjects))
    import_consent(workspace, officer, consents)
    spec = DatasetSpec(name="support", source="example helpdesk export", license="CC-BY-4.0", legal_basis="consent",
                       subject_field="subject_id", text_fields=("prompt", "completion"), id_field="id",
                       jurisdiction=jurisdiction)
    snapshot = add_dataset(workspace, engineer, spec, EXAMPLES).snapshot
    return workspace, engineer, officer, snapshot
