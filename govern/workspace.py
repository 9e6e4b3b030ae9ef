"""A workspace: govern.toml, the .govern/ state folder (catalog, object store, secrets) and the
user-edited folders policies/, train/ and audit_reports/."""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from govern.canonical import keyed_hash
from govern.catalog.db import Catalog, sqlite_url
from govern.config import CONFIG_FILE, DEFAULT_CONFIG_TEXT, WorkspaceConfig, load_config
from govern.errors import BadInput
from govern.resources import shipped_dir

STATE_DIR = ".govern"
USER_FOLDERS = ("policies", "train", "audit_reports")
SUBJECT_SECRET = "subject-hmac.key"


def write_private_file(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 (never overwriting), fsynced."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


@dataclass
class InitResult:
    """What `Workspace.init` did."""

    workspace: "Workspace"
    created: bool
    admin_key: Path | None


class Workspace:
    """An initialised govern workspace."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.config: WorkspaceConfig = load_config(self.root / CONFIG_FILE)

    @classmethod
    def locate(cls, start: Path | None = None) -> "Workspace":
        """The workspace at `start`, or the nearest folder above the current one with govern.toml."""
        if start is not None:
            if not (Path(start) / CONFIG_FILE).is_file():
                raise BadInput(f"{start}: not a govern workspace (no {CONFIG_FILE}); run `govern init {start}`")
            return cls(Path(start))
        here = Path.cwd().resolve()
        for folder in (here, *here.parents):
            if (folder / CONFIG_FILE).is_file():
                return cls(folder)
        raise BadInput(
            f"no govern workspace here or above {here}: run `govern init`, pass --workspace DIR "
            "or set GOVERN_WORKSPACE"
        )

    @classmethod
    def init(cls, root: Path) -> InitResult:
        """Create (or re-check) a workspace: config, folders, migrated catalog, first admin key."""
        from govern.identities import bootstrap_admin

        root = Path(root)
        existed = (root / CONFIG_FILE).is_file()
        root.mkdir(parents=True, exist_ok=True)
        if not existed:
            (root / CONFIG_FILE).write_text(DEFAULT_CONFIG_TEXT, encoding="utf-8")
        for name in USER_FOLDERS:
            if not (root / name).exists():
                shutil.copytree(shipped_dir(name), root / name)
        state = root / STATE_DIR
        for sub in ("objects", "tmp", "keys", "secrets"):
            (state / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(state / "secrets", 0o700)
        os.chmod(state / "keys", 0o700)
        if not (state / "secrets" / SUBJECT_SECRET).exists():
            write_private_file(state / "secrets" / SUBJECT_SECRET, secrets.token_bytes(32))
        workspace = cls(root)
        workspace.catalog.upgrade()
        admin_key = bootstrap_admin(workspace)
        return InitResult(workspace=workspace, created=not existed, admin_key=admin_key)

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def objects_dir(self) -> Path:
        return self.state_dir / "objects"

    @property
    def tmp_dir(self) -> Path:
        return self.state_dir / "tmp"

    @property
    def keys_dir(self) -> Path:
        return self.state_dir / "keys"

    @cached_property
    def database_url(self) -> str:
        return self.config.database_url or sqlite_url(self.state_dir / "catalog.db")

    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.database_url)

    def require_migrated(self) -> None:
        """Refuse to work on a catalog that is behind govern's migrations."""
        current, head = self.catalog.current_revision(), self.catalog.head_revision()
        if current != head:
            raise BadInput(
                f"the catalog is at migration {current or 'none'}, govern needs {head}: run `govern db upgrade`"
            )

    @cached_property
    def subject_secret(self) -> bytes:
        """The workspace's HMAC key for subject ids; kept in a file, never in the catalog."""
        path = self.state_dir / "secrets" / SUBJECT_SECRET
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise BadInput(f"{path} is missing: subject ids cannot be hashed without it") from None

    def hash_subject(self, subject_id: str) -> str:
        """The keyed hash under which a subject id is indexed and ledgered."""
        return keyed_hash(self.subject_secret, str(subject_id))
