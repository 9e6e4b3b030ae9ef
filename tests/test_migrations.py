"""The schema comes only from the migrations, which go up and down cleanly and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import govern.catalog.models  # noqa: F401
from govern.catalog.db import Catalog


def _drift(catalog: Catalog) -> list:  # type: ignore[type-arg]
    with catalog.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        return compare_metadata(context, SQLModel.metadata)


def test_migrations_create_every_table_and_match_the_models(catalog_url: str) -> None:
    catalog = Catalog(catalog_url)
    catalog.upgrade()
    assert catalog.current_revision() == catalog.head_revision()
    assert set(SQLModel.metadata.tables) <= set(inspect(catalog.engine).get_table_names())
    assert _drift(catalog) == []
    catalog.dispose()


def test_migrations_go_down_to_nothing_and_up_again(catalog_url: str) -> None:
    catalog = Catalog(catalog_url)
    catalog.upgrade()
    catalog.downgrade("base")
    assert catalog.current_revision() is None
    assert not set(SQLModel.metadata.tables) & set(inspect(catalog.engine).get_table_names())
    catalog.upgrade()
    assert _drift(catalog) == []
    catalog.dispose()


def test_drift_check_notices_a_model_the_migrations_lack(catalog_url: str) -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    catalog = Catalog(catalog_url)
    catalog.upgrade()
    extra = MetaData()
    for table in SQLModel.metadata.tables.values():
        table.to_metadata(extra)
    Table("not_migrated", extra, Column("id", Integer, primary_key=True))
    with catalog.engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), extra)
    assert any(diff[0] == "add_table" and diff[1].name == "not_migrated" for diff in diffs)
    catalog.dispose()
