"""Shared fixtures: settings on a temp data dir, databases (SQLite and a throw-away PostgreSQL)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiemchung.app_context import AppContext
from kiemchung.settings import Settings, load_settings
from kiemchung.store.database import Database

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing in CI: the evaluation gate needs ../shared")
        pytest.skip(f"{path} not present (../shared is absent): data-dependent evaluation skipped")
    return path


LOOPBACK = "127.0.0.0/8"  # the tests' sites live there; fetching refuses it unless allowed


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(environ={}, data_dir=tmp_path / "data", embedder="hashing", fetch_allow_networks=LOOPBACK)


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ThrowAwayPostgres:
    """initdb + pg_ctl in a temporary directory, listening on loopback only."""

    def __init__(self) -> None:
        initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            if os.environ.get("CI"):
                raise RuntimeError("PostgreSQL binaries are missing in CI (.ci/run must install postgresql)")
            pytest.skip("no PostgreSQL binaries (initdb, pg_ctl) on this machine")
        self.initdb, self.pg_ctl = initdb, pg_ctl
        self.root = Path(tempfile.mkdtemp(prefix="kiemchung-pg-"))
        self.port = _free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            pwd.getpwnam("postgres")
            shutil.chown(self.root, "postgres", "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True, timeout=120)

    def start(self) -> str:
        data = self.root / "cluster"
        self.run(self.initdb, "-D", str(data), "-U", "kiemchung", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8")
        options = f"-c listen_addresses=127.0.0.1 -c port={self.port} -k {self.root} -c fsync=off"
        self.run(self.pg_ctl, "-D", str(data), "-o", options, "-l", str(self.root / "log"), "-w", "start")
        return f"postgresql+psycopg://kiemchung@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        try:
            self.run(self.pg_ctl, "-D", str(self.root / "cluster"), "-m", "immediate", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    server = ThrowAwayPostgres()
    url = server.start()
    try:
        yield url
    finally:
        server.stop()


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    url: str = request.getfixturevalue("postgres_url")
    _reset_postgres(url)
    return url


@pytest.fixture
def app_context(settings: Settings, database_url: str) -> Iterator[AppContext]:
    context = AppContext(settings.with_overrides(database_url=database_url))
    context.database.migrate()
    yield context
    context.close()


@pytest.fixture
def database(app_context: AppContext) -> Database:
    return app_context.database
