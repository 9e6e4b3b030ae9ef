"""Progress display for long operations: a rich bar on stderr, silent when stderr is no terminal."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def progress(
    description: str, total: int | None = None, enabled: bool | None = None, completed: int = 0
) -> Iterator[Callable[..., None]]:
    """Yield `advance(n=1, status=None)`, which moves a progress bar and sets the text after it
    (or does nothing when disabled). `completed` is where the bar starts (a resumed run)."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        yield lambda n=1, status=None: None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = [
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
    ]
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total, completed=completed, status="")

        def advance(n: int = 1, status: str | None = None) -> None:
            if status is not None:
                bar.update(task, status=status)
            bar.advance(task, n)

        yield advance
