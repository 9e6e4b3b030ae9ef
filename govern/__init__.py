"""govern: a data compliance gate for fine-tuning language models.

    from govern import Workspace
    ws = Workspace.open("my-workspace")     # or Workspace.init(path).workspace
    ws.datasets, ws.consent, ws.scans, ws.policy, ws.approvals, ws.training,
    ws.evaluation, ws.release, ws.ledger, ws.reports, ws.lineage, ws.keys

Heavy dependencies (torch, presidio, opacus) are imported only by the modules that need them,
and the names below only when first used, so `import govern`, the CLI's help and the ledger
stay fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from govern.errors import (
        BadInput,
        GovernError,
        IntegrityFailure,
        NotFound,
        Refused,
        StorageFailure,
    )
    from govern.workspace import InitResult, Workspace

# public name -> the module that defines it
_EXPORTS = {
    "Workspace": "govern.workspace",
    "InitResult": "govern.workspace",
    "GovernError": "govern.errors",
    "BadInput": "govern.errors",
    "NotFound": "govern.errors",
    "Refused": "govern.errors",
    "IntegrityFailure": "govern.errors",
    "StorageFailure": "govern.errors",
}

__all__ = [
    "BadInput",
    "GovernError",
    "InitResult",
    "IntegrityFailure",
    "NotFound",
    "Refused",
    "StorageFailure",
    "Workspace",
    "__version__",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'govern' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
