"""The base model: probing a model folder (hashes, module names, quantization support, a memory
estimate), loading it (optionally quantized) and putting a LoRA adapter on it.

Probing builds the model on the meta device (no weights loaded), so a recipe is checked against
the model in seconds, before any data is read. The model is moved to its device before PEFT and Opacus wrap it: wrapping first and moving
after leaves the optimizer and the hooks holding the old tensors, and the adapter silently
never changes while the loss falls and ε accrues. Only the adapter trains; embeddings and the
LM head stay frozen.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from govern.canonical import file_sha256, hash_value
from govern.errors import BadInput

FROZEN_NAME_PARTS = ("embed_tokens", "lm_head", "wte", "wpe", "embed_out", "embed_positions")
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf")
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "tokenizer.model",
    "vocab.json",
    "merges.txt",
    "vocab.txt",
    "added_tokens.json",
)


# ---------------------------------------------------------------------------------------------
# Probing a model folder (no weights loaded)


def weight_files(model_dir: Path) -> list[Path]:
    """The weight files of a model folder, sorted by name."""
    return sorted(
        p for p in model_dir.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES)
    )


def hash_model_folder(model_dir: Path) -> dict[str, Any]:
    """SHA-256 of every weight and config file of a model folder, and one hash over them all."""
    files = {p.name: file_sha256(p) for p in weight_files(model_dir)}
    for extra in sorted(model_dir.glob("*.json")):  # config, generation config, shard index
        if not extra.name.startswith("tokenizer") and extra.name != "special_tokens_map.json":
            files[extra.name] = file_sha256(extra)
    return {"files": files, "hash": hash_value(files)}


def hash_tokenizer_folder(tokenizer_dir: Path) -> dict[str, Any]:
    """SHA-256 of the tokenizer's files, and one hash over them all."""
    files = {
        n: file_sha256(tokenizer_dir / n) for n in TOKENIZER_FILES if (tokenizer_dir / n).is_file()
    }
    return {"files": files, "hash": hash_value(files)}


_MODULE_CACHE: dict[tuple[str, float], Any] = {}


def meta_model(model_dir: Path) -> Any:
    """The model built from its config.json on the meta device (cached per folder and mtime); None if it cannot be."""
    key = (str(model_dir.resolve()), (model_dir / "config.json").stat().st_mtime)
    if key not in _MODULE_CACHE:
        try:
            import torch
            from transformers import AutoConfig, AutoModelForCausalLM

            config = AutoConfig.from_pretrained(model_dir, local_files_only=True)
            with torch.device("meta"):
                _MODULE_CACHE[key] = AutoModelForCausalLM.from_config(config)  # type: ignore[no-untyped-call]
        except Exception:
            _MODULE_CACHE[key] = None
    return _MODULE_CACHE[key]


def module_names(model_dir: Path) -> list[str] | None:
    """Names of every submodule of the model, or None when the model cannot be built."""
    model = meta_model(model_dir)
    return None if model is None else [name for name, _ in model.named_modules() if name]


def leaves_of_linear(model_dir: Path) -> set[str]:
    """Short names of the model's linear layers: the candidates for `lora.target_modules`."""
    import torch

    model = meta_model(model_dir)
    return {
        name.rsplit(".", 1)[-1]
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and not name.endswith("lm_head")
    }


def quantization_unavailable(kind: str) -> str | None:
    """Why bitsandbytes `kind` quantization cannot run on this machine, or None if it can."""
    try:
        import bitsandbytes  # noqa: F401
    except Exception as error:
        return f"bitsandbytes cannot be imported ({error}); install govern[train]"
    try:
        import torch
        from bitsandbytes.functional import dequantize_4bit, quantize_4bit

        probe = torch.randn(64, 64)
        if kind == "4bit-nf4":
            packed, state = quantize_4bit(probe, quant_type="nf4")
            dequantize_4bit(packed, state)
        else:
            from bitsandbytes.functional import int8_vectorwise_quant

            int8_vectorwise_quant(probe.half())
    except Exception as error:
        return f"bitsandbytes does not support this device ({type(error).__name__}: {error})"
    return None


_BYTES_PER_WEIGHT = {"none": 4.0, "8bit": 1.0, "4bit-nf4": 0.5}
_BYTES_PER_DTYPE = {"float32": 4.0, "bfloat16": 2.0, "float16": 2.0}


def training_memory_bytes(
    model_dir: Path,
    lora: dict[str, Any],
    quantization: str,
    physical: int,
    max_length: int,
    dtype: str = "float32",
) -> int | None:
    """A rough upper estimate of the memory one physical batch needs to train (None if the model cannot be built).

    Frozen weights, the adapter with its optimizer state and per-sample gradients (one copy per
    example), the activations kept for backward (~34·h values per token per layer, Korthikanti et
    al. 2022, attention scores left out as SDPA does not keep them), and float32 logits with their
    gradient. Meant to catch the impossible, not to size the possible.
    """
    import torch

    model = meta_model(model_dir)
    if model is None:
        return None
    config = model.config
    hidden = int(getattr(config, "hidden_size", 0) or 0)
    layers = int(getattr(config, "num_hidden_layers", 0) or 0)
    vocab = int(getattr(config, "vocab_size", 0) or 0)
    per_weight = (
        _BYTES_PER_DTYPE.get(dtype, 4.0)
        if quantization == "none"
        else _BYTES_PER_WEIGHT.get(quantization, 4.0)
    )
    weights = sum(p.numel() for p in model.parameters()) * per_weight
    targets = set(lora["target_modules"])
    adapter = sum(
        int(lora["r"]) * (module.in_features + module.out_features)
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
        and (name.rsplit(".", 1)[-1] in targets or name in targets)
    )
    tokens = physical * max_length
    activations = tokens * layers * 34 * hidden * 2
    logits = tokens * vocab * 4 * 3
    adapter_bytes = adapter * 4 * (4 + physical)
    return int(weights + activations + logits + adapter_bytes)


def machine_memory_bytes() -> int:
    """The memory of the largest device training could use: the biggest GPU, else the RAM."""
    import torch

    if torch.cuda.is_available():
        return max(
            torch.cuda.get_device_properties(i).total_memory
            for i in range(torch.cuda.device_count())
        )
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


# ---------------------------------------------------------------------------------------------
# Loading


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
            raise BadInput(
                f"model.tokenizer: {path} has neither a pad nor an eos token to pad with"
            )
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return tokenizer


def load_base_model(
    path: Path,
    quantization: str,
    device: Any,
    dtype: str = "float32",
    gradient_checkpointing: bool = False,
) -> Any:
    """The frozen base causal LM on `device` in `dtype` (or bitsandbytes 8-bit / 4-bit NF4 computing in it).

    With `gradient_checkpointing`, activations are recomputed in the backward pass (reentrant
    checkpoints: the first forward runs without grad, so Opacus's hooks see each layer once, in
    the recomputation, and per-sample gradients stay exact; the inputs are made to require grad
    so the frozen embeddings still pass a gradient through).
    """
    import torch
    from transformers import AutoModelForCausalLM

    torch_dtype = getattr(torch, dtype)
    kwargs: dict[str, Any] = {"local_files_only": True, "dtype": torch_dtype}
    if quantization != "none":
        from transformers import BitsAndBytesConfig

        if quantization == "4bit-nf4":
            config = BitsAndBytesConfig(  # type: ignore[no-untyped-call]
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch_dtype
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
    if gradient_checkpointing:
        if not getattr(model, "supports_gradient_checkpointing", False):
            raise BadInput(
                f"model.gradient_checkpointing: {type(model).__name__} does not support gradient "
                "checkpointing; set it to false"
            )
        if hasattr(model, "activation_checkpointing_enable"):  # transformers ≥ 5.2
            model.activation_checkpointing_enable(
                activation_checkpointing_kwargs={"use_reentrant": True}
            )
        else:
            model.gradient_checkpointing_enable(  # type: ignore[no-untyped-call]
                gradient_checkpointing_kwargs={"use_reentrant": True}
            )
        model.enable_input_require_grads()  # type: ignore[no-untyped-call]
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
        warnings.filterwarnings(
            "ignore", message=".*is_gradient_checkpointing.*", category=FutureWarning
        )
        peft_model = get_peft_model(model, config)
    check_only_adapter_trains(peft_model)
    return peft_model


def check_only_adapter_trains(peft_model: Any) -> list[str]:
    """Names of trainable parameters; raises if any is not a LoRA weight or is an embedding/head."""
    trainable = [name for name, p in peft_model.named_parameters() if p.requires_grad]
    wrong = [
        n for n in trainable if "lora_" not in n or any(part in n for part in FROZEN_NAME_PARTS)
    ]
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
    base = load_base_model(
        recipe.model_path,
        recipe["model"]["quantization"],
        device,
        dtype=recipe.dtype,
        gradient_checkpointing=recipe.gradient_checkpointing,
    )
    model = add_lora(
        base, recipe["lora"]
    )  # the base is on its device before PEFT and Opacus wrap it
    model.train()
    return model
