"""The catalog database: engine setup for SQLite and PostgreSQL, transactions, migrations.

Database errors leave this module typed (`database_error`): a catalog that is missing, is not
a database or lacks its tables is `CatalogDamaged` (exit 3); one that cannot be reached or stayed
locked is `CatalogUnavailable` (exit 2). Only `govern init` creates a SQLite catalog file: every
other command opens it read-write without creating it, so a deleted catalog is reported, not
silently replaced by an empty one.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DBAPIError,
    IntegrityError,
    OperationalError,
    ProgrammingError,
)
from sqlmodel import Session

from govern.errors import BadInput, CatalogDamaged, CatalogUnavailable, GovernError, StorageFailure
from govern.resources import shipped_dir

READ_ONLY_OPTION = "govern_read_only"
PG_WRITE_LOCK = (
    0x676F7665726E  # "govern": the advisory lock every PostgreSQL write transaction takes
)
_SQLITE_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_AUTH,
}
_SQLITE_STORAGE = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR}


def parse_url(url: str, source: str) -> URL:
    """A catalog URL parsed; a malformed one is a BadInput naming where it came from."""
    try:
        return make_url(url)
    except (ArgumentError, ValueError):
        raise BadInput(
            f"{source}: {url!r} is not a database URL; use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DB"
        ) from None


def sqlite_path(url: str | URL) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def database_error(error: DBAPIError, where: str = "the catalog") -> GovernError:
    """The typed govern error for a database error (by the driver's error code, not its text)."""
    orig = error.orig
    reason = str(orig).splitlines()[0] if orig is not None else type(error).__name__
    sqlite_code = getattr(orig, "sqlite_errorcode", None)
    sqlstate = getattr(orig, "sqlstate", None) or ""
    if sqlite_code is not None:
        primary = sqlite_code & 0xFF  # extended codes carry the primary code in their low byte
        if primary in _SQLITE_STORAGE:
            return StorageFailure(
                f"{where}: the disk refused a write ({reason}); free space and run the command again"
            )
        if primary in _SQLITE_UNAVAILABLE:
            return CatalogUnavailable(
                f"{where} is unavailable ({reason}); check [catalog] database_url and the "
                "file's permissions, or try again when the other writer has finished"
            )
        if not isinstance(error, IntegrityError):
            return CatalogDamaged(
                f"{where} is damaged ({reason}): it is not a govern catalog at its migration; "
                "restore it from a backup"
            )
    elif isinstance(error, IntegrityError) and sqlstate == "23505":
        return CatalogUnavailable(
            f"{where}: another process wrote the same row at the same moment ({reason}); "
            "run the command again"
        )
    elif (
        isinstance(error, OperationalError)
        or sqlstate.startswith("08")
        or sqlstate in ("40001", "40P01", "55P03", "57014")
    ):
        return CatalogUnavailable(
            f"{where} is unavailable ({reason}); check [catalog] database_url, or try again "
            "when the other writer has finished"
        )
    elif isinstance(error, ProgrammingError) or sqlstate.startswith("42"):
        return CatalogDamaged(
            f"{where} lacks a table or column govern needs ({reason}): run `govern db upgrade`, "
            "or restore it from a backup"
        )
    return CatalogDamaged(
        f"{where} refused a statement ({reason}); it is not the catalog this govern expects"
    )


@contextmanager
def typed_database_errors(where: str = "the catalog") -> Iterator[None]:
    """Turn SQLAlchemy's database errors raised inside into govern's typed errors."""
    try:
        yield
    except DBAPIError as error:
        raise database_error(error, where) from error


def _sqlite_no_create(parsed: URL) -> URL:
    """The same SQLite file as a URI opened read-write without creating it (mode=rw)."""
    path = Path(str(parsed.database)).resolve()
    return parsed.set(
        database=f"file:{quote(str(path))}", query={**parsed.query, "mode": "rw", "uri": "true"}
    )


def _make_engine(url: str, create: bool) -> Engine:
    parsed = parse_url(url, "[catalog] database_url")
    if parsed.get_backend_name() == "sqlite":
        target = parsed if create or sqlite_path(parsed) is None else _sqlite_no_create(parsed)
        engine = create_engine(target, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
            # Let us issue BEGIN ourselves: pysqlite's implicit transactions start too late
            # to serialise concurrent ledger writers.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=60000")
            # REPLACE deletes conflicting rows; with recursive triggers on, that fires delete triggers.
            cursor.execute("PRAGMA recursive_triggers=ON")
            # Deleted rows (erased consent evidence) are overwritten with zeros, not left in free pages.
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(connection: Any) -> None:
            # A writer takes the write lock up front (IMMEDIATE), so two writers never read the same
            # ledger head; a reader takes none and, under WAL, reads a snapshot.
            read_only = connection.get_execution_options().get(READ_ONLY_OPTION)
            connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    if parsed.get_backend_name() == "postgresql":
        try:
            return create_engine(url, pool_pre_ping=True)
        except ModuleNotFoundError as error:
            raise BadInput(
                f"the catalog URL needs a PostgreSQL driver ({error.name} is missing); "
                "install it with `pip install 'govern[postgres]'`"
            ) from None
    raise BadInput(
        f"unsupported catalog URL {parsed.render_as_string(hide_password=True)!r}: use sqlite or postgresql"
    )


class Catalog:
    """A connection to the catalog database.

    `create=False` opens an existing SQLite file only (a missing one is `CatalogDamaged`).
    """

    def __init__(self, url: str, create: bool = True) -> None:
        self.url = url
        path = sqlite_path(parse_url(url, "[catalog] database_url"))
        if not create and path is not None and not path.is_file():
            raise CatalogDamaged(
                f"the catalog file {path} is missing: restore it from a backup (only `govern init` "
                "creates a catalog)"
            )
        self.engine = _make_engine(url, create)
        self.where = f"the catalog {path if path is not None else self.display_url()}"

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One database transaction: committed on success, rolled back on any error."""
        with (
            typed_database_errors(self.where),
            Session(self.engine, expire_on_commit=False) as session,
        ):
            with session.begin():
                lock_writers(session)
                yield session
            # The cached ledger head is only valid while this transaction held the write lock.
            session.info.clear()

    @contextmanager
    def reading(self, consistent: bool = False) -> Iterator[Session]:
        """A session for reads only; it never blocks writers.

        `consistent` reads every table as of one moment (REPEATABLE READ on PostgreSQL; SQLite's
        WAL read transactions are snapshots already), for checks such as `audit verify`.
        """
        options: dict[str, Any] = {READ_ONLY_OPTION: True}
        if consistent and self.dialect == "postgresql":
            options["isolation_level"] = "REPEATABLE READ"
        with (
            typed_database_errors(self.where),
            Session(self.engine.execution_options(**options), expire_on_commit=False) as session,
        ):
            yield session

    def check_schema(self) -> None:
        """Refuse a catalog that is not at govern's newest migration or lacks a table it created.

        Behind (or never migrated): BadInput naming `govern db upgrade`. Damaged (not a database,
        tables dropped, migration record missing): CatalogDamaged.
        """
        from sqlmodel import SQLModel

        import govern.catalog.models  # noqa: F401  (registers the tables)

        with typed_database_errors(self.where), self.engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            current = (
                _stamped_revision(connection, self.where) if _VERSION_TABLE in tables else None
            )
        head = self.head_revision()
        expected = set(SQLModel.metadata.tables)
        where = self.where
        if current is None:
            if tables & expected:
                raise CatalogDamaged(
                    f"{where} holds govern tables but no migration record (alembic_version "
                    "was dropped): restore it from a backup"
                )
            raise BadInput(f"{where} was never migrated: run `govern db upgrade`")
        if current != head:
            if current not in _revision_graph(str(shipped_dir("alembic"))):
                raise BadInput(
                    f"{where} is at migration {current}, which this govern does not know: "
                    "upgrade govern"
                )
            raise BadInput(
                f"{where} is at migration {current}, govern needs {head}: run `govern db upgrade`"
            )
        missing = sorted(expected - tables)
        if missing:
            raise CatalogDamaged(
                f"{where} lacks the table{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)} (dropped?): restore it from a backup"
            )

    def display_url(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def scrub(self) -> bool:
        """Leave no deleted row's bytes behind: SQLite's write-ahead log is checkpointed and truncated
        (waiting up to the busy timeout for readers); False when a reader kept it from finishing.

        (Deleted rows in the main file are zeroed by secure_delete; PostgreSQL keeps dead tuples
        until VACUUM FULL, which is the database administrator's to run.)
        """
        if self.dialect != "sqlite":
            return True
        with typed_database_errors(self.where):
            connection = (
                self.engine.raw_connection()
            )  # outside any transaction: checkpoints cannot run in one
            try:
                busy, _log, _done = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            finally:
                connection.close()
        return not busy

    def alembic_config(self) -> Any:
        """Alembic configuration pointing at govern's migrations and this catalog."""
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(shipped_dir("alembic")))
        config.set_main_option("sqlalchemy.url", self.url.replace("%", "%%"))
        config.attributes["engine"] = self.engine
        return config

    def upgrade(self, revision: str = "head") -> None:
        """Apply migrations up to `revision`."""
        from alembic import command

        with typed_database_errors(self.where):
            command.upgrade(self.alembic_config(), revision)

    def downgrade(self, revision: str) -> None:
        """Revert migrations down to `revision` ("base" removes every table)."""
        from alembic import command

        command.downgrade(self.alembic_config(), revision)

    def current_revision(self) -> str | None:
        """The migration revision the database is at, or None when unmigrated."""
        with typed_database_errors(self.where), self.engine.connect() as connection:
            if _VERSION_TABLE not in inspect(connection).get_table_names():
                return None
            return _stamped_revision(connection, self.where)

    def head_revision(self) -> str:
        """The newest migration revision shipped with govern."""
        return _head_revision(str(shipped_dir("alembic")))

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def lock_writers(session: Session) -> None:
    """Serialise writers from the start of their transaction, as BEGIN IMMEDIATE does on SQLite.

    On PostgreSQL a transaction-scoped advisory lock: a check made at the start (does this
    snapshot exist? is this name free?) still holds when the transaction inserts, so concurrent
    identical writes find each other's rows instead of colliding on a unique key.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_WRITE_LOCK})


_VERSION_TABLE = "alembic_version"
# Alembic's script files assign `revision = "0010"` and `down_revision = "0009"` (or None).
_REVISION_ASSIGNMENT = re.compile(
    r"""^(revision|down_revision)\s*(?::[^=]*)?=\s*["']?([\w-]*)["']?\s*$""", re.MULTILINE
)


@functools.cache
def _revision_graph(location: str) -> dict[str, str | None]:
    """Each shipped migration's revision → its parent, read from the script files.

    Read without importing Alembic, which would cost every command a tenth of a second just to
    check the schema (`govern runs list` must stay under a second); a test checks that Alembic's
    own ScriptDirectory reads the same graph. Upgrades still go through Alembic.
    """
    graph: dict[str, str | None] = {}
    for script in sorted((Path(location) / "versions").glob("*.py")):
        assignments = dict(_REVISION_ASSIGNMENT.findall(script.read_text(encoding="utf-8")))
        if "revision" not in assignments:
            raise StorageFailure(f"{script}: a migration script without `revision = ...`")
        parent = assignments.get("down_revision", "None")
        graph[assignments["revision"]] = None if parent in ("None", "") else parent
    return graph


@functools.cache
def _head_revision(location: str) -> str:
    graph = _revision_graph(location)
    heads = sorted(set(graph) - set(graph.values()))
    if len(heads) != 1:
        raise StorageFailure(f"{location}: expected one newest migration, found {heads or 'none'}")
    return heads[0]


def _stamped_revision(connection: Any, where: str) -> str | None:
    """The revision Alembic stamped in the catalog's version table (None when it is empty)."""
    stamped = [
        row[0] for row in connection.execute(text(f"SELECT version_num FROM {_VERSION_TABLE}"))
    ]
    if len(stamped) > 1:
        raise CatalogDamaged(
            f"{where} records {len(stamped)} migration heads: restore it from a backup"
        )
    return stamped[0] if stamped else None


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"
