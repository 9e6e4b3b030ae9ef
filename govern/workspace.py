"""A workspace: govern.toml, the .govern/ state folder (catalog, object store, secrets) and the
user-edited folders policies/, train/ and audit_reports/.

`Workspace` is also the typed facade a Python user imports as `govern.Workspace`: the verbs of
the flow are grouped by stage in namespaces (`ws.datasets`, `ws.consent`, `ws.scans`, ...),
defined in govern/facade/ and imported on first use.
"""

from __future__ import annotations

import os
import secrets
import shutil
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from govern import tmpfiles
from govern.atomic import make_dirs, write_new_file
from govern.canonical import keyed_hash
from govern.catalog.db import Catalog, sqlite_path, sqlite_url
from govern.config import CONFIG_FILE, DEFAULT_CONFIG_TEXT, WorkspaceConfig, load_config
from govern.errors import BadInput
from govern.resources import shipped_dir

if TYPE_CHECKING:
    from govern.facade import (
        Approvals,
        Consent,
        Datasets,
        Evaluations,
        Keys,
        Ledger,
        Lineage,
        Policy,
        Releases,
        Reports,
        Scans,
        Training,
    )

STATE_DIR = ".govern"
USER_FOLDERS = ("policies", "train", "audit_reports", "evals")
SUBJECT_SECRET = "subject-hmac.key"
# Modes set explicitly, whatever the umask: secrets and keys private, state and config owner-written.
CONFIG_MODE, CATALOG_MODE = 0o640, 0o640
STATE_DIR_MODES = {"": 0o750, "objects": 0o750, "tmp": 0o700, "keys": 0o700, "secrets": 0o700}
USER_DIR_MODE, USER_FILE_MODE = 0o755, 0o644


def write_private_file(path: Path, data: bytes) -> None:
    """Create `path` with mode 0600 (never overwriting), fsynced."""
    write_new_file(path, data, 0o600)


def _copy_user_folder(source: Path, target: Path) -> None:
    shutil.copytree(source, target)
    for folder, _dirs, files in os.walk(target):
        os.chmod(folder, USER_DIR_MODE)
        for name in files:
            os.chmod(os.path.join(folder, name), USER_FILE_MODE)


@dataclass
class InitResult:
    """What `Workspace.init` did."""

    workspace: Workspace
    created: bool
    admin_key: Path | None


class Workspace:
    """An initialised govern workspace, and the one object a Python user needs.

    from govern import Workspace
    ws = Workspace.open("my-workspace")
    officer = ws.keys.load("olga.key")
    ws.approvals.approve(officer, "3f9a1c", note="reviewed findings")
    """

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self.config: WorkspaceConfig = load_config(self.root / CONFIG_FILE)
        tmpfiles.sweep(self.tmp_dir)  # what killed ingests and scans left behind

    @classmethod
    def locate(cls, start: Path | None = None) -> Workspace:
        """The workspace at `start`, or the nearest folder above the current one with govern.toml."""
        if start is not None:
            if not (Path(start) / CONFIG_FILE).is_file():
                raise BadInput(
                    f"{start}: not a govern workspace (no {CONFIG_FILE}); run `govern init {start}`"
                )
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
    def open(cls, path: Path | str | None = None) -> Workspace:
        """The workspace at `path`, or (without one) the nearest folder at or above the current
        one holding govern.toml; BadInput when there is none."""
        return cls.locate(Path(path) if path is not None else None)

    @classmethod
    def init(cls, root: Path | str) -> InitResult:
        """Create (or re-check) a workspace: config, folders, migrated catalog, first admin key."""
        from govern.ledger.identities import bootstrap_admin

        root = Path(root)
        existed = (root / CONFIG_FILE).is_file()
        state = root / STATE_DIR
        # A catalog is created only with a new state folder; a later `init` reports a missing one.
        new_state = not state.exists()
        make_dirs(root, USER_DIR_MODE)
        if not existed:
            write_new_file(root / CONFIG_FILE, DEFAULT_CONFIG_TEXT.encode("utf-8"), CONFIG_MODE)
        for name in USER_FOLDERS:
            if not (root / name).exists():
                _copy_user_folder(shipped_dir(name), root / name)
        for sub, mode in STATE_DIR_MODES.items():
            make_dirs(state / sub, mode)
        for private in ("keys", "secrets"):
            os.chmod(state / private, STATE_DIR_MODES[private])
        if not (state / "secrets" / SUBJECT_SECRET).exists():
            write_private_file(state / "secrets" / SUBJECT_SECRET, secrets.token_bytes(32))
        workspace = cls(root)
        catalog = workspace.open_catalog(check=False, create=new_state)
        try:
            catalog.upgrade()
        finally:
            catalog.dispose()
        database = sqlite_path(workspace.database_url)
        if database is not None and new_state:
            os.chmod(database, CATALOG_MODE)
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
        """The catalog, checked once to be govern's at its newest migration (CatalogDamaged if not)."""
        return self.open_catalog()

    def open_catalog(self, *, check: bool = True, create: bool = False) -> Catalog:
        """A new connection to the catalog: `check` its schema first; `create` a missing SQLite file
        (only `init` does; everything else reports a missing catalog rather than making an empty one)."""
        catalog = Catalog(self.database_url, create=create)
        if check:
            try:
                catalog.check_schema()
            except BaseException:
                catalog.dispose()
                raise
        return catalog

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

    # The flow's verbs, by stage (govern/facade/).

    @cached_property
    def keys(self) -> Keys:
        """Identities: create, list, load."""
        from govern.facade.keys import Keys

        return Keys(self)

    @cached_property
    def datasets(self) -> Datasets:
        """Datasets and snapshots: add, add_version, amend, list, show, snapshots, snapshot."""
        from govern.facade.datasets import Datasets

        return Datasets(self)

    @cached_property
    def consent(self) -> Consent:
        """Consent: import_file, revoke, show, impact, erase, filter."""
        from govern.facade.consent import Consent

        return Consent(self)

    @cached_property
    def scans(self) -> Scans:
        """PII: scan, anonymize."""
        from govern.facade.scans import Scans

        return Scans(self)

    @cached_property
    def policy(self) -> Policy:
        """Policy packs: check, test, list, activate, active."""
        from govern.facade.policy import Policy

        return Policy(self)

    @cached_property
    def approvals(self) -> Approvals:
        """Officers' verdicts: approve, reject, list, status."""
        from govern.facade.approvals import Approvals

        return Approvals(self)

    @cached_property
    def training(self) -> Training:
        """Gated DP-LoRA runs: train, retrain_shards, resume, runs, run, card."""
        from govern.facade.training import Training

        return Training(self)

    @cached_property
    def evaluation(self) -> Evaluations:
        """A run's adapter measured: evaluate, privacy_audit."""
        from govern.facade.evaluation import Evaluations

        return Evaluations(self)

    @cached_property
    def release(self) -> Releases:
        """Reviews and release: review, check, release."""
        from govern.facade.release import Releases

        return Releases(self)

    @cached_property
    def ledger(self) -> Ledger:
        """The ledger: verify, log, checkpoint."""
        from govern.facade.ledger import Ledger

        return Ledger(self)

    @cached_property
    def reports(self) -> Reports:
        """Reports: render, verify."""
        from govern.facade.reports import Reports

        return Reports(self)

    @cached_property
    def lineage(self) -> Lineage:
        """Lineage: show, subject, export, attest, verify_attestation."""
        from govern.facade.lineage import Lineage

        return Lineage(self)
