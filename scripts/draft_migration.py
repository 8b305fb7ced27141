"""Print the Alembic operations that take a database at REVISION to the declared schema.

    python scripts/draft_migration.py 0001

A starting point for a new migration file (review it: server defaults and data moves need care).
"""

from __future__ import annotations

import sys
import tempfile

from alembic import command
from alembic.autogenerate import produce_migrations, render_python_code
from alembic.runtime.migration import MigrationContext

from kiemchung.store.database import Database
from kiemchung.store.schema import metadata


def main(revision: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        database = Database(f"sqlite:///{directory}/draft.sqlite3")
        with database.engine.begin() as connection:
            command.upgrade(database._alembic_config(connection), revision)
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"render_as_batch": True})
            script = produce_migrations(context, metadata)
            print(render_python_code(script.upgrade_ops, render_as_batch=True))
            print(render_python_code(script.downgrade_ops, render_as_batch=True))
        database.dispose()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "head")
