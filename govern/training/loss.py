"""Per-example loss: the privacy unit is one example, so the loss is one number per example.

A model's built-in loss (and a Trainer's) is the mean over every token of the whole batch, so
long examples weigh more and the per-example gradient is not the gradient of one example's
loss. Here each example's token losses are averaged over its own supervised tokens, padding
and prompt tokens masked out; the batch loss is then the mean of those per-example losses.
"""

from __future__ import annotations

from typing import Any

from govern.training.data import IGNORE_INDEX


def per_example_loss(logits: Any, labels: Any) -> Any:
    """Mean next-token cross-entropy of each example over its supervised tokens: shape [batch]."""
    import torch
    import torch.nn.functional as F

    shift_logits = logits[:, :-1, :].float()
    shift_labels = labels[:, 1:]
    batch, length, vocab = shift_logits.shape
    token_loss = F.cross_entropy(
        shift_logits.reshape(-1, vocab),
        shift_labels.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="none",
    ).view(batch, length)
    mask = (shift_labels != IGNORE_INDEX).to(token_loss.dtype)
    counts = mask.sum(dim=1).clamp(min=1.0)
    return (
        (token_loss * mask).sum(dim=1) / counts if batch else torch.zeros(0, device=logits.device)
    )
