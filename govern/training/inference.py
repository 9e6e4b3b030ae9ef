"""A finished run's model for inference, and per-example losses: what evaluation and the
privacy audit borrow from training (the same loss, the same encoding, the same hashes).

Importing this module is cheap; torch and peft load when a function runs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govern.canonical import file_sha256
from govern.errors import IntegrityFailure

if TYPE_CHECKING:
    from govern.catalog.models import TrainingRun


def load_run_model(
    run: TrainingRun, recipe: Any, adapter_files: dict[str, str] | None, device: Any
) -> Any:
    """The run's base model with its adapter (a PeftModel, eval mode), after checking both hashes.

    `model.disable_adapter()` gives the base model. IntegrityFailure when the base model folder
    or any adapter file differs from what the run recorded.
    """
    from peft import PeftModel

    from govern.training.model import hash_model_folder, load_base_model

    if hash_model_folder(recipe.model_path)["hash"] != run.base_model_hash:
        raise IntegrityFailure(
            f"run {run.id}: the base model in {recipe.model_path} is not the one the run trained on"
        )
    adapter_dir = Path(run.output_dir) / "adapter"
    if not adapter_dir.is_dir():
        raise IntegrityFailure(f"run {run.id}: its adapter folder {adapter_dir} is missing")
    for name, digest in sorted((adapter_files or {}).items()):
        path = adapter_dir / name
        if not path.is_file() or file_sha256(path) != digest:
            raise IntegrityFailure(
                f"run {run.id}: adapter file {path} does not hash to what the run recorded"
            )
    import warnings

    from transformers.utils import logging as hf_logging

    bar = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # no "Loading weights" bar in a command's output
    try:
        base = load_base_model(recipe.model_path, recipe["model"]["quantization"], device)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)
            model = PeftModel.from_pretrained(base, adapter_dir, is_trainable=False)
    finally:
        if bar:
            hf_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
    model.eval()
    return model


def device_batches(
    examples: Sequence[tuple[list[int], list[int]]],
    pad_token_id: int,
    device: Any,
    batch_size: int = 32,
) -> Iterator[dict[str, Any]]:
    """The examples collated into padded batches of `batch_size`, in order, on `device`."""
    from govern.training.data import Collator

    collator = Collator(pad_token_id)
    for start in range(0, len(examples), batch_size):
        batch = collator(list(examples[start : start + batch_size]))
        yield {k: v.to(device) for k, v in batch.items()}


def example_losses(
    model: Any,
    examples: Sequence[tuple[list[int], list[int]]],
    pad_token_id: int,
    device: Any,
    batch_size: int = 32,
) -> list[float]:
    """Each example's mean loss over its supervised tokens (the training loss), in order."""
    import torch

    from govern.training.loss import per_example_loss

    out: list[float] = []
    with torch.no_grad():
        for batch in device_batches(examples, pad_token_id, device, batch_size):
            logits = model(
                input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
            ).logits
            out += [float(x) for x in per_example_loss(logits, batch["labels"]).cpu()]
    return out


def supervised_tokens(examples: Sequence[tuple[list[int], list[int]]]) -> list[int]:
    """How many tokens each example's loss averages over (labels after the first position)."""
    from govern.training.data import IGNORE_INDEX

    return [
        max(1, sum(1 for label in labels[1:] if label != IGNORE_INDEX)) for _, labels in examples
    ]
