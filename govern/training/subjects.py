"""Subject-level DP: the privacy unit is a person, however many records they have.

With `dp.unit = "subject"` each step Poisson-samples *subjects* at q = L / (number of subjects),
takes at most `dp.max_records_per_subject` of a sampled subject's records (chosen at random
from the run's randomness, the secure source by default), and clips the subject's gradient (the
mean of its records' per-example gradients) as one unit before Opacus's optimizer adds noise
calibrated to q. Adding or removing a subject then changes one clipped term of the noised sum,
so the accountant's ε, fed the subject sampling rate and the steps, is per subject (the
user-level DP-SGD of McMahan et al. 2018 and of dp-transformers' author-level example).

A subject's records always share one physical batch (the recipe requires a physical batch of at
least the cap), so its combined gradient is whole before clipping. Subjects come from the
snapshot's proven subject index (`GatedData.record_subjects`), as keyed hashes; a planted canary
is a subject of its own.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from govern.errors import BadInput
from govern.training.data import Collator, ExampleDataset
from govern.training.engine import DPEngine
from govern.training.sampling import _inclusion_mask

SEGMENTS = "subject_segments"  # batch key: each row's subject slot within its physical batch


def record_subjects_of(recipe: Any, data: Any) -> list[str] | None:
    """The subject hash of each gated record when the recipe's unit is the subject, else None."""
    if recipe.privacy_unit != "subject":
        return None
    subjects: list[str] = data.record_subjects()
    return subjects


def count_subjects(subjects: Sequence[str] | None) -> int | None:
    """How many distinct subjects (None stays None: a record-level run)."""
    return None if subjects is None else len(set(subjects))


def subject_groups(subjects: Sequence[str], extra: int = 0) -> list[list[int]]:
    """Example indices per subject, subjects in first-seen order; `extra` trailing examples
    (canaries) are one subject each."""
    slots: dict[str, list[int]] = {}
    for index, subject in enumerate(subjects):
        slots.setdefault(subject, []).append(index)
    start = len(subjects)
    return [*slots.values(), *([start + i] for i in range(extra))]


def _choose(count: int, cap: int, generator: Any) -> list[int]:
    """`min(count, cap)` distinct positions out of `count`, uniformly at random."""
    import torch

    if count <= cap:
        return list(range(count))
    if generator is None:
        from govern.training.secure_rng import uniform

        order = torch.argsort(uniform(count))
    else:
        order = torch.randperm(count, generator=generator)
    return sorted(order[:cap].tolist())


def sampled_subjects(
    groups: Sequence[Sequence[int]], rate: float, cap: int, generator: Any
) -> list[list[int]]:
    """One step's draw: each subject joins with probability `rate`, with at most `cap` of its records."""
    mask = _inclusion_mask(len(groups), rate, generator)
    chosen = mask.nonzero(as_tuple=False).reshape(-1).tolist()
    picked = []
    for slot in chosen:
        records = groups[slot]
        picked.append([records[i] for i in _choose(len(records), cap, generator)])
    return picked


def pack_subjects(draw: Sequence[Sequence[int]], physical: int) -> list[list[Sequence[int]]]:
    """Split a step's subjects into physical batches of at most `physical` records, never
    splitting one subject (at least one, possibly empty, batch)."""
    batches: list[list[Sequence[int]]] = [[]]
    size = 0
    for records in draw:
        if size + len(records) > physical and batches[-1]:
            batches.append([])
            size = 0
        batches[-1].append(records)
        size += len(records)
    return batches


def collate_subjects(
    dataset: ExampleDataset, collator: Collator, subjects: Sequence[Sequence[int]]
) -> dict[str, Any]:
    """A padded batch of these subjects' records, with each row's subject slot under SEGMENTS."""
    import torch

    rows = [index for records in subjects for index in records]
    batch = collator([dataset[i] for i in rows])
    batch[SEGMENTS] = torch.tensor(
        [slot for slot, records in enumerate(subjects) for _ in records], dtype=torch.long
    )
    return batch


def combine_by_subject(grad_sample: Any, segments: Any, count: int) -> Any:
    """Per-subject gradients: the mean of each subject's rows of a per-example gradient tensor."""
    import torch

    out = torch.zeros(
        (count, *grad_sample.shape[1:]), dtype=grad_sample.dtype, device=grad_sample.device
    )
    out.index_add_(0, segments, grad_sample)
    sizes = torch.bincount(segments, minlength=count).to(out.dtype).clamp_(min=1)
    return out / sizes.view(-1, *([1] * (grad_sample.dim() - 1)))


class SubjectDPEngine(DPEngine):
    """DPEngine whose privacy unit is a subject: subject Poisson sampling and per-subject clipping."""

    groups: list[list[int]]

    def use_subjects(self, groups: list[list[int]]) -> None:
        """Set the example indices of each subject (from `subject_groups`)."""
        if self.world_size > 1:
            raise BadInput('dp.unit = "subject" runs in one process; launch it without torchrun')
        if self.mode != "hooks":
            raise BadInput('dp.unit = "subject" needs per-sample hooks (dp.clipping = "hooks")')
        self.groups = groups

    def logical_batches(
        self, dataset: ExampleDataset, collator: Collator, physical: int, remaining: int
    ) -> Iterator[Iterator[dict[str, Any]]]:
        """Per remaining step, its physical batches; all but the last only accumulate (Opacus's skip)."""
        cap = self.plan.max_records_per_subject
        assert cap is not None and physical >= cap
        for _ in range(remaining):
            draw = sampled_subjects(
                self.groups, self.plan.sample_rate, cap, self.randomness.sampler_gen
            )
            yield self._one_step(dataset, collator, pack_subjects(draw, physical))

    def _one_step(
        self,
        dataset: ExampleDataset,
        collator: Collator,
        batches: list[list[Sequence[int]]],
    ) -> Iterator[dict[str, Any]]:
        for number, subjects in enumerate(batches, start=1):
            if number < len(batches):
                self.optimizer.signal_skip_step(do_skip=True)
            yield collate_subjects(dataset, collator, subjects)

    def physical_step(
        self, model: Any, optimizer: Any, batch: dict[str, Any], device: Any, logical: int
    ) -> tuple[float, int]:
        """Forward, per-example gradients, combined per subject, then Opacus clips each subject."""
        segments = batch.pop(SEGMENTS)
        n = int(batch["input_ids"].shape[0])
        if n == 0:
            return super().physical_step(model, optimizer, batch, device, logical)
        count = int(segments.max()) + 1
        losses = self.backward(batch, device)
        for p in self.optimizer.params:
            p.grad_sample = combine_by_subject(
                p.grad_sample, segments.to(p.grad_sample.device), count
            )
        self.optimizer.step()
        self.optimizer.zero_grad(set_to_none=True)
        return float(losses.detach().sum()), n

    def backward(self, batch: dict[str, Any], device: Any) -> Any:
        """Forward and backward of a non-empty batch; leaves per-example gradients in grad_sample."""
        import warnings

        from govern.training.loss import per_example_loss

        batch = {k: v.to(device) for k, v in batch.items()}
        logits = self.module(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).logits
        losses = per_example_loss(logits, batch["labels"])
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Full backward hook is firing")
            losses.mean().backward()
        return losses
