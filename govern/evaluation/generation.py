"""Batched greedy generation from a finished run's model, with its adapter on and off.

Prompts are encoded as training encodes them (BOS, then the prompt's tokens) and left-padded, so
every prompt in a batch continues from its own last token. Importing this module is cheap.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from govern.progress import progress


def encode_prompt(tokenizer: Any, prompt: str) -> list[int]:
    """A prompt's ids as the trainer encodes it before the completion."""
    bos = [tokenizer.bos_token_id] if tokenizer.bos_token_id is not None else []
    return bos + list(tokenizer(prompt, add_special_tokens=False)["input_ids"])


def generate(
    model: Any,
    tokenizer: Any,
    prompts: Sequence[str],
    *,
    max_new_tokens: int,
    batch_size: int,
    device: Any,
    label: str = "generating",
) -> list[str]:
    """Greedy continuations of `prompts` (only the new tokens, decoded without special tokens)."""
    import torch

    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    outputs: list[str] = []
    with progress(label, total=len(prompts)) as advance, torch.no_grad():
        for start in range(0, len(prompts), batch_size):
            encoded = [encode_prompt(tokenizer, p) for p in prompts[start : start + batch_size]]
            width = max(len(ids) for ids in encoded)
            input_ids = torch.tensor([[pad] * (width - len(ids)) + ids for ids in encoded])
            attention = torch.tensor([[0] * (width - len(ids)) + [1] * len(ids) for ids in encoded])
            generated = model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention.to(device),
                max_new_tokens=max_new_tokens,
                do_sample=False,
                pad_token_id=pad,
                eos_token_id=tokenizer.eos_token_id,
            )
            for row in generated[:, width:].cpu().tolist():
                outputs.append(tokenizer.decode(row, skip_special_tokens=True))
            advance(len(encoded))
    return outputs
