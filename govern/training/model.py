"""Load the base model (optionally quantized) and put a LoRA adapter on it.

The model is moved to its device before PEFT and Opacus wrap it: wrapping first and moving
after leaves the optimizer and the hooks holding the old tensors, and the adapter silently
never changes while the loss falls and ε accrues. Only the adapter trains; embeddings and the
LM head stay frozen.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from govern.errors import BadInput

FROZEN_NAME_PARTS = ("embed_tokens", "lm_head", "wte", "wpe", "embed_out", "embed_positions")


def pick_device(requested: str | None = None) -> Any:
    """The torch device to train on: `requested`, else CUDA when present, else CPU."""
    import torch

    if requested:
        return torch.device(requested)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def load_tokenizer(path: Path) -> Any:
    """The recipe's tokenizer, from a local folder, with a pad token and right padding."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    if tokenizer.pad_token_id is None:
        if tokenizer.eos_token_id is None:
            raise BadInput(f"model.tokenizer: {path} has neither a pad nor an eos token to pad with")
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return tokenizer


def load_base_model(path: Path, quantization: str, device: Any) -> Any:
    """The frozen base causal LM on `device` (float32, or bitsandbytes 8-bit / 4-bit NF4)."""
    import torch
    from transformers import AutoModelForCausalLM

    kwargs: dict[str, Any] = {"local_files_only": True, "dtype": torch.float32}
    if quantization != "none":
        from transformers import BitsAndBytesConfig

        if quantization == "4bit-nf4":
            config = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.float32
            )
        else:
            config = BitsAndBytesConfig(load_in_8bit=True)  # type: ignore[no-untyped-call]
        kwargs["quantization_config"] = config
        kwargs["device_map"] = {"": device.index if device.type == "cuda" else str(device)}
    model = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    if quantization == "none":
        model.to(device)
    model.config.use_cache = False
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


def add_lora(model: Any, lora: dict[str, Any]) -> Any:
    """Wrap `model` in a PEFT LoRA model; only lora_A/lora_B weights require grad."""
    from peft import LoraConfig, get_peft_model

    config = LoraConfig(
        r=int(lora["r"]),
        lora_alpha=lora["alpha"],
        lora_dropout=float(lora["dropout"]),
        target_modules=list(lora["target_modules"]),
        bias="none",
        task_type="CAUSAL_LM",
    )
    import warnings

    with warnings.catch_warnings():  # PEFT calls a transformers method deprecated in v5
        warnings.filterwarnings("ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning)
        peft_model = get_peft_model(model, config)
    check_only_adapter_trains(peft_model)
    return peft_model


def check_only_adapter_trains(peft_model: Any) -> list[str]:
    """Names of trainable parameters; raises if any is not a LoRA weight or is an embedding/head."""
    trainable = [name for name, p in peft_model.named_parameters() if p.requires_grad]
    wrong = [n for n in trainable if "lora_" not in n or any(part in n for part in FROZEN_NAME_PARTS)]
    if wrong or not trainable:
        raise BadInput(
            "lora.target_modules: only LoRA adapter weights may train; "
            + (f"these would too: {', '.join(wrong)}" if wrong else "no adapter weight was created")
        )
    return trainable


def trainable_parameters(peft_model: Any) -> list[Any]:
    """The adapter's parameters, in a stable order."""
    return [p for _, p in sorted(peft_model.named_parameters()) if p.requires_grad]


def build_training_model(recipe: Any, device: Any, init_adapter: Path | None = None) -> Any:
    """The recipe's base model on `device` with a fresh LoRA adapter (seeded by schedule.seed)."""
    import torch

    torch.manual_seed(int(recipe["schedule"]["seed"]))
    base = load_base_model(recipe.model_path, recipe["model"]["quantization"], device)
    model = add_lora(base, recipe["lora"])  # the base is on its device before PEFT and Opacus wrap it
    model.train()
    return model
