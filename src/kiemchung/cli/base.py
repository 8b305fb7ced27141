"""The command group, the error handling every command shares, and the helpers commands use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from kiemchung import __version__
from kiemchung.app_context import AppContext
from kiemchung.errors import KiemchungError
from kiemchung.logs import configure_logging
from kiemchung.settings import load_settings


class KiemchungGroup(click.Group):
    """Turns KiemchungError into one line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KiemchungError as exc:
            click.echo(f"kiemchung: error: {exc}", err=True)
            ctx.exit(2)


def app_of(ctx: click.Context) -> AppContext:
    app: AppContext = ctx.obj
    return app


def require_database(app: AppContext) -> None:
    app.database.require_current()


def prepare_database(app: AppContext) -> None:
    """For commands that fill a data directory (imports): a fresh database is created (migrated to the newest
    revision, as `kiemchung init` does); one that is out of date still asks for `kiemchung init`."""
    if app.database.is_fresh():
        app.database.migrate()
        click.echo(f"database created: {app.database.safe_url}", err=True)
    app.database.require_current()


@click.group(cls=KiemchungGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--data-dir", type=click.Path(path_type=Path), default=None, help="Data directory [env KIEMCHUNG_DATA_DIR]."
)
@click.option("--database-url", default=None, help="SQLAlchemy database URL [env KIEMCHUNG_DATABASE_URL].")
@click.version_option(__version__, prog_name="kiemchung")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None, database_url: str | None) -> None:
    """Kiểm Chứng — monitor claims, match them against fact-checks, publish corrections."""
    try:
        settings = load_settings(data_dir=data_dir, database_url=database_url)
    except KiemchungError as exc:
        raise click.UsageError(str(exc)) from None
    configure_logging(settings.log_format)
    ctx.obj = AppContext(settings)
    ctx.call_on_close(ctx.obj.close)
