"""Opacus's parts, assembled: a GradSampleModule, a DPOptimizer and Poisson sampling.

`PrivacyEngine.make_private` derives the sample rate from the data loader's length (1/len),
which cannot express our exact q = L/N nor a planned step count; the parts it assembles are
used here directly, with the accountant history kept in the run's journal. With the run's
randomness "csprng", the optimizer draws its noise from `secure_rng` (`SecureNoise`), as
Opacus's secure_mode would with torchcsprng. Per-sample gradients ("hooks") come from Opacus's
GradSampleModule with output-tensor hooks (grad_sample.py).
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Iterator
from typing import Any

from govern.training.data import Collator, ExampleDataset
from govern.training.loss import per_example_loss
from govern.training.plan import PrivacyPlan
from govern.training.randomness import CSPRNG, RunRandomness


class SecureNoise:
    """Mixin for Opacus's DP optimizers: `add_noise` draws hardened noise from `secure_rng`.

    Everything else (clipping, accumulation, scaling, the distributed all-reduce, and under
    torchrun the rule that only rank 0 adds noise) stays Opacus's.
    """

    def add_noise(self) -> None:
        from opacus.optimizers.optimizer import (
            _check_processed_flag,
            _mark_as_processed,
        )

        from govern.training.secure_rng import gaussian_like

        if getattr(self, "rank", 0) != 0:  # distributed: the other ranks add none (Opacus)
            super().add_noise()  # type: ignore[misc]
            return
        params = self.params  # type: ignore[attr-defined]
        for p in params:
            _check_processed_flag(p.summed_grad)
        multiplier = getattr(self, "_adjusted_noise_multiplier", self.noise_multiplier)  # type: ignore[attr-defined]
        noises = gaussian_like([p.summed_grad for p in params], multiplier * self.max_grad_norm)  # type: ignore[attr-defined]
        for p, noise in zip(params, noises, strict=True):
            p.grad = (p.summed_grad + noise).view_as(p)
            _mark_as_processed(p.summed_grad)


@functools.cache
def _secure_optimizer_class(base: type) -> type:
    return type(f"Secure{base.__name__}", (SecureNoise, base), {})


def _move(batch: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) for k, v in batch.items()}


def plain_physical_step(
    model: Any, optimizer: Any, batch: dict[str, Any], device: Any, logical: int
) -> tuple[float, int]:
    """Non-private micro-batch: accumulate the gradient of (sum of per-example losses) / logical."""
    n = int(batch["input_ids"].shape[0])
    if n == 0:
        return 0.0, 0
    batch = _move(batch, device)
    logits = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).logits
    losses = per_example_loss(logits, batch["labels"])
    (losses.sum() / logical).backward()
    return float(losses.detach().sum()), n


class DPEngine:
    """A model wrapped for per-sample clipping, its DP optimizer, and its Poisson batches."""

    def __init__(
        self,
        module: Any,
        optimizer: Any,
        mode: str,
        plan: PrivacyPlan,
        randomness: RunRandomness,
        world_size: int = 1,
    ) -> None:
        self.module = module
        self.optimizer = optimizer
        self.mode = mode
        self.plan = plan
        self.randomness = randomness
        self.world_size = world_size

    @classmethod
    def build(
        cls,
        model: Any,
        optimizer: Any,
        plan: PrivacyPlan,
        mode: str,
        randomness: RunRandomness,
        world_size: int = 1,
    ) -> DPEngine:
        from opacus.grad_sample import GradSampleModuleFastGradientClipping
        from opacus.optimizers import get_optimizer_class

        from govern.training.grad_sample import tensor_hook_grad_sample_module

        assert plan.noise_multiplier is not None and plan.max_grad_norm is not None
        if mode == "ghost":
            module: Any = GradSampleModuleFastGradientClipping(
                model, batch_first=True, loss_reduction="mean", max_grad_norm=plan.max_grad_norm
            )
        else:
            module = tensor_hook_grad_sample_module()(
                model, batch_first=True, loss_reduction="mean"
            )
        module.forbid_grad_accumulation()  # Poisson batches: accumulate only through BatchMemoryManager
        optimizer_class = get_optimizer_class(
            clipping="flat", distributed=world_size > 1, grad_sample_mode=mode
        )
        if randomness.kind == CSPRNG:
            optimizer_class = _secure_optimizer_class(optimizer_class)
        dp_optimizer = optimizer_class(
            optimizer,
            noise_multiplier=plan.noise_multiplier,
            max_grad_norm=plan.max_grad_norm,
            # per worker: each rank sums its share and the all-reduce averages over ranks
            expected_batch_size=plan.logical_batch_size / world_size,
            loss_reduction="mean",
            generator=randomness.noise_gen,
        )
        return cls(module, dp_optimizer, mode, plan, randomness, world_size)

    def logical_batches(
        self, dataset: ExampleDataset, collator: Collator, physical: int, remaining: int
    ) -> Iterator[Iterator[dict[str, Any]]]:
        """One iterator of physical batches per remaining step (Opacus's BatchMemoryManager splits them)."""
        from opacus.utils.batch_memory_manager import BatchMemoryManager
        from torch.utils.data import DataLoader

        from govern.training.sampling import poisson_sampler

        sampler = poisson_sampler(
            len(dataset),
            self.plan.sample_rate,
            remaining,
            self.randomness.sampler_gen,
            self.world_size,
        )
        loader: Any = DataLoader(dataset, batch_sampler=sampler, collate_fn=collator)  # type: ignore[arg-type]
        with BatchMemoryManager(
            data_loader=loader, max_physical_batch_size=physical, optimizer=self.optimizer
        ) as split:
            physical_batches = iter(split)
            for _ in range(remaining):
                yield self._one_logical(physical_batches)

    def _one_logical(self, physical_batches: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Physical batches up to (and including) the one on which the optimizer really steps."""
        for batch in physical_batches:
            yield batch
            if not self.optimizer._is_last_step_skipped:
                return

    def physical_step(
        self, model: Any, optimizer: Any, batch: dict[str, Any], device: Any, logical: int
    ) -> tuple[float, int]:
        """Forward, per-example loss, per-sample clipping, and the DP optimizer's (maybe skipped) step."""
        import torch

        n = int(batch["input_ids"].shape[0])
        if n == 0:
            # An empty Poisson batch still takes a step: zero clipped sum plus full noise.
            for p in self.optimizer.params:
                if self.mode == "ghost":
                    p.grad = torch.zeros_like(p)
                else:
                    p.grad_sample = torch.zeros((0, *p.shape), dtype=p.dtype, device=p.device)
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
            return 0.0, 0
        batch = _move(batch, device)
        logits = self.module(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).logits
        losses = per_example_loss(logits, batch["labels"])
        with warnings.catch_warnings():
            # Opacus's hooks sit on LoRA layers whose inputs (frozen activations) need no grad.
            warnings.filterwarnings("ignore", message="Full backward hook is firing")
            if self.mode == "ghost":
                from opacus.utils.fast_gradient_clipping_utils import (
                    DPTensorFastGradientClipping,
                )

                DPTensorFastGradientClipping(self.module, self.optimizer, losses, "mean").backward()
            else:
                losses.mean().backward()
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(losses.detach().sum()), n

    def close(self) -> None:
        """Remove Opacus's hooks from the model."""
        with contextlib.suppress(Exception):
            self.module._close()


def resolve_clipping_mode(requested: str, private: bool) -> str:
    """The per-sample clipping mode to run: "ghost" (Opacus fast/ghost clipping) or "hooks".

    "auto" picks hooks: LoRA's per-sample gradients are small (rank × width per layer), so
    materialising them costs less than ghost clipping's second backward pass; the benchmark
    (benchmarks/train_dp_vs_lora.py) measures both. "ghost" is always available on request.
    """
    if not private:
        return "none"
    return "hooks" if requested == "auto" else requested
