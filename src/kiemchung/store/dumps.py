"""Whole-database copies for backups: SQLite through its online backup API, PostgreSQL through
`pg_dump --format=custom` and `pg_restore`.

A dump is consistent: the SQLite copy is taken in one step of the backup API (a WAL reader, so a running
server keeps writing); the PostgreSQL dump runs on a snapshot exported from the transaction that counts the
rows, so the manifest's counts describe exactly what was dumped.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, inspect, text
from sqlalchemy.engine import make_url

from kiemchung.errors import StorageError
from kiemchung.store.database import Database

SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")
PG_TIMEOUT_S = 6 * 3600


@dataclass(frozen=True)
class DumpFacts:
    """What a dump holds: the schema revision and the row count of every table."""

    revision: str | None
    tables: dict[str, int]


def sqlite_path(database: Database) -> Path:
    """The SQLite database file behind `database`."""
    name = make_url(database.url).database
    if not name or name == ":memory:":
        raise StorageError("an in-memory SQLite database cannot be backed up or restored")
    return Path(name)


def sqlite_files(database: Database) -> list[Path]:
    """The database file and the side files SQLite keeps next to it."""
    path = sqlite_path(database)
    return [path, *(path.with_name(path.name + suffix) for suffix in SQLITE_SIDE_FILES)]


# -- facts ------------------------------------------------------------------------------------------------


def facts_of(connection: Connection) -> DumpFacts:
    """Schema revision and row counts, read in the caller's transaction."""
    names = sorted(inspect(connection).get_table_names())
    tables = {name: int(connection.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar_one()) for name in names}
    revision = None
    if "alembic_version" in names:
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return DumpFacts(revision, tables)


def is_empty(database: Database) -> bool:
    """True when the database holds no table at all (a SQLite file that does not exist yet counts)."""
    if database.is_sqlite and not sqlite_path(database).exists():
        return True
    with database.read() as connection:
        return not inspect(connection).get_table_names()


def sqlite_facts(path: Path) -> DumpFacts:
    """Facts of a SQLite file, read with the standard library (no engine, no settings)."""
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return facts_of(connection)
    finally:
        engine.dispose()


# -- SQLite -----------------------------------------------------------------------------------------------


def dump_sqlite(database: Database, target: Path) -> DumpFacts:
    """A consistent copy of the live SQLite database into `target`, one self-contained file."""
    source_path = sqlite_path(database)
    if not source_path.exists():
        raise StorageError(f"no database at {source_path}: nothing to back up")
    with closing(sqlite3.connect(source_path, timeout=30)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)  # all pages in one step: a read transaction, writers go on (WAL)
        copy.execute("PRAGMA journal_mode=DELETE")
    return sqlite_facts(target)


def restore_sqlite(source: Path, database: Database) -> None:
    """Put the dumped file in place of the (empty or discarded) database."""
    database.dispose()
    target = sqlite_path(database)
    for path in sqlite_files(database):
        path.unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".restoring")
    shutil.copyfile(source, partial)
    os.replace(partial, target)


# -- PostgreSQL -------------------------------------------------------------------------------------------


def _tool_major(binary: str) -> int:
    """The major version of a PostgreSQL client program (`pg_dump (PostgreSQL) 16.4` → 16)."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=30).stdout
    found = re.search(r"(\d+)(?:\.\d+)?", out)
    return int(found.group(1)) if found else 0


def find_pg_tool(name: str, server_major: int) -> str:
    """The newest `name` (pg_dump, pg_restore) on PATH or under /usr/lib/postgresql/*/bin, as the test
    fixtures find initdb; it must be at least as new as the server."""
    candidates = [found for found in [shutil.which(name)] if found]
    candidates += glob.glob(f"/usr/lib/postgresql/*/bin/{name}")
    if not candidates:
        raise StorageError(
            f"{name} not found: install the PostgreSQL client programs (postgresql-client-{server_major})"
        )
    best = max(candidates, key=_tool_major)
    if _tool_major(best) < server_major:
        raise StorageError(
            f"{best} is version {_tool_major(best)}, older than the PostgreSQL server ({server_major}): "
            f"install postgresql-client-{server_major}"
        )
    return best


def _libpq(database: Database) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and an environment that carries it (never argv)."""
    url = make_url(database.url)
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return plain, environment


def _server_major(connection: Connection) -> int:
    return int(connection.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _run_pg(command: list[str], environment: dict[str, str], what: str) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=environment, timeout=PG_TIMEOUT_S)
    if done.returncode != 0:
        detail = (done.stderr or done.stdout).strip().splitlines()
        raise StorageError(f"{what} failed: {detail[-1] if detail else f'exit status {done.returncode}'}")


def dump_postgres(database: Database, target: Path) -> DumpFacts:
    """`pg_dump --format=custom` on the snapshot of the transaction that counted the rows."""
    conninfo, environment = _libpq(database)
    with database.engine.connect() as raw:
        connection = raw.execution_options(isolation_level="REPEATABLE READ")
        with connection.begin():
            pg_dump = find_pg_tool("pg_dump", _server_major(connection))
            snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            facts = facts_of(connection)
            command = [pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                       f"--file={target}", f"--dbname={conninfo}"]  # fmt: skip
            _run_pg(command, environment, "pg_dump")
    return facts


def find_restore_tool(database: Database) -> str:
    """The `pg_restore` that can restore into this server (a clear error when there is none)."""
    with database.read() as connection:
        return find_pg_tool("pg_restore", _server_major(connection))


def restore_postgres(source: Path, database: Database) -> None:
    """`pg_restore` into the (empty or emptied) database, in one transaction."""
    conninfo, environment = _libpq(database)
    pg_restore = find_restore_tool(database)
    database.dispose()
    command = [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
               f"--dbname={conninfo}", str(source)]  # fmt: skip
    _run_pg(command, environment, "pg_restore")


def discard_everything(database: Database) -> None:
    """`restore --force`: drop every table of the target first (SQLite: the files; PostgreSQL: the public
    schema, recreated empty)."""
    if database.is_sqlite:
        database.dispose()
        for path in sqlite_files(database):
            path.unlink(missing_ok=True)
        return
    with database.write() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    database.dispose()
