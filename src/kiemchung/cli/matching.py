"""Commands for matching posts, the match index and reviewers' feedback."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import IO

import click
from tqdm import tqdm

from kiemchung.cli.base import app_of, cli, require_database
from kiemchung.ingest.lines import LineError, decoded_lines, load_json_line


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
@click.option(
    "--embed-all",
    is_flag=True,
    help="Embed every archive claim that lacks a vector before matching, however many (progress and ETA shown).",
)
@click.option("--batch-size", default=64, show_default=True, type=int)
@click.pass_context
def match(
    ctx: click.Context,
    source: IO[bytes],
    top_k: int | None,
    store: bool,
    dense: str,
    embed_all: bool,
    batch_size: int,
) -> None:
    """Which posts repeat a fact-checked claim.

    Reads JSON Lines posts {"id": ..., "text": ...} (plain text lines too) from SOURCE or stdin and writes
    one JSON line per post: {"id", "matched", "matches": [{"factcheck_id", "score", "sentence", "stance"}]},
    best first; "stance" is repeats, asks or refutes (a refuting post is not "matched"). A line that
    cannot be read gets {"error": ...} and exit status 1 at the end.

    Archive claims without a dense vector are embedded first (up to KIEMCHUNG_EMBED_BEFORE_MATCH, or all
    with --embed-all), with a progress bar and an ETA; where some remain, the command says how many claims
    were searched without them (by static token vectors and words only).
    """
    from kiemchung.matching.engine import MatchOptions

    app = app_of(ctx)
    require_database(app)
    bar, update = _progress_bar("index")
    with bar:
        index = app.matching.index(progress=update)
    missing = len(index.missing_vectors())
    if dense != "never" and app.matching.embedder and missing:
        if embed_all or missing <= app.settings.embed_before_match:
            bar, update = _progress_bar("embedding archive")
            with bar:
                app.matching.embed_missing(progress=update)
        lexical_only = len(index.missing_vectors())
        if lexical_only:
            by_static = "by static token vectors and by words" if index.static is not None else "lexically only"
            click.echo(
                f"{lexical_only} of {len(index)} archive claims have no dense vector yet and are searched {by_static} "
                "(a translation or a free rewording of them can be missed). Embed them with --embed-all or "
                "`kiemchung index rebuild --embed`, or let `kiemchung serve` embed them in the background.",
                err=True,
            )
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
    app = app_of(ctx)
    require_database(app)
    click.echo(json.dumps(app.matching.status(), ensure_ascii=False, indent=2))


@index_group.command("rebuild")
@click.option("--embed", is_flag=True, help="Also embed every claim now (slow: tens of claims a second).")
@click.pass_context
def index_rebuild(ctx: click.Context, embed: bool) -> None:
    """Rebuild the index from the archive (it is rebuilt automatically when missing or stale)."""
    app = app_of(ctx)
    require_database(app)
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
    app = app_of(ctx)
    require_database(app)
    app.matching.feedback(match_id, verdict == "accept")
    click.echo(f"match {match_id}: {verdict}ed")


@matches_group.command("refit")
@click.pass_context
def matches_refit(ctx: click.Context) -> None:
    """Recalibrate the decision from every stored review (reproducible)."""
    app = app_of(ctx)
    require_database(app)
    result = app.matching.refit()
    click.echo(json.dumps({"reviewed": result.reviewed, "maps": result.maps}))
