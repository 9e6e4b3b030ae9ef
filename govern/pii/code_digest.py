"""A digest of the scanner's own code and data, as this process loaded them.

The config hash covers what a workspace configures (model, thresholds, recognizer YAML), not
govern's recognizers themselves: two machines running different govern code under the same
configuration would store different findings under one hash. Each scan's provenance therefore
records `scanner_code`, and a Ray worker whose digest differs from the driver's refuses to scan.
It is computed once, when the scanner is first imported, so a process whose files were replaced
on disk afterwards still reports the code it runs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

PII_PACKAGE = Path(__file__).resolve().parent


def digest_of(root: Path) -> str:
    """SHA-256 over every file under `root` (relative path and bytes), compiled caches left out."""
    digest = hashlib.sha256()
    files = sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


SCANNER_CODE = digest_of(PII_PACKAGE)
