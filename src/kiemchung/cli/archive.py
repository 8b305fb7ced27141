"""Commands for the database, the fact-check archive and the web server."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from tqdm import tqdm

from kiemchung.cli.base import app_of, cli, prepare_database, require_database
from kiemchung.errors import KiemchungError


@cli.command()
@click.option("--demo", is_flag=True, help="Also load the demo archive, demo accounts and demo posts (idempotent).")
@click.pass_context
def init(ctx: click.Context, demo: bool) -> None:
    """Create or upgrade the database in the data directory."""
    app = app_of(ctx)
    app.database.migrate()
    click.echo(f"database ready: {app.database.safe_url}")
    if demo:
        from kiemchung.demo import set_up_demo

        for line in set_up_demo(app):
            click.echo(line)


@cli.group()
def factchecks() -> None:
    """Import, export and inspect the fact-check archive."""


@factchecks.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    default="auto",
    show_default=True,
    type=click.Choice(["auto", "jsonl", "csv", "claimreview", "html"]),
    help="Input format; auto looks at the file name and content.",
)
@click.pass_context
def import_command(ctx: click.Context, files: tuple[Path, ...], fmt: str) -> None:
    """Import fact-checks from JSON Lines, CSV, ClaimReview JSON-LD or HTML pages.

    Bad lines are reported with file and line number; the good ones are imported. Exit status 1 when
    anything was rejected.
    """
    from kiemchung.services.archive import import_files

    for path in files:
        if not path.exists():
            raise KiemchungError(f"no such file: {path}")
    app = app_of(ctx)
    prepare_database(app)
    total = sum(path.stat().st_size for path in files)
    with tqdm(total=total, unit="B", unit_scale=True, desc="importing", file=sys.stderr, disable=None) as bar:
        report = import_files(app.factcheck_store, files, fmt, progress=bar.update)
    app.matching.on_imported([])
    for error in report.rejected:
        click.echo(f"rejected {error.describe()}", err=True)
    for note in report.notes:
        click.echo(f"note {note.describe()}", err=True)
    click.echo(f"imported {report.imported}, rejected {len(report.rejected)}")
    if not report.ok:
        ctx.exit(1)


@factchecks.command("export")
@click.option("--format", "fmt", default="jsonl", show_default=True, type=click.Choice(["jsonl", "claimreview"]))
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write to this file instead of standard output.",
)
@click.pass_context
def export_command(ctx: click.Context, fmt: str, output: Path | None) -> None:
    """Export the archive as JSON Lines or as schema.org ClaimReview JSON-LD."""
    from kiemchung.services.archive import export_factchecks

    app = app_of(ctx)
    require_database(app)
    if output is None:
        export_factchecks(app.factcheck_store, sys.stdout, fmt)
        return
    partial = output.with_name(output.name + ".partial")
    with partial.open("w", encoding="utf-8") as handle:
        count = export_factchecks(app.factcheck_store, handle, fmt)
    partial.replace(output)
    click.echo(f"exported {count} fact-checks to {output}", err=True)


@factchecks.command("list")
@click.option("--search", "-q", default="", help="Only fact-checks whose text holds these words.")
@click.option("--page", default=1, show_default=True, type=int)
@click.option("--per-page", default=20, show_default=True, type=int)
@click.pass_context
def list_command(ctx: click.Context, search: str, page: int, per_page: int) -> None:
    """List fact-checks, newest first."""
    from kiemchung.services.factchecks import ArchiveQuery

    app = app_of(ctx)
    require_database(app)
    result = app.archive.list(ArchiveQuery(page=page, per_page=per_page, q=search))
    for fc in result.items:
        click.echo(f"{fc.id}\t{fc.rating.label}\t{fc.published or ''}\t{fc.claim}")
    click.echo(f"page {result.page}/{result.pages}, {result.total} fact-checks", err=True)


@factchecks.command("show")
@click.argument("factcheck_id")
@click.option("--format", "fmt", default="jsonl", type=click.Choice(["jsonl", "claimreview"]), show_default=True)
@click.pass_context
def show_command(ctx: click.Context, factcheck_id: str, fmt: str) -> None:
    """Show one fact-check as a JSON record or as ClaimReview."""
    from kiemchung.domain.claimreview import factcheck_to_claimreview
    from kiemchung.domain.records import factcheck_to_record

    app = app_of(ctx)
    require_database(app)
    fc = app.archive.show(factcheck_id)
    data = factcheck_to_record(fc) if fmt == "jsonl" else factcheck_to_claimreview(fc)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@cli.command()
@click.option("--host", default=None, help="Listen address [env KIEMCHUNG_HOST, default 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [env KIEMCHUNG_PORT, default 8000].")
@click.option(
    "--pipeline/--no-pipeline", default=None, help="Also run the monitoring pipeline [env KIEMCHUNG_RUN_PIPELINE]."
)
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None, pipeline: bool | None) -> None:
    """Serve the web UI and the JSON API (and, with --pipeline, the monitoring pipeline)."""
    import uvicorn

    from kiemchung.web.app import create_app

    app = app_of(ctx)
    require_database(app)
    settings = app.settings.with_overrides(host=host, port=port, run_pipeline=pipeline)
    extra = " with the monitoring pipeline" if settings.run_pipeline else ""
    click.echo(f"kiemchung serving on http://{settings.host}:{settings.port}{extra}  (Ctrl-C stops)")
    if settings.public_url_guessed:
        click.echo(
            f"kiemchung: warning: KIEMCHUNG_PUBLIC_URL is not set; published links, feeds, invitations and alerts "
            f"will point to {settings.base_url}. Set it to the address people reach.",
            err=True,
        )
    # json logs: uvicorn's loggers propagate to the root logger's JSON handler instead of their own
    log_config = None if settings.log_format == "json" else uvicorn.config.LOGGING_CONFIG
    uvicorn.run(
        create_app(settings), host=settings.host, port=settings.port, log_level="warning", log_config=log_config
    )
