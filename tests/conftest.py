"""Shared fixtures: workspaces on SQLite and PostgreSQL, identities, and a network guard.

PostgreSQL tests use GOVERN_TEST_POSTGRES_URL (default: the server at 127.0.0.1:5432, user
postgres, database test); each test gets its own schema. Where no server answers, they are
skipped with a message that says so.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

POSTGRES_URL = os.environ.get(
    "GOVERN_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
_real_connect = socket.socket.connect


def _is_local(address: object) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = address[0] if isinstance(address, tuple) else address
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host in ("localhost",)


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_local(address):
        raise OSError(f"govern tests block network access (tried to connect to {address!r})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Invariant 4 (offline): any connection beyond loopback fails the test that makes it."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def private_noise_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Each test its own σ cache (training/noise_cache.py), never the user's ~/.cache."""
    monkeypatch.setenv("GOVERN_CACHE_DIR", str(tmp_path_factory.mktemp("noise-cache")))


_postgres_state: dict[str, object] = {}


def postgres_available() -> str | None:
    """None when the test server answers, else the reason it does not."""
    if "reason" not in _postgres_state:
        try:
            import psycopg
            from sqlalchemy.engine import make_url

            url = make_url(POSTGRES_URL)
            with psycopg.connect(
                host=url.host,
                port=url.port or 5432,
                user=url.username,
                dbname=url.database,
                password=url.password,
                connect_timeout=3,
            ):
                _postgres_state["reason"] = None
        except Exception as error:  # any failure means: skip, and say why
            _postgres_state["reason"] = (
                f"PostgreSQL at {POSTGRES_URL} is not reachable ({error.__class__.__name__}: {error})"
            )
    return _postgres_state["reason"]  # type: ignore[return-value]


@pytest.fixture
def postgres_schema_url() -> Iterator[str]:
    """A URL whose search_path is a fresh schema, dropped after the test."""
    reason = postgres_available()
    if reason:
        pytest.skip(f"skipping PostgreSQL part: {reason}")
    from sqlalchemy import create_engine, text

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A catalog URL for each supported database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'catalog.db'}"
    return request.getfixturevalue("postgres_schema_url")


def make_workspace(root: Path, database_url: str | None = None):  # type: ignore[no-untyped-def]
    """Initialise a workspace at `root`, optionally on a given catalog URL."""
    from govern.config import DEFAULT_CONFIG_TEXT
    from govern.workspace import Workspace

    root.mkdir(parents=True, exist_ok=True)
    if database_url:
        (root / "govern.toml").write_text(
            DEFAULT_CONFIG_TEXT.replace('database_url = ""', f'database_url = "{database_url}"'),
            encoding="utf-8",
        )
    return Workspace.init(root)


@pytest.fixture
def fresh_workspace(tmp_path: Path, catalog_url: str):  # type: ignore[no-untyped-def]
    """An initialised workspace (on SQLite and on PostgreSQL) with only its admin key."""
    result = make_workspace(
        tmp_path / "ws", catalog_url if catalog_url.startswith("postgresql") else None
    )
    yield result.workspace
    result.workspace.catalog.dispose()


@pytest.fixture
def sqlite_workspace(tmp_path: Path):  # type: ignore[no-untyped-def]
    """An initialised workspace on SQLite only, for tests about files rather than databases."""
    result = make_workspace(tmp_path / "ws")
    yield result.workspace
    result.workspace.catalog.dispose()


@pytest.fixture
def admin(fresh_workspace):  # type: ignore[no-untyped-def]
    from govern.ledger.keys import load_identity

    return load_identity(fresh_workspace.keys_dir / "admin.key")


def _new_key(workspace, role: str, name: str):  # type: ignore[no-untyped-def]
    from govern.ledger.identities import create_identity
    from govern.ledger.keys import load_identity

    admin_key = load_identity(workspace.keys_dir / "admin.key")
    path = workspace.root / f"{name}.key"
    create_identity(workspace, admin_key, name, role, path)
    return load_identity(path)


# Rule families every pack must configure, at their most permissive, for packs written by tests.
PERMISSIVE_FAMILIES = """\
  pii:
    score_threshold: 0.5
    ignore_entity_types: [LOCATION]
  synthetic:
    require_generator: true
"""


def activate(workspace, officer, name: str, text: str):  # type: ignore[no-untyped-def]
    """Write policies/NAME.yaml and have the officer activate it; returns the workspace."""
    from govern.policy.activation import activate_pack

    (workspace.root / "policies" / f"{name}.yaml").write_text(text)
    activate_pack(workspace, officer, name)
    return workspace


@pytest.fixture
def engineer(fresh_workspace):  # type: ignore[no-untyped-def]
    return _new_key(fresh_workspace, "engineer", "erin")


@pytest.fixture
def officer(fresh_workspace):  # type: ignore[no-untyped-def]
    return _new_key(fresh_workspace, "officer", "olga")


SAMPLE_RECORDS = [
    {"id": "r1", "subject": "cust-1", "text": "Please reset my password."},
    {"id": "r2", "subject": "cust-2", "text": "My order never arrived."},
    {"id": "r3", "subject": "cust-1", "text": "Thanks, it works now."},
]


def write_jsonl(path: Path, records: list[dict]) -> Path:  # type: ignore[type-arg]
    import json

    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def sample_file(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "sample.jsonl", SAMPLE_RECORDS)


@pytest.fixture
def dataset_spec():  # type: ignore[no-untyped-def]
    from govern.ingest.datasets import DatasetSpec

    return DatasetSpec(
        name="support",
        source="helpdesk export",
        license="CC-BY-4.0",
        legal_basis="consent",
        subject_field="subject",
        text_fields=("text",),
        id_field="id",
    )


@pytest.fixture
def registered_snapshot(fresh_workspace, engineer, dataset_spec, sample_file):  # type: ignore[no-untyped-def]
    """A dataset registered from SAMPLE_RECORDS; returns the AddResult."""
    from govern.ingest.datasets import add_dataset

    return add_dataset(fresh_workspace, engineer, dataset_spec, sample_file)
