"""The govern exception tree. Every error a user can cause or meet is one of these.

    GovernError                 base; exit code 2 unless a subclass says otherwise
    ├── BadInput                the input (file, option, config) is wrong: exit 2
    │   ├── NotFound            a named dataset, snapshot, key or run does not exist: exit 2
    │   └── CatalogUnavailable  the catalog cannot be reached, or stayed locked: exit 2
    ├── StorageFailure          the workspace's disk refused a write (full, read-only): exit 2
    ├── WorkerFailure           a scale-out worker died or its cluster was unreachable: exit 2
    ├── Refused                 a policy, role or gate said no: exit 1
    └── IntegrityFailure        stored data or the ledger does not verify: exit 3
        └── CatalogDamaged      the catalog is missing, not a database, or lacks its tables: exit 3

Messages say what was wrong, where (file, line, field, rule) and what to do next.
"""

from __future__ import annotations


class GovernError(Exception):
    """Base of every error govern raises on purpose."""

    exit_code = 2


class BadInput(GovernError):
    """The input is malformed or inconsistent; nothing was changed."""

    exit_code = 2


class NotFound(BadInput):
    """A named object does not exist in this workspace."""


class CatalogUnavailable(BadInput):
    """The catalog database cannot be reached, or another writer held it past the timeout."""


class StorageFailure(GovernError):
    """Writing to the workspace failed (disk full, read-only, permissions); what was staged is removed."""

    exit_code = 2


class WorkerFailure(GovernError):
    """A scale-out worker (Ray) died past its retries, or the cluster could not be reached; nothing
    was stored."""

    exit_code = 2


class Refused(GovernError):
    """A rule, role or the training gate refused the action; the refusal is recorded."""

    exit_code = 1

    def __init__(self, message: str, reasons: list[str] | None = None) -> None:
        self.reasons = list(reasons or [])
        if self.reasons:
            message = message + "\n" + "\n".join(f"  - {reason}" for reason in self.reasons)
        super().__init__(message)


class IntegrityFailure(GovernError):
    """Stored bytes, catalog rows or the ledger do not match what was recorded."""

    exit_code = 3


class CatalogDamaged(IntegrityFailure):
    """The catalog database is missing, is not a database, or lacks tables its migration created."""


def record_error(path: object, line: int | None, reason: str) -> BadInput:
    """A BadInput naming the file and line of a bad record."""
    where = f"{path}" if line is None else f"{path}, line {line}"
    return BadInput(f"{where}: {reason}")
