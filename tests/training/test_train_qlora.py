"""QLoRA: a DP-LoRA run on a base model loaded in 4-bit NF4 through bitsandbytes (CPU backend)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("opacus")

from govern.training.model import quantization_unavailable

REASON = quantization_unavailable("4bit-nf4")


@pytest.mark.skipif(REASON is not None, reason=f"bitsandbytes 4-bit does not run here: {REASON}")
def test_a_4bit_nf4_qlora_run_trains_the_adapter_privately(
    make_recipe: Any, tmp_path: Path, support_data: Any
) -> None:
    import json

    from govern.training import train

    recipe = make_recipe(model={"quantization": "4bit-nf4"}, schedule={"steps": 2})
    result = train(recipe, support_data, run_dir=tmp_path / "run")
    assert result["steps"] == 2 and result["epsilon"] > 0
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert info["quantization"] == "4bit-nf4"
    from safetensors.torch import load_file

    weights = load_file(tmp_path / "run" / "adapter" / "adapter_model.safetensors")
    assert any("lora_B" in k and v.abs().sum() > 0 for k, v in weights.items())
