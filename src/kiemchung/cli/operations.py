"""Commands for operators: backup and restore."""

from __future__ import annotations

from pathlib import Path

import click

from kiemchung.cli.base import app_of, cli


def _progress(message: str) -> None:
    click.echo(f"  {message}", err=True)


@cli.command("backup")
@click.option(
    "--output", "-o", required=True, type=click.Path(path_type=Path, dir_okay=False), help="The archive to write."
)
@click.pass_context
def backup_command(ctx: click.Context, output: Path) -> None:
    """Back up the database and the data directory into one .tar.gz archive (safe while serving)."""
    from kiemchung.services.backup import create_backup

    app = app_of(ctx)
    manifest = create_backup(app.settings, app.database, output, _progress)
    rows = sum(manifest.tables.values())
    click.echo(
        f"backup written to {output}: {manifest.database} schema {manifest.schema_revision}, {rows} rows in "
        f"{len(manifest.tables)} tables, {len(manifest.members) - 1} data files"
    )


@cli.command("restore")
@click.argument("archive", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--force", is_flag=True, help="Discard the database and data files already there (stop the server).")
@click.pass_context
def restore_command(ctx: click.Context, archive: Path, force: bool) -> None:
    """Restore a backup into an empty data directory and database; migrate it if it is older."""
    from kiemchung.services.backup import restore_backup

    app = app_of(ctx)
    report = restore_backup(app.settings, app.database, archive, force=force, progress=_progress)
    migrated = f"; migrated from schema {report.migrated_from}" if report.migrated_from else ""
    click.echo(
        f"restored {archive} (made {report.manifest.created} by kiemchung {report.manifest.kiemchung_version}): "
        f"{sum(report.manifest.tables.values())} rows, {report.files} data files{migrated}"
    )
