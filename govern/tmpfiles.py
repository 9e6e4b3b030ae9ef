"""Temporary files in a workspace's `.govern/tmp`, named for the process that owns them.

Staging copies of raw records (ingest, derived snapshots), scan spools and erasure rewrites live
here while an operation runs. Each name carries its owner: `<kind>-<host>-<pid>-<start>-<random>`
(`host` a short hash of the host name, `start` the process's start time), so `sweep` can tell a
live owner from a dead one, even when the PID was reused, and remove what a killed process left.
A workspace sweeps its tmp folder when it is opened. While an operation runs, `terminable()`
turns SIGTERM and SIGHUP into `Terminated` (a SystemExit), so the operation's clean-up runs
before the process exits; SIGKILL leaves its files to the next sweep.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import shutil
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_NAME = re.compile(
    r"^(?P<kind>[a-z]+(?:-[a-z]+)*)-(?P<host>[0-9a-f]{8})-(?P<pid>\d+)-(?P<start>\d+)-[0-9a-f]{12}"
)
UNOWNED_MAX_AGE_S = (
    24 * 3600
)  # entries whose owner cannot be read from the name are removed once this old
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


def _host_tag() -> str:
    return hashlib.sha256(socket.gethostname().encode("utf-8", "replace")).hexdigest()[:8]


def process_start(pid: int) -> int | None:
    """The start time of process `pid` in clock ticks since boot (Linux), None when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses; the fields after the last ')' do not.
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[19]) if len(fields) > 19 else None


def owner_alive(pid: int, start: int) -> bool:
    """Whether process `pid`, started at `start` (clock ticks since boot), still runs on this host."""
    if pid == os.getpid():
        return start == (process_start(pid) or 0)
    if Path("/proc/self/stat").exists():
        return process_start(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owned_path(folder: Path, kind: str, suffix: str = "") -> Path:
    """A fresh path in `folder` naming this process as its owner (nothing is created)."""
    pid = os.getpid()
    return (
        Path(folder)
        / f"{kind}-{_host_tag()}-{pid}-{process_start(pid) or 0}-{secrets.token_hex(6)}{suffix}"
    )


def make_private_dir(path: Path) -> Path:
    """Create the folder `path` with mode 0700, whatever the umask."""
    path.mkdir(mode=0o700)
    path.chmod(0o700)
    return path


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        for folder, _dirs, _files in os.walk(path):  # snapshot folders are published read-only
            os.chmod(folder, 0o700)
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def stale_entries(folder: Path, now: float | None = None) -> list[Path]:
    """Entries of `folder` whose owner process on this host is gone (or, unnamed, a day old)."""
    now = time.time() if now is None else now
    host = _host_tag()
    stale = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return []
    for entry in entries:
        match = _NAME.match(entry.name)
        try:
            if match is None:
                if now - entry.lstat().st_mtime > UNOWNED_MAX_AGE_S:
                    stale.append(entry)
            elif match["host"] == host and not owner_alive(int(match["pid"]), int(match["start"])):
                stale.append(entry)
        except OSError:
            continue
    return stale


def sweep(folder: Path) -> list[Path]:
    """Remove what dead processes left in `folder`; returns what was removed. Never raises."""
    removed = []
    for entry in stale_entries(folder):
        try:
            _remove(entry)
            removed.append(entry)
        except OSError:
            continue
    return removed


class Terminated(SystemExit):
    """SIGTERM or SIGHUP arrived during an operation; raised so that its clean-up runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(128 + signum)
        self.signum = signum


def _raise_terminated(signum: int, _frame: Any) -> None:
    # Later signals are ignored, so a second SIGTERM cannot cut the clean-up short.
    for number in _SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    raise Terminated(signum)


@contextmanager
def terminable() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise `Terminated`; the previous handlers come back after.

    Only the main thread can take signals; elsewhere (and when already inside) this does nothing.
    """
    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGTERM) is _raise_terminated
    ):
        yield
        return
    previous = {number: signal.signal(number, _raise_terminated) for number in _SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
