"""The catalog database: engine setup for SQLite and PostgreSQL, transactions, migrations."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session

from govern.errors import BadInput
from govern.resources import shipped_dir

READ_ONLY_OPTION = "govern_read_only"


def _make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 60})

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
    raise BadInput(f"unsupported catalog URL {parsed.render_as_string(hide_password=True)!r}: use sqlite or postgresql")


class Catalog:
    """A connection to the catalog database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = _make_engine(url)

    @property
    def dialect(self) -> str:
        """'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One database transaction: committed on success, rolled back on any error."""
        with Session(self.engine, expire_on_commit=False) as session:
            with session.begin():
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
        with Session(self.engine.execution_options(**options), expire_on_commit=False) as session:
            yield session

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

        command.upgrade(self.alembic_config(), revision)

    def downgrade(self, revision: str) -> None:
        """Revert migrations down to `revision` ("base" removes every table)."""
        from alembic import command

        command.downgrade(self.alembic_config(), revision)

    def current_revision(self) -> str | None:
        """The migration revision the database is at, or None when unmigrated."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def head_revision(self) -> str:
        """The newest migration revision shipped with govern."""
        from alembic.script import ScriptDirectory

        head = ScriptDirectory.from_config(self.alembic_config()).get_current_head()
        assert head is not None
        return head

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def sqlite_url(path: Path) -> str:
    """The SQLAlchemy URL of a SQLite file."""
    return f"sqlite:///{path}"
