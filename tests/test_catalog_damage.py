"""A catalog that is missing, not a database, or lacks its tables is an integrity failure (exit 3),
never "try again" (exit 2) or success; no command but `govern init` creates a catalog; a catalog
that was never migrated, or a URL that is no URL, is bad input naming the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from govern.catalog.db import Catalog
from govern.cli import cli
from govern.errors import BadInput, CatalogDamaged

KINDS_OF_DAMAGE = (
    "DROP TABLE ledger_entries",
    "DROP TABLE approvals",
    "DROP TABLE consent_evidence",
    "DROP TABLE alembic_version",
)


def _cli(workspace, *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, [*args, "--workspace", str(workspace.root)])


def _clean(result) -> None:  # type: ignore[no-untyped-def]
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


@pytest.mark.parametrize("statement", KINDS_OF_DAMAGE)
def test_verify_exits_3_when_a_table_was_dropped(fresh_workspace, statement: str) -> None:  # type: ignore[no-untyped-def]
    with fresh_workspace.catalog.engine.begin() as connection:
        connection.execute(
            text(
                statement + (" CASCADE" if fresh_workspace.catalog.dialect == "postgresql" else "")
            )
        )
    fresh_workspace.catalog.dispose()
    for args in (("audit", "verify"), ("audit", "log"), ("dataset", "list")):
        result = _cli(fresh_workspace, *args)
        _clean(result)
        assert result.exit_code == 3, (args, result.output)
        assert statement.split()[-1] in result.output or "migration record" in result.output


def test_verify_on_a_deleted_catalog_exits_3_and_creates_nothing(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    sqlite_workspace.catalog.dispose()
    for name in ("catalog.db", "catalog.db-wal", "catalog.db-shm"):
        (sqlite_workspace.state_dir / name).unlink(missing_ok=True)
    for args in (
        ("audit", "verify"),
        ("db", "upgrade"),
        ("db", "current"),
        ("init", str(sqlite_workspace.root)),
    ):
        result = CliRunner().invoke(cli, [*args, "--workspace", str(sqlite_workspace.root)])
        _clean(result)
        assert result.exit_code == 3 and "catalog.db is missing" in result.output, (
            args,
            result.output,
        )
    assert sorted(p.name for p in sqlite_workspace.state_dir.glob("catalog.db*")) == []


@pytest.mark.parametrize(
    "garbage", [b"not a database at all " * 300, b"SQLite format 3\x00" + b"\xff" * 4000]
)
def test_a_garbage_catalog_file_exits_3(sqlite_workspace, garbage: bytes) -> None:  # type: ignore[no-untyped-def]
    sqlite_workspace.catalog.dispose()
    for name in ("catalog.db-wal", "catalog.db-shm"):
        (sqlite_workspace.state_dir / name).unlink(missing_ok=True)
    (sqlite_workspace.state_dir / "catalog.db").write_bytes(garbage)
    for args in (("audit", "verify"), ("consent", "show", "x"), ("db", "current")):
        result = _cli(sqlite_workspace, *args)
        _clean(result)
        assert result.exit_code == 3 and "catalog.db" in result.output, (args, result.output)


def test_the_library_raises_the_typed_error_too(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    from govern.workspace import Workspace

    with sqlite_workspace.catalog.engine.begin() as connection:
        connection.execute(text("DROP TABLE scan_findings"))
    with pytest.raises(CatalogDamaged, match="scan_findings"):
        Workspace(sqlite_workspace.root).open_catalog()
    unchecked = Catalog(sqlite_workspace.database_url, create=False)
    with pytest.raises(CatalogDamaged, match="no such table"), unchecked.reading() as session:
        session.execute(text("SELECT * FROM scan_findings")).all()
    unchecked.dispose()


def test_a_never_migrated_database_says_to_run_db_upgrade(catalog_url: str, tmp_path: Path) -> None:
    from govern.config import DEFAULT_CONFIG_TEXT

    root = tmp_path / "ws"
    root.mkdir()
    if catalog_url.startswith("sqlite"):
        Path(catalog_url.removeprefix("sqlite:///")).touch()
    (root / "govern.toml").write_text(
        DEFAULT_CONFIG_TEXT.replace('database_url = ""', f'database_url = "{catalog_url}"')
    )
    result = CliRunner().invoke(cli, ["audit", "verify", "--workspace", str(root)])
    _clean(result)
    assert result.exit_code == 2 and "never migrated: run `govern db upgrade`" in result.output
    assert CliRunner().invoke(cli, ["db", "upgrade", "--workspace", str(root)]).exit_code == 0
    result = CliRunner().invoke(cli, ["audit", "verify", "--workspace", str(root)])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("url", ["::::", "mysql://x@y/z", "sqlite:////no/such/folder/catalog.db"])
def test_a_bad_database_url_in_the_environment_is_named(
    sqlite_workspace, monkeypatch, url: str
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GOVERN_DATABASE_URL", url)
    result = _cli(sqlite_workspace, "audit", "verify")
    _clean(result)
    assert result.exit_code in (2, 3) and (
        "GOVERN_DATABASE_URL" in result.output or "/no/such/folder" in result.output
    )
    from govern.workspace import Workspace

    with pytest.raises((BadInput, CatalogDamaged)):
        Workspace(sqlite_workspace.root).open_catalog()


def test_audit_log_names_the_known_events_for_an_unknown_one(sqlite_workspace) -> None:  # type: ignore[no-untyped-def]
    result = _cli(sqlite_workspace, "audit", "log", "--event", "nope")
    _clean(result)
    assert (
        result.exit_code == 2
        and "'nope' is no ledger event" in result.output
        and "snapshot.created" in result.output
    )
    known = _cli(sqlite_workspace, "audit", "log", "--event", "snapshot.created")
    assert known.exit_code == 0 and "No snapshot.created entries" in known.output
