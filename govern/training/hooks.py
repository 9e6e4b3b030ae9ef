"""The trainer's events, for the ledger and the privacy-budget tables.

The lead wires a `TrainingHooks` subclass to the ledger. Every method is called on the
process that owns the run (rank 0 under torchrun). A hook that raises stops the run: the
failure is reported to `on_failure` and re-raised.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


class TrainingHooks:
    """No-op base: override what you record. Payloads are JSON-able dicts."""

    def on_start(self, run: dict[str, Any]) -> None:
        """A run (or a resume) is about to compute. `run` is run.json: ids, hashes, DP plan."""

    def on_step_charged(self, step: int, noise_multiplier: float, sample_rate: float) -> None:
        """Step `step` (1-based) is about to run and its privacy cost is now spent.

        Called before the step touches data, after the charge is fsynced to the run's journal,
        so a crash never hides a step that ran. Not called for non-private runs.
        """

    def on_checkpoint(self, checkpoint: dict[str, Any], path: Path) -> None:
        """A checkpoint was atomically written at `path`; `checkpoint` is its state.json."""

    def on_complete(self, result: dict[str, Any]) -> None:
        """The run finished; `result` is result.json: ε, δ, steps, final loss, adapter hashes."""

    def on_failure(self, error: BaseException, state: dict[str, Any]) -> None:
        """The run stopped on `error` (Interrupted on Ctrl-C, after a checkpoint)."""


class RecordingHooks(TrainingHooks):
    """Keeps every event in `events` as (name, payload); for tests and dry runs."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []

    def on_start(self, run: dict[str, Any]) -> None:
        self.events.append(("start", run))

    def on_step_charged(self, step: int, noise_multiplier: float, sample_rate: float) -> None:
        self.events.append(("charged", (step, noise_multiplier, sample_rate)))

    def on_checkpoint(self, checkpoint: dict[str, Any], path: Path) -> None:
        self.events.append(("checkpoint", checkpoint))

    def on_complete(self, result: dict[str, Any]) -> None:
        self.events.append(("complete", result))

    def on_failure(self, error: BaseException, state: dict[str, Any]) -> None:
        self.events.append(("failure", (error, state)))

    def named(self, name: str) -> list[Any]:
        """Payloads of the events called `name`."""
        return [payload for event, payload in self.events if event == name]
