"""Locate the folders govern ships: default policies, recipes, report templates, migrations.

In a wheel they live in `govern/_defaults/<name>`; in a source checkout (editable install)
they are the top-level folders of the repository.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """Return the folder `name` (policies, train, audit_reports, alembic) that ships with govern."""
    for candidate in (_PACKAGE_DIR / "_defaults" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"govern's shipped folder {name!r} is missing; reinstall govern")
