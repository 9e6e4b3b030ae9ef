"""Database triggers that make a table append-only, on SQLite and PostgreSQL.

Used by the migrations. Side doors covered:
- UPDATE and DELETE: refused by row triggers on both databases.
- SQLite's REPLACE / INSERT OR REPLACE: deletes the conflicting row without firing delete
  triggers unless recursive triggers are on, so an INSERT trigger refuses any row whose key
  already exists (and the catalog also turns recursive_triggers on).
- UPSERT (ON CONFLICT DO UPDATE): runs the UPDATE trigger.
- PostgreSQL TRUNCATE: refused by a statement trigger.
A table's owner can still disable triggers on PostgreSQL: in production the application's role
must not own the ledger tables (see README, "Running on PostgreSQL").

An erasable table (`deletable=True`, e.g. consent evidence) refuses UPDATE and REPLACE but lets
a row be deleted, which is how erasure removes personal data the ledger only holds a hash of.
"""

from __future__ import annotations

from typing import Any

PG_FUNCTION = "govern_refuse_change"


def protect(
    op: Any, table: str, unique_keys: tuple[tuple[str, ...], ...], deletable: bool = False
) -> None:
    """Create the append-only triggers for `table` (called from a migration's upgrade).

    `unique_keys` lists the table's unique keys (each a tuple of columns), so that a REPLACE
    colliding with any of them is refused. `deletable` allows DELETE (erasable rows).
    """
    dialect = op.get_bind().dialect.name
    refused = ("UPDATE",) if deletable else ("UPDATE", "DELETE")
    if dialect == "sqlite":
        for action in refused:
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
            )
        clash = " OR ".join(
            f"EXISTS (SELECT 1 FROM {table} WHERE "
            + " AND ".join(f"{column} = NEW.{column}" for column in key)
            + ")"
            for key in unique_keys
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} WHEN {clash} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: REPLACE refused'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger AS $$ BEGIN "
            f"RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_{'update' if deletable else 'change'} BEFORE {' OR '.join(refused)} ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {PG_FUNCTION}()"
        )
    else:
        raise NotImplementedError(f"append-only triggers for {dialect}")


def unprotect(op: Any, table: str) -> None:
    """Drop the append-only triggers of `table` (called from a migration's downgrade)."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for suffix in ("no_update", "no_delete", "no_replace"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
    elif dialect == "postgresql":
        for suffix in ("no_change", "no_update", "no_truncate"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_{suffix} ON {table}")


def drop_shared_function(op: Any) -> None:
    """Drop the PostgreSQL trigger function once no table uses it (the first migration's downgrade)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {PG_FUNCTION}()")
