"""The object store: snapshot folders, written once, atomically, and then read-only.

A snapshot folder holds `records.jsonl` (one canonical record per line) and `manifest.txt`
(the SHA-256 of each record, in order). The store is a small class so a distributed one can
replace it without touching snapshots, gate or ledger.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
from pathlib import Path

from govern.atomic import fsync_dir, make_dirs

RECORDS_FILE = "records.jsonl"
MANIFEST_FILE = "manifest.txt"
FOLDER_MODE = 0o750
READ_ONLY_FILE = stat.S_IRUSR | stat.S_IRGRP
READ_ONLY_FOLDER = stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP


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

    def publish(self, staged_dir: Path, snapshot_id: str) -> None:
        """Move a fully written, fsynced staging folder into place, read-only.

        Called under the catalog's write lock for a snapshot not yet catalogued, so a folder
        already there was left by a process killed between publishing and committing: it is
        replaced.
        """
        target = self.path(snapshot_id)
        if target.exists():
            self.remove(snapshot_id)
        for child in staged_dir.iterdir():
            child.chmod(READ_ONLY_FILE)
        make_dirs(target.parent, FOLDER_MODE)
        os.rename(staged_dir, target)
        target.chmod(READ_ONLY_FOLDER)
        fsync_dir(target.parent)

    def remove(self, snapshot_id: str) -> None:
        """Delete a snapshot folder (to undo a publish whose catalog transaction failed), and its
        prefix folder when that is left empty."""
        target = self.path(snapshot_id)
        if target.exists():
            target.chmod(stat.S_IRWXU)
            shutil.rmtree(target)
        with contextlib.suppress(OSError):  # not empty, or already gone
            target.parent.rmdir()

    def stray_entries(self, catalogued: set[str]) -> list[Path]:
        """Everything in the store that no catalogued snapshot accounts for: uncatalogued snapshot
        folders, empty or misnamed prefix folders, files other than records and manifest."""
        stray: list[Path] = []
        if not self.root.is_dir():
            return stray
        for prefix in sorted(self.root.iterdir()):
            if not prefix.is_dir() or not any(prefix.iterdir()):
                stray.append(prefix)
                continue
            for folder in sorted(prefix.iterdir()):
                if (
                    folder.name not in catalogued
                    or folder.name[:2] != prefix.name
                    or not folder.is_dir()
                ):
                    stray.append(folder)
                    continue
                stray.extend(
                    child
                    for child in sorted(folder.iterdir())
                    if child.name not in (RECORDS_FILE, MANIFEST_FILE)
                )
        return stray
