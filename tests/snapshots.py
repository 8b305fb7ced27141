"""An expensive set-up made once per module, each test starting from its own copy of it.

`prepare` runs `build` (the demo's accounts hash passwords with argon2; a flood goes through intake) on a fresh
installation, on SQLite or a PostgreSQL database of its own; `copy` gives every test a new AppContext on a copy
of the database (SQLite: the file; PostgreSQL: CREATE DATABASE ... TEMPLATE) and of the data directory (the
matching index), so tests may change what they like and never see each other's changes.
"""

from __future__ import annotations

import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kiemchung.app_context import AppContext
from kiemchung.settings import Settings, load_settings

T = TypeVar("T")
LOOPBACK = "127.0.0.0/8"  # as tests/conftest.py's settings
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]  # as its database_url


def _settings(data_dir: Path, database_url: str) -> Settings:
    return load_settings(environ={}, data_dir=data_dir, embedder="hashing", fetch_allow_networks=LOOPBACK,
                         database_url=database_url)  # fmt: skip


def _admin(server_url: str, *statements: str) -> None:
    """Statements outside a transaction (CREATE/DROP DATABASE) on the server's maintenance database."""
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        engine.dispose()


@dataclass
class Prepared(Generic[T]):
    data_dir: Path
    sqlite_file: Path | None  # SQLite: the database file; PostgreSQL: None
    server_url: str | None  # PostgreSQL: the server's maintenance database
    template: str | None  # PostgreSQL: the database copied for each test
    value: T  # what build returned

    @contextmanager
    def copy(self, tmp_path: Path) -> Iterator[AppContext]:
        """A new installation in tmp_path with what `build` made, closed (and its database dropped) after."""
        data_dir = tmp_path / "data"
        shutil.copytree(self.data_dir, data_dir)
        if self.sqlite_file is not None:
            database = tmp_path / "copy.sqlite3"
            with closing(sqlite3.connect(self.sqlite_file)) as source, closing(sqlite3.connect(database)) as target:
                source.backup(target)  # the pages as committed, whatever is still in the write-ahead log
            url, name = f"sqlite:///{database}", None
        else:
            assert self.server_url is not None and self.template is not None
            name = f"copy_{uuid.uuid4().hex[:12]}"
            _admin(self.server_url, f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
            url = make_url(self.server_url).set(database=name).render_as_string(hide_password=False)
        context = AppContext(_settings(data_dir, url))
        try:
            yield context
        finally:
            context.close()
            if name is not None:
                assert self.server_url is not None
                _admin(self.server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def prepare(root: Path, server_url: str | None, build: Callable[[AppContext], T]) -> Iterator[Prepared[T]]:
    """`build` run once on a migrated installation in root: on SQLite when server_url is None, else on a new
    database of that PostgreSQL server (dropped at the end)."""
    template = None
    if server_url is None:
        sqlite_file: Path | None = root / "template.sqlite3"
        url = f"sqlite:///{sqlite_file}"
    else:
        sqlite_file, template = None, f"template_{uuid.uuid4().hex[:12]}"
        _admin(server_url, f'CREATE DATABASE "{template}"')
        url = make_url(server_url).set(database=template).render_as_string(hide_password=False)
    try:
        context = AppContext(_settings(root / "data", url))
        try:
            context.database.migrate()
            value = build(context)
        finally:
            context.close()  # no connection may stay open on a template
        yield Prepared(root / "data", sqlite_file, server_url, template, value)
    finally:
        if template is not None:
            assert server_url is not None
            _admin(server_url, f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')


def prepared_for(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    build: Callable[[AppContext], T],
) -> Iterator[Prepared[T]]:
    """For a module-scoped fixture parametrised with BACKENDS: `build` prepared on request.param's database."""
    server = request.getfixturevalue("postgres_url") if request.param == "postgresql" else None
    with prepare(tmp_path_factory.mktemp("prepared"), server, build) as prepared:
        yield prepared
