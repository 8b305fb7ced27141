"""Backups and restores of one installation: the database and the data directory's other files, in one
tar.gz archive with a manifest.

Archive layout:
    manifest.json                 format, version, schema revision, created, row counts, SHA-256 of each member
    database/kiemchung.sqlite3    SQLite: a copy made with the online backup API
    database/kiemchung.pgdump     PostgreSQL: `pg_dump --format=custom`
    files/<path>                  every other file of the data directory (match index, uploads, cards)

Guarantees: a backup is written to FILE.partial and renamed when complete; a restore refuses a target that
is not empty (unless forced), an archive whose members do not match the manifest's digests, and a schema
newer than this version knows; an older schema is migrated after the restore.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from kiemchung import __version__
from kiemchung.errors import InputError, StorageError
from kiemchung.settings import Settings
from kiemchung.store import dumps
from kiemchung.store.database import MIGRATIONS, Database

FORMAT = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/kiemchung.sqlite3"
POSTGRES_MEMBER = "database/kiemchung.pgdump"
FILES = "files"
SKIPPED_SUFFIXES = (".partial", ".restoring")
SKIPPED_DIRECTORIES = ("index.new", "index.old")  # the match index's staging copies (matching/index.py)
STAGING_PREFIX = ".kiemchung-"  # this module's own staging directories, never part of a backup
CHUNK = 1 << 20

Progress = Callable[[str], None]


def _quiet(_message: str) -> None:
    return None


@dataclass
class Manifest:
    format: int
    kiemchung_version: str
    database: str  # sqlite or postgresql
    schema_revision: str | None
    created: str
    tables: dict[str, int]
    members: dict[str, str] = field(default_factory=dict)  # archive name → SHA-256

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        try:
            data = json.loads(raw)
            manifest = cls(**data)
        except (ValueError, TypeError) as exc:
            raise InputError(f"the backup's manifest cannot be read: {exc}") from None
        if manifest.format != FORMAT or manifest.database not in {"sqlite", "postgresql"}:
            raise InputError(f"unsupported backup (format {manifest.format}, database {manifest.database})")
        return manifest


@dataclass(frozen=True)
class RestoreReport:
    manifest: Manifest
    files: int
    migrated_from: str | None  # the backup's revision when it was upgraded, else None


# -- helpers ----------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _excluded(settings: Settings, database: Database, output: Path | None) -> set[Path]:
    excluded = {output.resolve()} if output is not None else set()
    if database.is_sqlite:
        excluded |= {path.resolve() for path in dumps.sqlite_files(database)}
    return excluded


def data_files(settings: Settings, database: Database, output: Path | None = None) -> Iterator[Path]:
    """Every file of the data directory that is not the database (nor the backup being written), relative."""
    root = settings.data_dir
    if not root.exists():
        return
    excluded = _excluded(settings, database, output)
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(
            d for d in subdirectories if d not in SKIPPED_DIRECTORIES and not d.startswith(STAGING_PREFIX)
        )
        for name in sorted(names):
            path = Path(directory) / name
            if name.endswith(SKIPPED_SUFFIXES) or path.resolve() in excluded or not path.is_file():
                continue
            yield path.relative_to(root)


def known_revisions() -> set[str]:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}


def head_revision() -> str | None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        return ScriptDirectory.from_config(config).get_current_head()
    except CommandError:
        return None


# -- backup -----------------------------------------------------------------------------------------------


def _stage_database(database: Database, staging: Path) -> tuple[str, dumps.DumpFacts]:
    (staging / "database").mkdir()
    if database.is_sqlite:
        return SQLITE_MEMBER, dumps.dump_sqlite(database, staging / SQLITE_MEMBER)
    return POSTGRES_MEMBER, dumps.dump_postgres(database, staging / POSTGRES_MEMBER)


def _stage_files(settings: Settings, database: Database, output: Path, staging: Path) -> list[str]:
    """Copy the data directory's files first, so that the digests describe exactly what is archived."""
    members = []
    for relative in data_files(settings, database, output):
        name = str(PurePosixPath(FILES, *relative.parts))
        target = staging / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            shutil.copyfile(settings.data_dir / relative, target)
        except FileNotFoundError:  # removed meanwhile (a cache, a swapped index): not part of this backup
            continue
        members.append(name)
    return members


def create_backup(settings: Settings, database: Database, output: Path, progress: Progress = _quiet) -> Manifest:
    """Write the archive to `output` (via `output.partial`); returns its manifest. An older schema is backed
    up as it is (back up before `kiemchung init` upgrades it)."""
    if dumps.is_empty(database):
        raise StorageError(f"the database {database.safe_url} is empty or missing: nothing to back up")
    output.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX + "backup-", dir=output.parent) as temporary:
        staging = Path(temporary)
        progress("copying the database")
        db_member, facts = _stage_database(database, staging)
        progress(f"database copied: {sum(facts.tables.values())} rows in {len(facts.tables)} tables")
        members = [db_member, *_stage_files(settings, database, output, staging)]
        progress(f"{len(members) - 1} data files copied; computing digests")
        manifest = Manifest(
            FORMAT, __version__, "sqlite" if database.is_sqlite else "postgresql", facts.revision,
            datetime.now(UTC).isoformat(timespec="seconds"), facts.tables,
            {name: _sha256(staging / name) for name in members},
        )  # fmt: skip
        (staging / MANIFEST).write_bytes(manifest.to_json())
        progress(f"writing {output}")
        _write_archive(staging, [MANIFEST, *members], output)
    return manifest


def _write_archive(staging: Path, members: list[str], output: Path) -> None:
    partial = output.with_name(output.name + ".partial")
    partial.unlink(missing_ok=True)
    partial.touch(mode=0o600)  # the whole database, password hashes included: for the owner's eyes only
    with tarfile.open(partial, "w:gz") as archive:
        for name in members:
            archive.add(staging / name, arcname=name, recursive=False)
    os.replace(partial, output)


# -- restore ----------------------------------------------------------------------------------------------


def _open(archive_path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive_path, "r:gz")
    except FileNotFoundError:
        raise InputError(f"no such file: {archive_path}") from None
    except (tarfile.TarError, OSError) as exc:
        raise InputError(f"{archive_path} is not a kiemchung backup (tar.gz): {exc}") from None


def _manifest_of(archive: tarfile.TarFile) -> Manifest:
    try:
        handle = archive.extractfile(MANIFEST)
    except KeyError:
        handle = None
    if handle is None:
        raise InputError("the archive has no manifest.json: not a kiemchung backup")
    return Manifest.from_json(handle.read())


def read_manifest(archive_path: Path) -> Manifest:
    with _open(archive_path) as archive:
        return _manifest_of(archive)


def _check_restorable(manifest: Manifest, database: Database) -> None:
    kind = "sqlite" if database.is_sqlite else "postgresql"
    if manifest.database != kind:
        raise InputError(f"the backup holds a {manifest.database} database; the target is {kind}")
    if manifest.schema_revision not in known_revisions():
        raise InputError(
            f"the backup's schema revision {manifest.schema_revision} is unknown to kiemchung {__version__} "
            f"(the backup was made by {manifest.kiemchung_version}): upgrade kiemchung first"
        )
    expected = SQLITE_MEMBER if database.is_sqlite else POSTGRES_MEMBER
    if expected not in manifest.members:
        raise InputError(f"the backup lacks its database ({expected})")


def _check_target(settings: Settings, database: Database, force: bool) -> None:
    occupied = []
    if not dumps.is_empty(database):
        occupied.append(f"the database {database.safe_url} has tables")
    if next(data_files(settings, database), None) is not None:
        occupied.append(f"the data directory {settings.data_dir} has files")
    if occupied and not force:
        raise StorageError(f"restore refused: {' and '.join(occupied)}; restore into an empty one, or use --force to "
                           "discard what is there")  # fmt: skip


def _member_path(staging: Path, name: str) -> Path:
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
        raise InputError(f"the backup holds an unsafe name: {name!r}")
    return staging.joinpath(*parts)


def _extract_verified(archive: tarfile.TarFile, manifest: Manifest, staging: Path, progress: Progress) -> None:
    """Extract every member into `staging`, each checked against the manifest's SHA-256."""
    seen = set()
    for member in archive:
        if member.name == MANIFEST:
            continue
        if member.name not in manifest.members or not member.isfile():
            raise InputError(f"the backup holds {member.name!r}, which its manifest does not list")
        target = _member_path(staging, member.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        source = archive.extractfile(member)
        assert source is not None  # a regular file
        digest = hashlib.sha256()
        with target.open("wb") as handle:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                handle.write(chunk)
        if digest.hexdigest() != manifest.members[member.name]:
            raise InputError(f"the backup is damaged or altered: {member.name} does not match its SHA-256")
        seen.add(member.name)
        progress(f"checked {len(seen)}/{len(manifest.members)}: {member.name}")
    missing = set(manifest.members) - seen
    if missing:
        raise InputError(f"the backup is incomplete: {', '.join(sorted(missing))} missing")


def _discard_files(settings: Settings, database: Database) -> None:
    for relative in list(data_files(settings, database)):
        (settings.data_dir / relative).unlink(missing_ok=True)
    shutil.rmtree(settings.index_dir, ignore_errors=True)


def _file_targets(staging: Path, data_dir: Path) -> list[tuple[Path, Path]]:
    """(staged file, where it goes) for every data file; refused, before anything is changed, when a target
    or a folder on its way is a symbolic link leading out of the data directory."""
    root = staging / FILES
    if not root.exists():
        return []
    inside = data_dir.resolve()
    pairs = [(path, data_dir / path.relative_to(root)) for path in sorted(p for p in root.rglob("*") if p.is_file())]
    for _, target in pairs:
        if target.is_symlink() or not target.resolve().is_relative_to(inside):
            raise InputError(f"{target} leads out of the data directory (a symbolic link): not restored there")
    return pairs


def _place_files(pairs: list[tuple[Path, Path]]) -> int:
    for path, target in pairs:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return len(pairs)


def _restore_database(staging: Path, database: Database) -> None:
    if database.is_sqlite:
        dumps.restore_sqlite(staging / SQLITE_MEMBER, database)
    else:
        dumps.restore_postgres(staging / POSTGRES_MEMBER, database)


def _check_counts(database: Database, manifest: Manifest) -> None:
    with database.read() as connection:
        restored = dumps.facts_of(connection)
    if restored.tables != manifest.tables:
        differing = sorted(k for k in set(restored.tables) | set(manifest.tables)
                           if restored.tables.get(k) != manifest.tables.get(k))  # fmt: skip
        raise StorageError(f"the restored database differs from the backup's row counts in: {', '.join(differing)}")


def restore_backup(
    settings: Settings, database: Database, archive_path: Path, force: bool = False, progress: Progress = _quiet
) -> RestoreReport:
    """Restore an archive into an empty data directory and database (or discard them first with `force`)."""
    with _open(archive_path) as archive:
        manifest = _manifest_of(archive)
        _check_restorable(manifest, database)
        _check_target(settings, database, force)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix=STAGING_PREFIX + "restore-", dir=settings.data_dir) as temporary:
            staging = Path(temporary)
            _extract_verified(archive, manifest, staging, progress)
            placements = _file_targets(staging, settings.data_dir)
            if not database.is_sqlite:
                dumps.find_restore_tool(database)  # before anything is discarded: a missing pg_restore stops here
            if force:
                progress("discarding the target's database and files")
                dumps.discard_everything(database)
                _discard_files(settings, database)
            progress("restoring the database")
            _restore_database(staging, database)
            files = _place_files(placements)
    progress(f"{files} data files restored; checking row counts")
    _check_counts(database, manifest)
    migrated_from = None
    if manifest.schema_revision != head_revision():
        progress(f"migrating from schema {manifest.schema_revision}")
        database.migrate()
        migrated_from = manifest.schema_revision
    return RestoreReport(manifest, files, migrated_from)
