"""The adapter's optimizer and learning-rate schedule, and a finished run's adapter as a start."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govern.errors import BadInput


def make_optimizer(params: list[Any], schedule: dict[str, Any]) -> Any:
    """AdamW or SGD over the adapter's parameters, as the recipe's schedule says."""
    import torch

    lr = float(schedule["learning_rate"])
    if schedule["optimizer"] == "sgd":
        return torch.optim.SGD(params, lr=lr, weight_decay=float(schedule["weight_decay"]))
    return torch.optim.AdamW(params, lr=lr, weight_decay=float(schedule["weight_decay"]))


class LRFactor:
    """Warmup then constant or linear decay (the scheduler keeps the state; this is picklable)."""

    def __init__(self, kind: str, warmup: int, total: int) -> None:
        self.kind, self.warmup, self.total = kind, warmup, max(total, 1)

    def __call__(self, step: int) -> float:
        if self.warmup and step < self.warmup:
            return (step + 1) / self.warmup
        if self.kind == "linear":
            span = max(self.total - self.warmup, 1)
            return max(0.0, 1.0 - (step - self.warmup) / span)
        return 1.0


def make_scheduler(optimizer: Any, schedule: dict[str, Any], total_steps: int) -> Any:
    """A LambdaLR with the recipe's warmup and decay over `total_steps`."""
    import torch

    factor = LRFactor(schedule["lr_schedule"], int(schedule["warmup_steps"]), total_steps)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def load_init_adapter(model: Any, folder: Path, lora: dict[str, Any]) -> None:
    """Start from a finished run's adapter weights (multi-stage training); its r and targets must match."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    config_path = folder / "adapter_config.json"
    weights = folder / "adapter_model.safetensors"
    if not config_path.is_file() or not weights.is_file():
        raise BadInput(
            f"{folder}: not a PEFT adapter folder (adapter_config.json, adapter_model.safetensors)"
        )
    config = json.loads(config_path.read_text())
    if int(config.get("r", -1)) != int(lora["r"]) or set(config.get("target_modules") or []) != set(
        lora["target_modules"]
    ):
        raise BadInput(
            f"{folder}: the initial adapter has r={config.get('r')} on {config.get('target_modules')}; "
            f"the recipe's lora section must match it"
        )
    set_peft_model_state_dict(model, load_file(weights))
