"""The object store: snapshot folders, written once, atomically, and then read-only.

A snapshot folder holds `records.jsonl` (one canonical record per line) and `manifest.txt`
(the SHA-256 of each record, in order). The store is a small class so a distributed one can
replace it without touching snapshots, gate or ledger.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

from govern.atomic import fsync_dir

RECORDS_FILE = "records.jsonl"
MANIFEST_FILE = "manifest.txt"


class LocalObjectStore:
    """Snapshot folders under `<workspace>/.govern/objects/snapshots/`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root) / "snapshots"

    def path(self, snapshot_id: str) -> Path:
        return self.root / snapshot_id[:2] / snapshot_id

    def records_path(self, snapshot_id: str) -> Path:
        return self.path(snapshot_id) / RECORDS_FILE

    def manifest_path(self, snapshot_id: str) -> Path:
        return self.path(snapshot_id) / MANIFEST_FILE

    def exists(self, snapshot_id: str) -> bool:
        return self.path(snapshot_id).is_dir()

    def publish(self, staged_dir: Path, snapshot_id: str) -> bool:
        """Move a fully written, fsynced staging folder into place, read-only.

        Returns False (and leaves the staged folder for the caller to delete) when the snapshot
        is already stored, since its content is the same by construction.
        """
        target = self.path(snapshot_id)
        if target.exists():
            return False
        for child in staged_dir.iterdir():
            child.chmod(stat.S_IRUSR | stat.S_IRGRP)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staged_dir, target)
        target.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
        fsync_dir(target.parent)
        return True

    def remove(self, snapshot_id: str) -> None:
        """Delete a snapshot folder (only to undo a publish whose catalog transaction failed)."""
        target = self.path(snapshot_id)
        if target.exists():
            target.chmod(stat.S_IRWXU)
            shutil.rmtree(target)
