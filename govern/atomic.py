"""Atomic file writes: a temp file beside the target, fsync, rename, fsync the folder.

A reader (or a crash) sees the old file or the new one, never half of one; a failed or
interrupted write leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from govern.errors import BadInput


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries: a rename inside it is durable only after this."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_output(path: Path, binary: bool = False, mode: int = 0o600) -> Iterator[IO[Any]]:
    """Yield a handle on a temp file beside `path`; on success fsync and rename it into place
    (with exactly `mode`, whatever the umask), on any failure (Ctrl-C included) delete it."""
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise BadInput(f"{path}: the folder {directory} does not exist")
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=directory)
    try:
        os.fchmod(fd, mode)
        handle: IO[Any] = (
            os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="\n")
        )
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
        fsync_dir(directory)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def write_new_file(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Create `path` with exactly `mode`, whatever the umask (never overwriting), fsynced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        Path(path).unlink(missing_ok=True)
        raise
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def make_dirs(path: Path, mode: int) -> None:
    """Create `path` and any missing parents, each created folder with exactly `mode`."""
    path = Path(path)
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=mode)
        except FileExistsError:  # another process made it first
            continue
        folder.chmod(mode)


def write(path: Path, data: bytes | str, *, mode: int = 0o600, exclusive: bool = False) -> None:
    """Write `data` to `path` atomically (temp file, fsync, rename, folder fsync) with exactly `mode`.

    `exclusive` refuses to replace an existing file (FileExistsError), atomically: the temp file is
    linked into place, which fails if anything is there, then unlinked.
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    if not exclusive:
        with atomic_output(path, binary=True, mode=mode) as handle:
            handle.write(payload)
        return
    temp = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        write_new_file(temp, payload, mode)
        os.link(temp, path)
        fsync_dir(path.parent)
    finally:
        temp.unlink(missing_ok=True)


def atomic_write_bytes(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `data` to `path` atomically (creating its folder)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write(path, data, mode=mode)


def atomic_write_json(path: Path, value: Any, mode: int = 0o600) -> None:
    """Write `value` to `path` atomically as indented, key-sorted JSON."""
    atomic_write_bytes(
        path, (json.dumps(value, indent=2, sort_keys=True) + "\n").encode("utf-8"), mode
    )
