"""The `kiemchung` command line. Every user mistake ends in one clear line, never a traceback."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import click
from tqdm import tqdm

from kiemchung import __version__
from kiemchung.app_context import AppContext
from kiemchung.errors import KiemchungError
from kiemchung.services.lines import LineError, decoded_lines, load_json_line
from kiemchung.settings import load_settings


class KiemchungGroup(click.Group):
    """Turns KiemchungError into one line on stderr and exit status 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KiemchungError as exc:
            click.echo(f"kiemchung: error: {exc}", err=True)
            ctx.exit(2)


def _context(ctx: click.Context) -> AppContext:
    app: AppContext = ctx.obj
    return app


def _require_database(app: AppContext) -> None:
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
    ctx.obj = AppContext(settings)
    ctx.call_on_close(ctx.obj.close)


@cli.command()
@click.option("--demo", is_flag=True, help="Also load the demo archive (idempotent).")
@click.pass_context
def init(ctx: click.Context, demo: bool) -> None:
    """Create or upgrade the database in the data directory."""
    app = _context(ctx)
    app.database.migrate()
    click.echo(f"database ready: {app.database.safe_url}")
    if demo:
        from kiemchung.demo import DEMO_FACTCHECKS
        from kiemchung.services.archive import import_files

        report = import_files(app.factcheck_store, [DEMO_FACTCHECKS])
        click.echo(f"demo archive: {report.imported} fact-checks")


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

    app = _context(ctx)
    _require_database(app)
    for path in files:
        if not path.exists():
            raise KiemchungError(f"no such file: {path}")
    total = sum(path.stat().st_size for path in files)
    with tqdm(total=total, unit="B", unit_scale=True, desc="importing", file=sys.stderr, disable=None) as bar:
        report = import_files(app.factcheck_store, files, fmt, progress=bar.update)
    app.matching.on_imported([])
    for error in report.rejected:
        click.echo(f"rejected {error.describe()}", err=True)
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

    app = _context(ctx)
    _require_database(app)
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

    app = _context(ctx)
    _require_database(app)
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

    app = _context(ctx)
    _require_database(app)
    fc = app.archive.show(factcheck_id)
    data = factcheck_to_record(fc) if fmt == "jsonl" else factcheck_to_claimreview(fc)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@cli.command()
@click.option("--host", default=None, help="Listen address [env KIEMCHUNG_HOST, default 127.0.0.1].")
@click.option("--port", default=None, type=int, help="Port [env KIEMCHUNG_PORT, default 8000].")
@click.pass_context
def serve(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the web UI and the JSON API."""
    import uvicorn

    from kiemchung.web.app import create_app

    app = _context(ctx)
    _require_database(app)
    settings = app.settings.with_overrides(host=host, port=port)
    click.echo(f"kiemchung serving on http://{settings.host}:{settings.port}  (Ctrl-C stops)")
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port, log_level="warning")


def _progress_bar(description: str) -> tuple[tqdm, Callable[[int, int], None]]:
    bar = tqdm(desc=description, file=sys.stderr, disable=None, unit=" claims")

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return bar, update


def _read_posts(stream: IO[bytes]) -> Iterator[tuple[int, object, object]]:
    """(line number, id, text) for each non-empty line; text is a LineError for a line that cannot be read."""
    for number, raw in decoded_lines(stream):
        if isinstance(raw, LineError):
            yield number, None, raw
            continue
        line = raw.strip()
        if not line.startswith("{"):
            yield number, number, line
            continue
        try:
            obj = load_json_line(line)
        except LineError as exc:
            yield number, None, exc
            continue
        if not isinstance(obj, dict) or "text" not in obj:
            post_id = obj.get("id") if isinstance(obj, dict) else None
            yield number, post_id, LineError('expected {"id": ..., "text": ...}')
            continue
        yield number, obj.get("id", number), obj["text"]


@cli.command()
@click.argument("source", default="-", type=click.File("rb"))
@click.option("--top", "top_k", default=None, type=int, help="Matches per post [default KIEMCHUNG_MATCH_TOP_K=5].")
@click.option("--store", is_flag=True, help="Store matched suggestions so reviewers can accept or reject them.")
@click.option(
    "--dense",
    default="cascade",
    show_default=True,
    type=click.Choice(["cascade", "always", "never"]),
    help="When to spend the embedder: only where it can change the answer, always, or never.",
)
@click.option("--batch-size", default=64, show_default=True, type=int)
@click.pass_context
def match(ctx: click.Context, source: IO[bytes], top_k: int | None, store: bool, dense: str, batch_size: int) -> None:
    """Which posts repeat a fact-checked claim.

    Reads JSON Lines posts {"id": ..., "text": ...} (plain text lines too) from SOURCE or stdin and writes
    one JSON line per post: {"id", "matched", "matches": [{"factcheck_id", "score", "sentence"}]}, best
    first. A line that cannot be read gets {"error": ...} and exit status 1 at the end.
    """
    from kiemchung.matching.engine import MatchOptions

    app = _context(ctx)
    _require_database(app)
    bar, update = _progress_bar("index")
    with bar:
        index = app.matching.index(progress=update)
    missing = len(index.missing_vectors())
    if dense != "never" and app.matching.embedder and 0 < missing <= app.settings.embed_before_match:
        bar, update = _progress_bar("embedding archive")
        with bar:
            app.matching.embed_missing(progress=update)
    options = MatchOptions(dense=dense)
    failures = 0
    pending: list[tuple[int, object, object]] = []

    def flush() -> None:
        nonlocal failures
        good = [(post_id, text) for _, post_id, text in pending if not isinstance(text, LineError)]
        answers = iter(app.matching.match_posts(good, top_k, store=store, options=options))
        for number, post_id, text in pending:
            if isinstance(text, LineError):
                result = {"id": post_id, "line": number, "matched": False, "matches": [], "error": str(text)}
            else:
                result = next(answers).as_json()
            if "error" in result:
                failures += 1
                click.echo(f"line {number}: {result['error']}", err=True)
            click.echo(json.dumps(result, ensure_ascii=False))
        pending.clear()

    for item in _read_posts(source):
        pending.append(item)
        if len(pending) >= batch_size:
            flush()
    flush()
    if failures:
        ctx.exit(1)


@cli.group("index")
def index_group() -> None:
    """The claim-matching index in DATA_DIR/index."""


@index_group.command("status")
@click.pass_context
def index_status(ctx: click.Context) -> None:
    """Claims indexed, how many have dense vectors, thresholds."""
    app = _context(ctx)
    _require_database(app)
    click.echo(json.dumps(app.matching.status(), ensure_ascii=False, indent=2))


@index_group.command("rebuild")
@click.option("--embed", is_flag=True, help="Also embed every claim now (slow: tens of claims a second).")
@click.pass_context
def index_rebuild(ctx: click.Context, embed: bool) -> None:
    """Rebuild the index from the archive (it is rebuilt automatically when missing or stale)."""
    app = _context(ctx)
    _require_database(app)
    bar, update = _progress_bar("index")
    with bar:
        app.matching.rebuild(progress=update)
    if embed:
        bar, update = _progress_bar("embedding")
        with bar:
            app.matching.embed_missing(progress=update)
    click.echo(json.dumps(app.matching.status(), ensure_ascii=False))


@cli.group("matches")
def matches_group() -> None:
    """Reviewers' feedback on suggested matches, and recalibration from it."""


@matches_group.command("feedback")
@click.argument("match_id", type=int)
@click.argument("verdict", type=click.Choice(["accept", "reject"]))
@click.pass_context
def matches_feedback(ctx: click.Context, match_id: int, verdict: str) -> None:
    """Accept or reject a stored suggestion."""
    app = _context(ctx)
    _require_database(app)
    app.matching.feedback(match_id, verdict == "accept")
    click.echo(f"match {match_id}: {verdict}ed")


@matches_group.command("refit")
@click.pass_context
def matches_refit(ctx: click.Context) -> None:
    """Recalibrate the decision from every stored review (reproducible)."""
    app = _context(ctx)
    _require_database(app)
    result = app.matching.refit()
    click.echo(json.dumps({"reviewed": result.reviewed, "maps": result.maps}))


def main() -> None:
    cli(prog_name="kiemchung")
