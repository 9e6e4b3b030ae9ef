"""This process's place under torchrun: rank, world size, and the few collectives the run needs.

Every rank computes; only the primary (rank 0) admits the run at the gate, catalogues it, writes
run files, checkpoints and the adapter, and calls the hooks, so the ledger sees each event once.
Joining a process group also makes SIGTERM an exception (`Terminated`): torchrun's agent sends
it to the surviving ranks when one dies, and rank 0 then records the run as failed instead of
vanishing with the run still marked running (and its ε still reserved).
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

from govern.errors import GovernError


class Terminated(GovernError):
    """The process received SIGTERM (under torchrun: a peer rank died); the run is recorded as failed."""

    exit_code = 143


class PeerLost(Terminated):
    """This rank of a torchrun job stopped on an error that is not govern's (typically a collective
    failing because a peer died); the run is recorded as failed and the cause kept in run.json."""


def world_size_from_env() -> int:
    """WORLD_SIZE as torchrun sets it (1 when not launched by torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def is_primary_process() -> bool:
    """Whether this process is rank 0 (or the only process)."""
    return int(os.environ.get("RANK", "0")) == 0


_recording_failure = False


def _raise_terminated(signum: int, frame: Any) -> None:
    global _recording_failure
    if _recording_failure:  # the run is already stopping; let the failure be recorded
        return
    _recording_failure = True
    raise Terminated(
        f"received signal {signum} (SIGTERM): a peer process died or the job was stopped"
    )


def ignore_sigterm() -> None:
    """From now on SIGTERM raises nothing: a failure is being recorded, and a signal must not cut it short."""
    global _recording_failure
    _recording_failure = True


@contextlib.contextmanager
def sigterm_raises() -> Iterator[None]:
    """Within the block, SIGTERM raises `Terminated` (main thread only; a no-op elsewhere)."""
    global _recording_failure
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _recording_failure = False
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class Distributed:
    """Rank and world size; one process when not launched by torchrun."""

    def __init__(self, rank: int = 0, world_size: int = 1) -> None:
        self.rank, self.world_size = rank, world_size

    @property
    def primary(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> Distributed:
        """Join the torchrun process group (gloo on CPU, nccl on CUDA) when WORLD_SIZE > 1."""
        if world_size_from_env() <= 1:
            return cls()
        import torch
        import torch.distributed as torch_dist

        if not torch_dist.is_initialized():
            if threading.current_thread() is threading.main_thread():
                signal.signal(
                    signal.SIGTERM, _raise_terminated
                )  # for the life of this torchrun worker
            if torch.cuda.is_available():
                torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
            torch_dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
        return cls(torch_dist.get_rank(), torch_dist.get_world_size())

    def broadcast(self, value: Any) -> Any:
        """Rank 0's `value` on every rank."""
        if self.world_size == 1:
            return value
        import torch.distributed as torch_dist

        box = [value]
        torch_dist.broadcast_object_list(box, src=0)
        return box[0]

    def barrier(self) -> None:
        if self.world_size > 1:
            import torch.distributed as torch_dist

            torch_dist.barrier()

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum over ranks."""
        if self.world_size == 1:
            return values
        import torch
        import torch.distributed as torch_dist

        tensor = torch.tensor(values, dtype=torch.float64)
        torch_dist.all_reduce(tensor, op=torch_dist.ReduceOp.SUM)
        return tensor.tolist()

    def local_device(self) -> str | None:
        """cuda:LOCAL_RANK under torchrun on a GPU machine; else None (the default device)."""
        import torch

        if self.world_size > 1 and torch.cuda.is_available():
            return f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}"
        return None
