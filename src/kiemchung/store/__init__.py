"""Storage: SQLAlchemy tables, migrations and repositories (SQLite by default, PostgreSQL too)."""

from kiemchung.store.database import Database

__all__ = ["Database"]
