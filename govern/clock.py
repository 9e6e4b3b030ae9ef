"""Time and fresh ids as govern records them: UTC ISO 8601 with microseconds and a Z, uuid4 hex.

They are the only inputs of an action that are not read from the workspace, so `pinned` can fix
both for a block: an action run twice under the same pin, on the same state, writes the same bytes
(govern.ledger.signing relies on this to let a key held elsewhere sign an action in rounds).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime

_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass
class _Pin:
    at: datetime
    replay: Sequence[str]
    issued: list[str] = field(default_factory=list)


_pin: ContextVar[_Pin | None] = ContextVar("govern_clock_pin", default=None)


def now() -> datetime:
    """The current UTC time (the pinned one inside `pinned`)."""
    pin = _pin.get()
    return pin.at if pin is not None else datetime.now(UTC)


def utc_now() -> str:
    """The current UTC time as an ISO 8601 string ending in Z."""
    return format_time(now())


def format_time(value: datetime) -> str:
    """A time as govern records it: UTC, ISO 8601 with microseconds and a Z."""
    return value.astimezone(UTC).strftime(_TIME_FORMAT)


def new_id() -> str:
    """A fresh 32-hex-digit id (inside `pinned`, the next id of its replay list, then fresh ones)."""
    pin = _pin.get()
    if pin is None:
        return uuid.uuid4().hex
    value = pin.replay[len(pin.issued)] if len(pin.issued) < len(pin.replay) else uuid.uuid4().hex
    pin.issued.append(value)
    return value


@contextmanager
def pinned(at: datetime, ids: Sequence[str] = ()) -> Iterator[list[str]]:
    """Within the block `now()` is `at` and `new_id()` hands out `ids` in order (then fresh ones).

    Yields the list of ids handed out, which stays readable after the block, error or not."""
    if at.tzinfo is None:
        raise ValueError("pinned: `at` needs a time zone (UTC)")
    pin = _Pin(at.astimezone(UTC), tuple(ids))
    token = _pin.set(pin)
    try:
        yield pin.issued
    finally:
        _pin.reset(token)


def parse_time(text: str) -> datetime:
    """Parse a time written by `utc_now` (or any ISO 8601 time; naive times are taken as UTC)."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
