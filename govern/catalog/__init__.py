"""The catalog: SQLModel tables (models.py) and the database they live in (db.py)."""

from govern.catalog.db import Catalog

__all__ = ["Catalog"]
