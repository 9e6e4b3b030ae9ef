"""Combining a sharded run's adapters at inference: an ensemble, or one averaged weight delta.

  ensemble        every shard's model scores the input; their next-token probabilities are
                  averaged (k forward passes). Removing a shard (an erasure) removes exactly its
                  influence, and nothing else changes.
  delta-average   one model: the base weights plus the mean of the shards' LoRA deltas,
                  W + (1/k) Σ s·B_i·A_i (one forward pass, the exact mean of what each shard learned).
  factor-average  one model: W + s·mean(B_i)·mean(A_i), averaging the LoRA factors themselves;
                  shards trained from different random A's do not share a basis, so this is not
                  the mean of their deltas.

benchmarks/train_shards.py measures the held-out loss of each; the README gives the figures and
the choice (the ensemble). Importing this module is cheap; torch and safetensors load in the functions.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

COMBINATIONS = ("ensemble", "delta-average", "factor-average")
_PREFIX = "base_model.model."


def _adapter(adapter_dir: Path) -> tuple[dict[str, Any], float]:
    """(module path -> (A, B)) of an adapter folder, and its LoRA scaling alpha / r."""
    from safetensors.torch import load_file

    config = json.loads((adapter_dir / "adapter_config.json").read_text())
    tensors = load_file(str(adapter_dir / "adapter_model.safetensors"))
    pairs: dict[str, Any] = {}
    for key, tensor in tensors.items():
        for part in ("lora_A", "lora_B"):
            marker = f".{part}."
            if marker in key:
                module = key.removeprefix(_PREFIX).split(marker)[0]
                pairs.setdefault(module, {})[part] = tensor.float()
    return pairs, float(config["lora_alpha"]) / float(config["r"])


def averaged_deltas(adapter_dirs: Sequence[Path], combination: str) -> dict[str, Any]:
    """Per base-model module path, the weight delta of `delta-average` or `factor-average`."""
    import torch

    loaded = [_adapter(Path(d)) for d in adapter_dirs]
    scalings = {s for _, s in loaded}
    if len(scalings) != 1:
        raise ValueError("the shards' adapters have different LoRA scalings (alpha / r)")
    scaling = scalings.pop()
    modules = sorted(loaded[0][0])
    deltas: dict[str, Any] = {}
    for module in modules:
        a = [pairs[module]["lora_A"] for pairs, _ in loaded]
        b = [pairs[module]["lora_B"] for pairs, _ in loaded]
        if combination == "delta-average":
            deltas[module] = scaling * torch.stack(
                [bi @ ai for ai, bi in zip(a, b, strict=True)]
            ).mean(0)
        elif combination == "factor-average":
            deltas[module] = scaling * (torch.stack(b).mean(0) @ torch.stack(a).mean(0))
        else:
            raise ValueError(f"{combination!r} is not a weight combination")
    return deltas


def merged_model(base: Any, deltas: dict[str, Any]) -> Any:
    """`base` (a transformers model) with each delta added to its module's weight, in eval mode."""
    import torch

    with torch.no_grad():
        for module_path, delta in deltas.items():
            module = base.get_submodule(module_path)
            module.weight += delta.to(module.weight.device, module.weight.dtype)
    return base.eval()


def ensemble_losses(
    models: Sequence[Any],
    examples: Sequence[tuple[list[int], list[int]]],
    pad_token_id: int,
    device: Any,
    batch_size: int = 32,
) -> list[float]:
    """Each example's loss under the mean of the models' next-token probabilities."""
    import torch

    from govern.training.inference import device_batches
    from govern.training.loss import per_example_loss

    out: list[float] = []
    with torch.no_grad():
        for batch in device_batches(examples, pad_token_id, device, batch_size):
            probs = torch.stack(
                [
                    torch.softmax(
                        m(
                            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
                        ).logits.float(),
                        dim=-1,
                    )
                    for m in models
                ]
            ).mean(0)
            # log of a distribution is its own log-softmax, so the training loss applies unchanged
            out += [float(x) for x in per_example_loss(torch.log(probs), batch["labels"]).cpu()]
    return out
