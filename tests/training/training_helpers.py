"""Shared constants and helpers of the trainer tests (imported by conftest, tests and child processes).

The trainer accepts only the gate's handle, so every test reads its data through a real gate on
a governed workspace (tests/pipeline.py): `admitted_data` admits the example snapshot there.
"""

from __future__ import annotations

import copy
import random
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "support_records.jsonl"

BASE_RECIPE: dict[str, Any] = {
    "name": "test",
    "model": {"path": "model"},
    "data": {"format": "prompt_completion", "max_length": 64},
    "lora": {"r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]},
    "dp": {"noise_multiplier": 1.0, "max_grad_norm": 1.0, "accountant": "rdp", "clipping": "hooks"},
    "schedule": {
        "steps": 4,
        "logical_batch_size": 16,
        "physical_batch_size": 8,
        "learning_rate": 0.01,
        "seed": 0,
    },
    "checkpoint_every": 2,
}


def merged(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """`base` with `overrides` merged in one level deep per section (None deletes a key)."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            for sub, subvalue in value.items():
                if subvalue is None:
                    out[key].pop(sub, None)
                else:
                    out[key][sub] = subvalue
        elif value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def admitted_data(workspace_root: Path, key_path: Path, snapshot_id: str) -> Any:
    """The gate's handle on `snapshot_id`, admitted for the workspace's own recipe (train/gate.toml).

    The handle does not depend on the recipe it was admitted for, so the trainer tests reuse it
    with their own recipes; the gate's plan checks are the gate tests' business.
    """
    from govern.gate import Gate
    from govern.ledger.keys import load_identity
    from govern.training.runs import load_workspace_recipe
    from govern.workspace import Workspace

    workspace = Workspace(workspace_root)
    recipe = load_workspace_recipe(workspace, Path("train/gate.toml"))
    return Gate(workspace).admit(load_identity(key_path), [snapshot_id], recipe).data


def predictable_bytes(seed: int) -> Any:
    """A stand-in for secure_rng.random_bytes drawing from a seeded PRNG (tests only, by monkeypatch)."""
    stream = random.Random(seed)
    return lambda count: stream.randbytes(count) if count > 0 else b""
