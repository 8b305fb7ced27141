"""`kiemchung backup` and `kiemchung restore` on both databases: a restore into an empty data directory and
database gives back every table row by row and every data file byte for byte; a tampered archive, a
non-empty target and a backup from a newer schema are refused with a clear line."""

from __future__ import annotations

import gzip
import io
import tarfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from kiemchung.app_context import AppContext
from kiemchung.cli.base import cli
from kiemchung.demo import set_up_demo
from kiemchung.domain.accounts import Actor
from kiemchung.services.backup import MANIFEST, Manifest, read_manifest
from kiemchung.settings import Settings

UPLOAD = "Biên bản họp báo ngày 3/5: Bộ Y tế không công bố thuốc chữa khỏi COVID.\n".encode()


def _populated(app: AppContext) -> None:
    """The demo (fact-checks, accounts, posts through the pipeline) plus a case with an uploaded document."""
    set_up_demo(app)
    organisation = app.organisations.ensure("Kiểm Chứng Demo")
    admin = app.account_store.user_by_email("admin@demo.kiemchung")
    assert admin is not None
    actor = Actor("admin", organisation.id, user_id=admin.id, name="admin")
    case = app.cases.open_case(actor, "Bộ Y tế công bố thuốc chữa khỏi COVID trong 3 ngày", 2, "y tế")
    app.cases.add_document(actor, case.id, "bien-ban.txt", UPLOAD)


def _every_row(url: str) -> dict[str, list[str]]:
    """Every table's rows, each row as its repr, sorted: equal dicts mean equal tables row by row."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            names = sorted(inspect(connection).get_table_names())
            return {name: sorted(repr(tuple(row)) for row in connection.execute(text(f'SELECT * FROM "{name}"')))
                    for name in names}  # fmt: skip
    finally:
        engine.dispose()


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
            and not p.name.startswith("kiemchung.sqlite3")}  # fmt: skip


@pytest.fixture
def empty_target(database_url: str, tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A fresh data directory and an empty database of the same kind (PostgreSQL: a new database)."""
    data_dir = tmp_path / "restored"
    if database_url.startswith("sqlite"):
        yield data_dir, f"sqlite:///{data_dir / 'kiemchung.sqlite3'}"
        return
    name = f"restore_{uuid.uuid4().hex[:12]}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield data_dir, make_url(database_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def _kiemchung(data_dir: Path, database_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli, ["--data-dir", str(data_dir), "--database-url", database_url, *args],
        env={"KIEMCHUNG_EMBEDDER": "hashing"}, catch_exceptions=False,
    )  # fmt: skip
    return result.exit_code, result.output


def test_a_restore_into_an_empty_target_gives_back_every_row_and_file(
    app_context: AppContext, empty_target: tuple[Path, str], tmp_path: Path
) -> None:
    _populated(app_context)
    settings: Settings = app_context.settings
    archive = tmp_path / "backups" / "kiemchung.tar.gz"
    code, output = _kiemchung(settings.data_dir, settings.resolved_database_url, "backup", "-o", str(archive))
    assert code == 0, output
    manifest = read_manifest(archive)
    assert manifest.tables["posts"] == 6 and manifest.tables["audit_log"] >= 2 and manifest.tables["evidence"] == 1
    assert any(name.startswith("files/uploads/") for name in manifest.members)

    data_dir, target_url = empty_target
    code, output = _kiemchung(data_dir, target_url, "restore", str(archive))
    assert code == 0, output

    original, restored = _every_row(settings.resolved_database_url), _every_row(target_url)
    assert set(original) == set(restored) and original["posts"]
    for table in original:
        assert restored[table] == original[table], table
    assert _files(data_dir) == _files(settings.data_dir)
    assert UPLOAD in _files(data_dir).values()

    code, output = _kiemchung(data_dir, target_url, "restore", str(archive))
    assert code == 2 and "restore refused" in output and "--force" in output
    code, output = _kiemchung(data_dir, target_url, "restore", "--force", str(archive))
    assert code == 0, output
    assert _every_row(target_url) == original


def _rewritten(archive: Path, change: dict[str, bytes]) -> Path:
    """A copy of `archive` with some members' bytes replaced (the manifest kept as it was, unless changed)."""
    out = archive.with_name("tampered.tar.gz")
    with tarfile.open(archive, "r:gz") as source, tarfile.open(out, "w:gz") as target:
        for member in source:
            handle = source.extractfile(member)
            assert handle is not None
            data = change.get(member.name, handle.read())
            member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    return out


def test_a_tampered_archive_is_refused_and_nothing_is_restored(
    app_context: AppContext, empty_target: tuple[Path, str], tmp_path: Path
) -> None:
    _populated(app_context)
    settings = app_context.settings
    archive = tmp_path / "kiemchung.tar.gz"
    assert _kiemchung(settings.data_dir, settings.resolved_database_url, "backup", "-o", str(archive))[0] == 0
    upload = next(name for name in read_manifest(archive).members if name.startswith("files/uploads/"))
    tampered = _rewritten(archive, {upload: UPLOAD.replace("không ".encode(), b"")})

    data_dir, target_url = empty_target
    code, output = _kiemchung(data_dir, target_url, "restore", str(tampered))
    assert code == 2 and f"{upload} does not match its SHA-256" in output
    assert not _every_row(target_url) and not _files(data_dir)

    (tmp_path / "garbage.tar.gz").write_bytes(gzip.compress(b"not a tar"))
    code, output = _kiemchung(data_dir, target_url, "restore", str(tmp_path / "garbage.tar.gz"))
    assert code == 2 and "not a kiemchung backup" in output


def test_a_backup_from_a_newer_schema_is_refused(app_context: AppContext, tmp_path: Path) -> None:
    settings = app_context.settings
    archive = tmp_path / "kiemchung.tar.gz"
    assert _kiemchung(settings.data_dir, settings.resolved_database_url, "backup", "-o", str(archive))[0] == 0
    manifest = read_manifest(archive)
    manifest.schema_revision = "9999"
    newer = _rewritten(archive, {MANIFEST: manifest.to_json()})
    assert Manifest.from_json(manifest.to_json()).schema_revision == "9999"
    target = tmp_path / "elsewhere"
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        url = f"sqlite:///{target / 'kiemchung.sqlite3'}"
    code, output = _kiemchung(target, url, "restore", str(newer))
    assert code == 2 and "schema revision 9999 is unknown" in output and "upgrade kiemchung first" in output


def test_a_backup_of_an_older_schema_is_migrated_when_restored(
    settings: Settings, database_url: str, empty_target: tuple[Path, str], tmp_path: Path
) -> None:
    from alembic import command

    older = AppContext(settings.with_overrides(database_url=database_url))
    with older.database.write() as connection:
        command.upgrade(older.database._alembic_config(connection), "0006")
    older.close()
    archive = tmp_path / "old.tar.gz"
    code, output = _kiemchung(settings.data_dir, database_url, "backup", "-o", str(archive))
    assert code == 0, output
    assert read_manifest(archive).schema_revision == "0006"

    data_dir, target_url = empty_target
    code, output = _kiemchung(data_dir, target_url, "restore", str(archive))
    assert code == 0 and "migrated from schema 0006" in output
    restored = AppContext(settings.with_overrides(data_dir=data_dir, database_url=target_url))
    assert restored.database.is_current()
    restored.close()


def test_a_backup_taken_while_writes_go_on_is_consistent(
    app_context: AppContext, empty_target: tuple[Path, str], tmp_path: Path
) -> None:
    """A writer adds organisations all along; the backup is one moment: the restore's row counts equal the
    manifest's (restore checks them), and the writer was never blocked for long."""
    from kiemchung.services.backup import create_backup, restore_backup

    set_up_demo(app_context)
    stop, written, slowest = threading.Event(), [0], [0.0]

    def write() -> None:
        while not stop.is_set():
            started = time.monotonic()
            app_context.organisations.ensure(f"Tòa soạn {written[0]}")
            slowest[0] = max(slowest[0], time.monotonic() - started)
            written[0] += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        time.sleep(0.2)
        manifest = create_backup(app_context.settings, app_context.database, tmp_path / "live.tar.gz")
        time.sleep(0.2)
    finally:
        stop.set()
        writer.join()
    assert 0 < manifest.tables["organisations"] < written[0] + 1  # some before, some after the moment
    data_dir, target_url = empty_target
    target = AppContext(app_context.settings.with_overrides(data_dir=data_dir, database_url=target_url))
    try:
        report = restore_backup(target.settings, target.database, tmp_path / "live.tar.gz")
        assert report.manifest.tables == manifest.tables
        assert len(target.organisations.all()) == manifest.tables["organisations"]
    finally:
        target.close()
    assert slowest[0] < 5.0


def test_a_backup_is_private_and_a_restore_never_writes_through_a_symbolic_link(
    app_context: AppContext, empty_target: tuple[Path, str], tmp_path: Path
) -> None:
    _populated(app_context)
    settings: Settings = app_context.settings
    archive = tmp_path / "backups" / "kiemchung.tar.gz"
    assert _kiemchung(settings.data_dir, settings.resolved_database_url, "backup", "-o", str(archive))[0] == 0
    assert archive.stat().st_mode & 0o777 == 0o600  # the whole database: for its owner only
    data_dir, target_url = empty_target
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    data_dir.mkdir(parents=True)
    (data_dir / "uploads").symlink_to(outside, target_is_directory=True)
    code, output = _kiemchung(data_dir, target_url, "restore", str(archive))
    assert code == 2 and "leads out of the data directory" in output
    assert list(outside.iterdir()) == []  # nothing was written through the link
    assert "posts" not in _every_row(target_url)  # and the database was not restored either
