"""How each step's batch is drawn.

Private runs: Poisson sampling, every example joins a step's batch independently with
probability q (the sampling the accountant assumes). The draws come from `secure_rng` when the
run's randomness is "csprng", else from the run's torch generator. Under torchrun each rank
samples its own shard. An empty batch is yielded, never skipped: it still takes a noised step.

Non-private runs: a uniformly drawn fixed-size batch per step, split into physical batches.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any


def _inclusion_mask(count: int, rate: float, generator: Any) -> Any:
    import torch

    if generator is None:
        from govern.training.secure_rng import bernoulli_mask

        return bernoulli_mask(count, rate)
    return torch.rand(count, generator=generator) < rate


@functools.cache
def _sampler_classes() -> tuple[type, type]:
    from opacus.utils.uniform_sampler import (
        DistributedUniformWithReplacementSampler,
        UniformWithReplacementSampler,
    )

    class PoissonSampler(UniformWithReplacementSampler):  # type: ignore[misc]
        """Opacus's Poisson sampler, drawing its masks from the secure source when it has no generator."""

        def __iter__(self) -> Iterator[list[int]]:
            for _ in range(self.steps):
                mask = _inclusion_mask(self.num_samples, self.sample_rate, self.generator)
                yield mask.nonzero(as_tuple=False).reshape(-1).tolist()

    class DistributedPoissonSampler(DistributedUniformWithReplacementSampler):  # type: ignore[misc]
        """Opacus's distributed Poisson sampler, but an empty local batch is yielded, not skipped.

        Skipping it (as Opacus 1.6 does) leaves that rank one step short of the others: the
        all-reduce then pairs different steps or hangs, and the step count no longer matches
        what was accounted. The fixed shard permutation (seeded, as in Opacus) decides only
        which rank holds an example, not whether it is sampled.
        """

        def __iter__(self) -> Iterator[list[int]]:
            import torch

            generator = torch.Generator()
            generator.manual_seed(self.shuffle_seed + self.epoch)
            indices = (
                torch.randperm(self.total_size, generator=generator)
                if self.shuffle
                else torch.arange(self.total_size)
            )
            indices = indices[self.rank : self.total_size : self.num_replicas]
            for _ in range(self.num_batches):
                mask = _inclusion_mask(self.num_samples, self.sample_rate, self.generator)
                yield indices[mask.nonzero(as_tuple=False).reshape(-1)].tolist()

    return PoissonSampler, DistributedPoissonSampler


def poisson_sampler(
    num_samples: int, sample_rate: float, steps: int, generator: Any, world_size: int = 1
) -> Any:
    """A batch sampler yielding `steps` Poisson batches of indices (generator None: secure draws)."""
    single, distributed = _sampler_classes()
    if world_size > 1:
        return distributed(
            total_size=num_samples, sample_rate=sample_rate, generator=generator, steps=steps
        )
    return single(
        num_samples=num_samples, sample_rate=sample_rate, generator=generator, steps=steps
    )


def uniform_batches(
    dataset: Any, collator: Any, logical: int, physical: int, generator: Any, steps: int
) -> Iterator[Iterator[dict[str, Any]]]:
    """Non-private: per step, `logical` examples drawn without replacement, in physical chunks."""
    import torch

    for _ in range(steps):
        order = torch.randperm(len(dataset), generator=generator)[:logical].tolist()
        chunks = [order[i : i + physical] for i in range(0, len(order), physical)]
        yield (collator([dataset[i] for i in chunk]) for chunk in chunks)
