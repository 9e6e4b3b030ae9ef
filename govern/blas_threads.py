"""OpenBLAS's thread count, read and set through its C API (best effort, Linux).

numpy's OpenBLAS starts a thread per core for a large product, and those threads spin for a while
after it, burning CPU that other work on the machine needs. Two parts of govern keep it to one:
the PII scanner, whose spaCy model multiplies its matrices through numpy's OpenBLAS (pii/engine.py;
a scan runs one process per core: worker processes for their whole life, an in-process scan only
while spaCy runs), and the privacy accountant (training/accounting.py), whose arrays are small
and whose spinning threads cost a DP run a tenth of its CPU time on a small model. The calling
program's own numpy is left as it was.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_SETTERS = (
    "scipy_openblas_set_num_threads64_",
    "openblas_set_num_threads64_",
    "openblas_set_num_threads",
)
_GETTERS = (
    "scipy_openblas_get_num_threads64_",
    "openblas_get_num_threads64_",
    "openblas_get_num_threads",
)
_FOUND: list[tuple[Any, Any]] | None = None


def _libraries() -> list[tuple[Any, Any]]:
    """(setter, getter) of each OpenBLAS this process has loaded (found once)."""
    global _FOUND
    if _FOUND is None:
        try:
            with open("/proc/self/maps", encoding="utf-8") as maps:
                paths = {
                    line.split()[-1]
                    for line in maps
                    if "openblas" in line.lower() and ".so" in line
                }
        except OSError:
            paths = set()
        found = []
        for path in sorted(paths):
            try:
                library = ctypes.CDLL(path)
            except OSError:
                continue
            setter = next((getattr(library, s) for s in _SETTERS if hasattr(library, s)), None)
            getter = next((getattr(library, g) for g in _GETTERS if hasattr(library, g)), None)
            if setter is not None:
                found.append((setter, getter))
        _FOUND = found
    return _FOUND


def thread_counts() -> list[int]:
    """The thread count of each loaded OpenBLAS that can report it."""
    return [int(getter()) for _, getter in _libraries() if getter is not None]


def set_threads(count: int) -> None:
    """Every loaded OpenBLAS uses `count` threads from now on."""
    for setter, _ in _libraries():
        setter(count)


@contextmanager
def one_thread() -> Iterator[None]:
    """OpenBLAS on one thread inside the block, its previous count restored after it."""
    libraries = _libraries()
    before = [getter() if getter is not None else None for _, getter in libraries]
    for setter, _ in libraries:
        setter(1)
    try:
        yield
    finally:
        for (setter, _), count in zip(libraries, before, strict=True):
            if count is not None and count != 1:
                setter(count)
