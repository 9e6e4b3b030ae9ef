"""BLAS thread counts, read and set through threadpoolctl.

numpy's OpenBLAS starts a thread per core for a large product, and those threads spin for a while
after it, burning CPU that other work on the machine needs. Two parts of govern keep it to one:
the PII scanner, whose spaCy model multiplies its matrices through numpy's OpenBLAS (pii/engine.py;
a scan runs one process per core: worker processes for their whole life, an in-process scan only
while spaCy runs), and the privacy accountant (training/accounting.py), whose arrays are small
and whose spinning threads cost a DP run a tenth of its CPU time on a small model. The calling
program's own numpy is left as it was.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


@functools.cache
def _controller() -> Any:
    """threadpoolctl's view of the BLAS libraries loaded now (numpy's first of all), found once."""
    import numpy  # noqa: F401  (loads the OpenBLAS that matters here)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def thread_counts() -> list[int]:
    """The thread count of each loaded BLAS library."""
    return [int(lib["num_threads"]) for lib in _controller().info() if lib["user_api"] == "blas"]


def set_threads(count: int) -> None:
    """Every loaded BLAS library uses `count` threads from now on."""
    _controller().limit(limits=count, user_api="blas")


@contextmanager
def one_thread() -> Iterator[None]:
    """BLAS on one thread inside the block, the previous counts restored after it."""
    with _controller().limit(limits=1, user_api="blas"):
        yield
