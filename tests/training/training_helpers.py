"""Shared constants and helpers of the trainer tests (imported by conftest and by tests)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "support_records.jsonl"

BASE_RECIPE: dict[str, Any] = {
    "name": "test",
    "model": {"path": "model"},
    "data": {"format": "prompt_completion", "max_length": 64},
    "lora": {"r": 4, "alpha": 8, "target_modules": ["q_proj", "v_proj"]},
    "dp": {"noise_multiplier": 1.0, "max_grad_norm": 1.0, "accountant": "rdp", "clipping": "hooks", "noise_seed": 7},
    "schedule": {"steps": 4, "logical_batch_size": 16, "physical_batch_size": 8, "learning_rate": 0.01, "seed": 0},
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
