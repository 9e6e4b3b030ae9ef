"""The step loop: charge, step, record, checkpoint; stop cleanly on Ctrl-C.

Per step, in this order: (private runs) the charge is fsynced to the journal and handed to the
hooks BEFORE the step touches data; the logical batch runs as physical batches; the scheduler
steps; metrics.jsonl gets the step's learning rate and, at checkpoints and the end, its ε; the
loss file (marked NOT covered by ε) gets the un-noised batch loss; every `checkpoint_every`
steps, at the end and on Ctrl-C a checkpoint is written.

ε is computed only where it is written (checkpoints and the end), not after every step: the
plan is fixed, so the accountant's answer for a step count is a pure function, cached, and the
final ε of an uninterrupted run is the ε the plan already computed.

The progress bar on the engineer's terminal shows the loss; nothing recorded does.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from govern.errors import GovernError
from govern.training.accounting import epsilon_of_history, normalise_history
from govern.training.distributed import Distributed
from govern.training.hooks import TrainingHooks
from govern.training.plan import PrivacyPlan
from govern.training.run_files import (
    JOURNAL_FILE,
    LOSS_FILE,
    LOSS_NOTE,
    METRICS_FILE,
    append_line,
    append_line_durable,
)


class Interrupted(GovernError):
    """The run was stopped (Ctrl-C) at a step boundary after writing a checkpoint."""

    exit_code = 130


class StopFlag:
    """Turns SIGINT into a request to stop at the next step boundary (main thread only)."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> Self:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:  # a second Ctrl-C: stop now
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


@dataclass
class StepLoop:
    """Everything the loop touches; `run` advances `step` and `history` to the end of the plan."""

    run_dir: Path
    run_id: str
    plan: PrivacyPlan
    dist: Distributed
    hooks: TrainingHooks
    attempt: int
    checkpoint_every: int
    model: Any
    optimizer: Any
    scheduler: Any
    engine: Any  # DPEngine, or None for a non-private run
    device: Any
    save_checkpoint: Callable[[int, list[tuple[float, float, int]], float | None], None]
    progress: bool = False
    step: int = 0
    history: list[tuple[float, float, int]] = field(default_factory=list)

    def _charge(self, step: int) -> None:
        sigma, rate = self.plan.noise_multiplier, self.plan.sample_rate
        assert sigma is not None
        append_line_durable(
            self.run_dir / JOURNAL_FILE,
            {"step": step, "noise_multiplier": sigma, "sample_rate": rate, "attempt": self.attempt},
        )
        self.history = normalise_history([*self.history, (sigma, rate, 1)])
        self.hooks.on_step_charged(step, sigma, rate)

    def _logical_step(self, batches: Iterator[dict[str, Any]]) -> tuple[float, int]:
        from govern.training.engine import plain_physical_step

        physical_step = (
            self.engine.physical_step if self.engine is not None else plain_physical_step
        )
        loss_sum, count = 0.0, 0
        for batch in batches:
            batch_loss, n = physical_step(
                self.model, self.optimizer, batch, self.device, self.plan.logical_batch_size
            )
            loss_sum += batch_loss
            count += n
        if self.engine is None:
            self.optimizer.step()
            self.optimizer.zero_grad(set_to_none=True)
        self.scheduler.step()
        return loss_sum, count

    def run(self, logical_batches: Iterator[Iterator[dict[str, Any]]]) -> None:
        from govern.progress import progress

        plan, primary = self.plan, self.dist.primary
        epsilon: float | None = None
        with (
            StopFlag() as stop,
            progress("training", plan.steps, self.progress and primary, completed=self.step) as bar,
        ):
            for batches in logical_batches:
                step = self.step + 1
                if plan.private and primary:
                    self._charge(step)
                loss_sum, count = self._logical_step(batches)
                self.step = step
                totals = self.dist.sum([loss_sum, float(count), float(stop.requested)])
                loss = totals[0] / totals[1] if totals[1] else None
                stop_requested = totals[2] > 0  # every rank stops at the same step
                done = step >= plan.steps
                checkpoint_now = primary and (
                    step % self.checkpoint_every == 0 or done or stop_requested
                )
                if plan.private and checkpoint_now:
                    epsilon = epsilon_of_history(self.history, plan.delta, plan.accountant)  # type: ignore[arg-type]
                if primary:
                    lr = self.scheduler.get_last_lr()[0]
                    append_line(
                        self.run_dir / METRICS_FILE,
                        {
                            "step": step,
                            "epsilon": epsilon if checkpoint_now else None,
                            "lr": lr,
                            "attempt": self.attempt,
                        },
                    )
                    append_line(
                        self.run_dir / LOSS_FILE,
                        {"step": step, "loss": loss, "attempt": self.attempt, "privacy": LOSS_NOTE},
                    )
                status = f"loss {loss:.3f}" if loss is not None else "loss -"
                bar(1, status + (f"  ε {epsilon:.2f}" if epsilon is not None else ""))
                if checkpoint_now:
                    self.save_checkpoint(step, self.history, epsilon if plan.private else None)
                if stop_requested and not done:
                    raise Interrupted(
                        f"stopped at step {step} of {plan.steps}; checkpoint written in {self.run_dir}; "
                        f"resume with `govern train --resume {self.run_id}`"
                    )
                if done:
                    break
