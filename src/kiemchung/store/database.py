"""The one object through which all SQL flows.

SQLite, the datasette way: WAL, foreign keys, a busy timeout, and writes serialised through one lock
with BEGIN IMMEDIATE; reads run concurrently. PostgreSQL runs behind the same interface.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from kiemchung.errors import StorageError

MIGRATIONS = Path(__file__).parent / "migrations"
_WRITE = "kiemchung_write"
# WAL + NORMAL: a power loss may lose the last commits, never corrupt the file; FULL syncs every commit.
SYNCHRONOUS = {"normal": "NORMAL", "full": "FULL"}


def _configure_sqlite(engine: Engine, synchronous: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute(f"PRAGMA synchronous={SYNCHRONOUS[synchronous]}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_WRITE)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@overload
def aware(moment: datetime) -> datetime: ...
@overload
def aware(moment: None) -> None: ...
def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive UTC datetimes; everything above the store sees aware ones."""
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


class Database:
    """Owns the engine; hands out read and write connections inside transactions."""

    def __init__(self, url: str, synchronous: str = "normal") -> None:
        """`synchronous`: SQLite's PRAGMA synchronous, normal or full (KIEMCHUNG_SQLITE_SYNCHRONOUS)."""
        if synchronous not in SYNCHRONOUS:
            raise StorageError(f"synchronous must be normal or full, not {synchronous!r}")
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self._ensure_sqlite_directory(url)
        try:
            self.engine = create_engine(url, pool_pre_ping=not self.is_sqlite)
        except (SQLAlchemyError, ImportError, ValueError) as exc:
            raise StorageError(f"cannot use database {self.safe_url}: {exc}") from None
        if self.is_sqlite:
            _configure_sqlite(self.engine, synchronous)
        self._write_lock = threading.Lock()
        self._head: str | None = None  # the newest migration, read once (parsing the scripts costs ~25 ms)

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages."""
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:  # noqa: BLE001 - an unparsable URL is shown as given
            return self.url

    @staticmethod
    def _ensure_sqlite_directory(url: str) -> None:
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as connection, connection.begin():
                yield connection
        except OperationalError as exc:
            raise StorageError(f"database {self.safe_url} is unavailable: {exc.orig}") from None

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One write transaction; committed when the block ends, rolled back on any error."""
        with self._write_lock:
            try:
                with self.engine.connect() as raw:
                    connection = raw.execution_options(**{_WRITE: True})
                    with connection.begin():
                        yield connection
            except OperationalError as exc:
                raise StorageError(f"database {self.safe_url} is unavailable: {exc.orig}") from None

    def _alembic_config(self, connection: Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        return config

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent), in one transaction. On SQLite foreign keys are
        off meanwhile (a migration that changes a constraint rebuilds the table, and dropping the old copy would
        run its children's ON DELETE actions) and checked before the commit: a broken reference fails it."""
        with self._write_lock:
            try:
                with self.engine.connect() as raw:
                    self._set_foreign_keys(raw, False)
                    try:
                        connection = raw.execution_options(**{_WRITE: True})
                        with connection.begin():
                            command.upgrade(self._alembic_config(connection), "head")
                            self._check_foreign_keys(connection)
                    finally:
                        self._set_foreign_keys(raw, True)
            except OperationalError as exc:
                raise StorageError(f"database {self.safe_url} is unavailable: {exc.orig}") from None

    def _set_foreign_keys(self, raw: Connection, on: bool) -> None:
        """SQLite: turn foreign keys on or off; only outside a transaction, hence on the driver's connection."""
        if self.is_sqlite:
            cursor = raw.connection.cursor()
            cursor.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")
            cursor.close()

    def _check_foreign_keys(self, connection: Connection) -> None:
        if self.is_sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first() is not None:
            raise StorageError("the migration would break a foreign key: nothing was changed")

    def is_current(self) -> bool:
        """True when the schema is at the newest revision."""
        with self.read() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            if self._head is None:
                self._head = ScriptDirectory.from_config(self._alembic_config(connection)).get_current_head()
        return current == self._head

    def is_fresh(self) -> bool:
        """True when no migration was ever applied (a new data directory, an empty database)."""
        with self.read() as connection:
            return MigrationContext.configure(connection).get_current_revision() is None

    def require_current(self) -> None:
        if not self.is_current():
            raise StorageError(f"database {self.safe_url} is not initialised or is out of date: run `kiemchung init`")

    def dispose(self) -> None:
        self.engine.dispose()
