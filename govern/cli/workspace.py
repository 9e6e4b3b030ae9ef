"""`govern init` and `govern db`: create a workspace and migrate its catalog."""

from __future__ import annotations

from pathlib import Path

import click

from govern.cli._common import Invocation, common_options


@click.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@common_options()
def init_command(inv: Invocation, directory: Path) -> None:
    """Create a workspace in DIRECTORY (default: here), or re-check an existing one.

    Writes govern.toml, the .govern/ state folder (catalog, object store, secrets), and the
    policies/, train/ and audit_reports/ folders; migrates the catalog; creates the first
    admin key. Running it again changes nothing that exists and says so.

    \b
    Example:
      govern init my-workspace
      govern init my-workspace --json
    """
    from govern.workspace import Workspace

    result = Workspace.init(directory)
    data = {
        "workspace": str(result.workspace.root),
        "admin_key": str(result.admin_key),
        "created": result.created,
    }
    verb = "Created" if result.created else "Already initialised; checked"
    inv.emit(
        data,
        f"{verb} workspace {result.workspace.root}\nAdmin key: {result.admin_key}\n"
        f"Keep the admin key safe: it signs the registration of every other key.",
    )


@click.group("db")
def db_group() -> None:
    """Migrate and inspect the catalog database."""


@db_group.command("upgrade")
@common_options()
def db_upgrade(inv: Invocation) -> None:
    """Apply the catalog migrations up to the newest.

    \b
    Example:
      govern db upgrade
    """
    catalog = inv.workspace().open_catalog(check=False)
    catalog.upgrade()
    revision = catalog.current_revision()
    inv.emit({"revision": revision}, f"Catalog at migration {revision}")


@db_group.command("current")
@common_options()
def db_current(inv: Invocation) -> None:
    """Show the catalog's migration revision and the newest one govern ships.

    \b
    Example:
      govern db current --json
    """
    catalog = inv.workspace().open_catalog(check=False)
    current, head = catalog.current_revision(), catalog.head_revision()
    inv.emit(
        {"revision": current, "head": head, "up_to_date": current == head},
        f"Catalog at {current or 'none'}; newest is {head}"
        + ("" if current == head else " (run `govern db upgrade`)"),
    )
