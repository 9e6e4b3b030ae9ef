"""torchrun with two CPU processes (gloo): Opacus distributed DP spends the same ε as one process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opacus")

from training_helpers import BASE_RECIPE, merged

SCRIPT = Path(__file__).resolve().parent / "run_distributed.py"


@pytest.mark.slow
def test_two_gloo_processes_spend_the_same_epsilon_as_one_with_the_same_logical_batch(
    tiny_model_dir: Path, tmp_path: Path, make_recipe: Any, support_data: Any
) -> None:
    from govern.training import train

    overrides = {"schedule": {"steps": 3, "logical_batch_size": 16, "physical_batch_size": 4}, "dp": {"clipping": "hooks"}}
    out = tmp_path / "out"
    out.mkdir()
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
        str(SCRIPT), json.dumps(merged(BASE_RECIPE, overrides)), str(tiny_model_dir.parent), str(tmp_path / "ddp"), str(out),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-4000:]
    ranks = [json.loads((out / f"rank-{r}.json").read_text()) for r in (0, 1)]
    assert [r["world_size"] for r in ranks] == [2, 2]
    assert ranks[0]["adapter"] == ranks[1]["adapter"], "the ranks' adapters diverged: gradients were not synchronised"
    distributed = ranks[0]["result"]
    info = json.loads((tmp_path / "ddp" / "run.json").read_text())
    assert info["world_size"] == 2

    single = train(make_recipe(**overrides), support_data, run_dir=tmp_path / "single")
    for key in ("epsilon", "delta", "noise_multiplier", "sample_rate", "steps", "charged_steps", "accountant_history"):
        assert distributed[key] == single[key], key
    charges = (tmp_path / "ddp" / "charges.jsonl").read_text().splitlines()
    assert len(charges) == 3  # charged once per step, by rank 0 only
