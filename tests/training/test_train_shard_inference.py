"""A sharded run's adapters combine at inference: the ensemble averages probabilities, the weight
averages add the mean LoRA delta (or the delta of the mean factors) to the base weights."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("peft")

from govern.training.inference import example_losses
from govern.training.model import load_base_model
from govern.training.shard_inference import averaged_deltas, ensemble_losses, merged_model

EXAMPLES = [([1, 5, 9, 12, 7], [-100, -100, 9, 12, 7]), ([3, 4, 8], [-100, 4, 8])]


def _adapter(model_dir: Path, out: Path, seed: int) -> Path:
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    model = get_peft_model(
        load_base_model(model_dir, "none", "cpu"),
        LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"]),
    )
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_B" in name:
                parameter.normal_(0, 0.5)  # a trained-looking adapter: B is no longer zero
    model.save_pretrained(out)
    return out


def _peft(model_dir: Path, adapter: Path) -> Any:
    from peft import PeftModel

    return PeftModel.from_pretrained(load_base_model(model_dir, "none", "cpu"), adapter).eval()


def test_weight_averages_and_the_ensemble_of_shard_adapters(
    tiny_model_dir: Path, tmp_path: Path
) -> None:
    one, two = (_adapter(tiny_model_dir, tmp_path / f"a{i}", seed=i) for i in (1, 2))
    single = example_losses(_peft(tiny_model_dir, one), EXAMPLES, 0, "cpu")
    # an adapter averaged with itself is itself, under every combination
    for combination in ("delta-average", "factor-average"):
        merged = merged_model(
            load_base_model(tiny_model_dir, "none", "cpu"), averaged_deltas([one, one], combination)
        )
        assert example_losses(merged, EXAMPLES, 0, "cpu") == pytest.approx(single, abs=1e-4)
    assert ensemble_losses([_peft(tiny_model_dir, one)], EXAMPLES, 0, "cpu") == pytest.approx(
        single, abs=1e-4
    )
    # two different adapters: the mean of deltas is not the delta of the mean factors
    delta = averaged_deltas([one, two], "delta-average")
    factor = averaged_deltas([one, two], "factor-average")
    module = sorted(delta)[0]
    assert not torch.allclose(delta[module], factor[module])
    assert "layers.0.self_attn.q_proj" in " ".join(delta)
    both = ensemble_losses(
        [_peft(tiny_model_dir, one), _peft(tiny_model_dir, two)], EXAMPLES, 0, "cpu"
    )
    other = example_losses(_peft(tiny_model_dir, two), EXAMPLES, 0, "cpu")
    # Jensen: the mixture's loss is at most the mean of the two losses, token by token
    for mixed, a, b in zip(both, single, other, strict=True):
        assert mixed <= (a + b) / 2 + 1e-5 and mixed != pytest.approx(a, abs=1e-4)
