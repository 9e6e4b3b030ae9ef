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


def test_the_schema_check_reads_the_migration_graph_alembic_reads() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from govern.catalog.db import _head_revision, _revision_graph
    from govern.resources import shipped_dir

    location = str(shipped_dir("alembic"))
    config = Config()
    config.set_main_option("script_location", location)
    scripts = ScriptDirectory.from_config(config)
    assert _revision_graph(location) == {
        script.revision: script.down_revision for script in scripts.walk_revisions()
    }
    assert _head_revision(location) == scripts.get_current_head()


def test_runs_list_imports_neither_alembic_nor_the_gate_nor_torch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    workspace = tmp_path / "ws"
    subprocess.run(["govern", "init", str(workspace)], check=True, capture_output=True)
    probe = (
        "import sys\n"
        "from govern.cli import main\n"
        f"sys.argv = ['govern', 'runs', 'list', '--workspace', {str(workspace)!r}]\n"
        "try:\n    main()\nexcept SystemExit as done:\n    assert done.code in (0, None), done.code\n"
        "heavy = ('alembic', 'torch', 'opacus', 'govern.gate', 'govern.policy.engine')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"
