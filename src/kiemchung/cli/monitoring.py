"""Commands for sources, the monitoring pipeline, posts, alerts and API tokens."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import IO

import click
from tqdm import tqdm

from kiemchung.app_context import AppContext
from kiemchung.cli.base import app_of, cli, prepare_database, require_database
from kiemchung.domain.sources import KINDS, Source
from kiemchung.errors import InputError, NotFoundError
from kiemchung.services.monitor import MonitorStatus
from kiemchung.services.workers import single_runner

IMPORT_SOURCE = "import"
ORGANISATION = click.option(
    "--organisation", "-O", default=None,
    help="The organisation whose source it is [default: the one source of that name; sources added here: none, "
         "i.e. the installation's first organisation's].",
)  # fmt: skip


@cli.group("sources")
def sources_group() -> None:
    """Feeds, sitemaps, pages and folders the monitor watches; their health. Names are unique within an
    organisation: where two organisations use one name, say whose with --organisation."""


def _organisation_id(app: AppContext, organisation: str | None) -> int | None:
    if organisation is None:
        return None
    found = app.organisations.by_name(organisation)
    if found is None:
        raise NotFoundError(f"no organisation named {organisation!r}")
    return found.id


def _source(app: AppContext, name: str, organisation: str | None) -> Source:
    return app.sources.for_operator(name, app.organisations, organisation)


@sources_group.command("add")
@click.argument("kind", type=click.Choice([k for k in KINDS if k not in {"push", "import"}]))
@click.argument("name")
@click.argument("url")
@click.option("--interval", type=int, default=None, help="Seconds between fetches [default depends on the kind].")
@click.option("--no-follow-links", is_flag=True, help="Feeds: keep entries' summaries, do not fetch their pages.")
@click.option("--max-pages", type=int, default=None, help="Sitemaps: new pages fetched per run [default 50].")
@click.option("--evidence", is_flag=True, help="What it collects also joins the organisation's evidence library.")
@ORGANISATION
@click.pass_context
def sources_add(
    ctx: click.Context,
    kind: str,
    name: str,
    url: str,
    interval: int | None,
    no_follow_links: bool,
    max_pages: int | None,
    evidence: bool,
    organisation: str | None,
) -> None:
    """Watch a new source. URL is the feed/sitemap/page address, or the folder's path."""
    app = app_of(ctx)
    require_database(app)
    config: dict[str, object] = {}
    if no_follow_links:
        config["follow_links"] = False
    if max_pages is not None:
        config["max_pages"] = max_pages
    source = app.sources.add(kind, name, url, interval, config, _organisation_id(app, organisation), evidence)
    click.echo(f"added source {source.id}: {source.name} [{source.kind}] every {source.interval_s} s")


@sources_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.option("--organisation", "-O", default=None, help="Only this organisation's sources.")
@click.pass_context
def sources_list(ctx: click.Context, as_json: bool, organisation: str | None) -> None:
    """Every source with its health line: last success, last error and why, items."""
    app = app_of(ctx)
    require_database(app)
    organisation_id = _organisation_id(app, organisation)
    listed = app.sources.all() if organisation_id is None else app.sources.of_organisation(organisation_id)
    for source in listed:
        if as_json:
            click.echo(json.dumps({
                "id": source.id, "name": source.name, "kind": source.kind, "url": source.url,
                "enabled": source.enabled, "interval_s": source.interval_s, "items": source.items_total,
                "last_success": source.last_success_at.isoformat() if source.last_success_at else None,
                "last_error": source.last_error, "failures": source.failures, "evidence": source.evidence,
            }, ensure_ascii=False))  # fmt: skip
        else:
            click.echo(source.health_line())


@sources_group.command("remove")
@click.argument("name")
@ORGANISATION
@click.pass_context
def sources_remove(ctx: click.Context, name: str, organisation: str | None) -> None:
    """Stop watching a source (its posts stay)."""
    app = app_of(ctx)
    require_database(app)
    source = app.sources.remove(_source(app, name, organisation).id)
    click.echo(f"removed source {source.name}")


@sources_group.command("enable")
@click.argument("name")
@ORGANISATION
@click.pass_context
def sources_enable(ctx: click.Context, name: str, organisation: str | None) -> None:
    """Resume watching a source."""
    app = app_of(ctx)
    require_database(app)
    click.echo(app.sources.set_enabled(_source(app, name, organisation).id, True).health_line())


@sources_group.command("disable")
@click.argument("name")
@ORGANISATION
@click.pass_context
def sources_disable(ctx: click.Context, name: str, organisation: str | None) -> None:
    """Pause a source without forgetting it."""
    app = app_of(ctx)
    require_database(app)
    click.echo(app.sources.set_enabled(_source(app, name, organisation).id, False).health_line())


@sources_group.command("sync")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False), required=False)
@click.pass_context
def sources_sync(ctx: click.Context, file: Path | None) -> None:
    """Apply a TOML sources file [default KIEMCHUNG_SOURCES_FILE]: adds and updates, never removes."""
    app = app_of(ctx)
    require_database(app)
    path = file or (Path(app.settings.sources_file) if app.settings.sources_file else None)
    if path is None:
        raise InputError("give a sources file or set KIEMCHUNG_SOURCES_FILE")
    report = app.sources.sync(path)
    click.echo(f"sources: {len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged")


@sources_group.command("rejected")
@click.argument("name", required=False)
@click.option("--limit", default=50, show_default=True)
@ORGANISATION
@click.pass_context
def sources_rejected(ctx: click.Context, name: str | None, limit: int, organisation: str | None) -> None:
    """Items a source delivered that could not be used, or that failed every attempt (dead), with the reason."""
    app = app_of(ctx)
    require_database(app)
    source_id = _source(app, name, organisation).id if name else None
    for key, reason in app.inbox.rejected(source_id, limit):
        click.echo(f"{key}\t{reason}")


@sources_group.command("retry-dead")
@click.argument("name", required=False)
@ORGANISATION
@click.pass_context
def sources_retry_dead(ctx: click.Context, name: str | None, organisation: str | None) -> None:
    """Put the items that failed every attempt (dead) back in the inbox, of one source or all: run it once
    what made them fail is fixed; the next `kiemchung run` processes them."""
    app = app_of(ctx)
    require_database(app)
    source_id = _source(app, name, organisation).id if name else None
    click.echo(f"{app.inbox.retry_dead(source_id)} dead items back in the inbox")


@cli.command("run")
@click.option("--once", is_flag=True, help="Collect every source now, process everything, send alerts, exit.")
@click.option("--status-every", default=2.0, show_default=True, help="Seconds between status lines.")
@click.pass_context
def run_command(ctx: click.Context, once: bool, status_every: float) -> None:
    """Run the monitoring pipeline: fetch → extract → de-duplicate → check-worthiness → match → alert."""
    app = app_of(ctx)
    require_database(app)
    ctx.with_resource(single_runner(app.database))  # SQLite: one worker; PostgreSQL: any number
    if app.settings.sources_file:
        app.sources.sync(Path(app.settings.sources_file))
    monitor = app.monitor
    live = sys.stderr.isatty()

    def show(status: MonitorStatus) -> None:
        line = status.line(monitor.backlog())
        click.echo(("\r" + line + "\x1b[K") if live else line, err=True, nl=not live)

    if once:
        status = monitor.run_once(show)
        for report in status.last_collect:
            click.echo(report.line())
        click.echo(status.line(monitor.backlog()))
        return
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    click.echo("monitoring (Ctrl-C stops)", err=True)
    threads = monitor.run(stop)
    while not stop.wait(status_every):
        show(monitor.status)
    for thread in threads:
        thread.join(timeout=30)
    click.echo("", err=True)
    click.echo(monitor.status.line(monitor.backlog()))


@cli.group("posts")
def posts_group() -> None:
    """Import and export posts (with their copy links)."""


@posts_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.pass_context
def posts_import(ctx: click.Context, file: Path) -> None:
    """Import JSON Lines or CSV posts {"id", "text", "url"?, "title"?, "published"?} through the pipeline.

    The same path as a dropped file: every good line is stored once (re-importing skips ids already
    stored), bad lines are reported with their number and reason, and the exit status is 1 if any was bad.
    """
    app = app_of(ctx)
    prepare_database(app)
    source = app.sources.ensure("import", IMPORT_SOURCE)
    with tqdm(total=file.stat().st_size, unit="B", unit_scale=True, desc="reading", file=sys.stderr,
              disable=None) as bar:  # fmt: skip
        report = app.collector.import_path(source, file, progress=lambda at: bar.update(at - bar.n))
    for reason in report.rejected:
        click.echo(f"rejected {reason}", err=True)
    with tqdm(total=app.monitor.backlog(), unit=" posts", desc="processing", file=sys.stderr, disable=None) as bar:
        app.monitor.drain(lambda status: bar.update(status.processed.taken - bar.n))
    processed = app.monitor.status.processed
    click.echo(
        f"read {report.new} new posts ({report.seen} seen before, {len(report.rejected)} rejected); "
        f"stored {processed.stored}, duplicates {processed.duplicates}, copies {processed.copies}, "
        f"matched {processed.matched}, alerts {processed.alerts}"
    )
    if report.rejected:
        ctx.exit(1)


@posts_group.command("export")
@click.option("--format", "fmt", default="jsonl", show_default=True, type=click.Choice(["jsonl"]))
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File [default stdout].")
@click.pass_context
def posts_export(ctx: click.Context, fmt: str, output: IO[str]) -> None:
    """Write every stored post with "copy_of" (the earlier post it copies, or null) and "copy_similarity"."""
    app = app_of(ctx)
    require_database(app)
    for post in app.post_store.iter_all():
        output.write(json.dumps(post.as_json(), ensure_ascii=False) + "\n")


@cli.group("alerts")
def alerts_group() -> None:
    """Alerts raised by the pipeline."""


@alerts_group.command("list")
@click.option("--limit", default=20, show_default=True)
@click.pass_context
def alerts_list(ctx: click.Context, limit: int) -> None:
    """The latest alerts, as JSON Lines."""
    app = app_of(ctx)
    require_database(app)
    for alert in app.alert_store.recent(limit):
        click.echo(json.dumps(alert.as_json(app.settings.base_url), ensure_ascii=False))


@alerts_group.command("send")
@click.pass_context
def alerts_send(ctx: click.Context) -> None:
    """Send every undelivered alert now (webhook, e-mail), ignoring the digest interval."""
    app = app_of(ctx)
    require_database(app)
    if not app.dispatcher.channels:
        raise InputError("no alert channel is configured (KIEMCHUNG_WEBHOOK_URL, KIEMCHUNG_SMTP_HOST)")
    sent = app.dispatcher.deliver_due(force=True)
    for channel in app.dispatcher.channels:
        error = app.dispatcher.errors.get(channel.name)
        click.echo(f"{channel.name}: " + (f"ERROR {error}" if error else f"{sent.get(channel.name, 0)} sent"))
    if app.dispatcher.errors:
        ctx.exit(1)


@cli.group("tokens")
def tokens_group() -> None:
    """API tokens for machines (partners pushing posts, scripts)."""


@tokens_group.command("create")
@click.argument("name")
@click.option("--organisation", "-O", required=True, help="Organisation the token acts for (created if new).")
@click.option("--role", default="partner", show_default=True,
              type=click.Choice(["partner", "viewer", "factchecker", "editor", "admin"]))  # fmt: skip
@click.pass_context
def tokens_create(ctx: click.Context, name: str, organisation: str, role: str) -> None:
    """Create a token; its secret is printed once and never stored."""
    app = app_of(ctx)
    require_database(app)
    org = app.organisations.ensure(organisation)
    token, secret = app.tokens.create(org.id, name, role)
    click.echo(f"token {token.id} ({name}, {role}, {org.name}): {secret}")


@tokens_group.command("list")
@click.pass_context
def tokens_list(ctx: click.Context) -> None:
    """Tokens (never their secrets)."""
    app = app_of(ctx)
    require_database(app)
    for token in app.tokens.all():
        state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
        click.echo(f"{token.id}\t{token.name}\t{token.role}\torganisation {token.organisation_id}\t{state}")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@click.pass_context
def tokens_revoke(ctx: click.Context, token_id: int) -> None:
    """Revoke a token at once."""
    app = app_of(ctx)
    require_database(app)
    app.tokens.revoke(token_id)
    click.echo(f"token {token_id} revoked")


@cli.group("users")
def users_group() -> None:
    """People: create the first admin (the web UI invites the others), list users."""


@users_group.command("create")
@click.argument("email")
@click.option("--organisation", "-O", required=True, help="Organisation (created if new).")
@click.option("--name", default="", help="Display name [default: the e-mail].")
@click.option(
    "--role", default="admin", show_default=True, type=click.Choice(["admin", "editor", "factchecker", "viewer"])
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
@click.pass_context
def users_create(ctx: click.Context, email: str, organisation: str, name: str, role: str, password_stdin: bool) -> None:
    """Create a user with a password (at least 10 characters)."""
    app = app_of(ctx)
    require_database(app)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    user = app.accounts.create_user(organisation, email, name or email, role, password)
    click.echo(f"user {user.id}: {user.email} ({user.role}, {user.organisation})")


@users_group.command("list")
@click.pass_context
def users_list(ctx: click.Context) -> None:
    """Every user (no passwords, no sessions)."""
    app = app_of(ctx)
    require_database(app)
    for user in app.account_store.users():
        state = "active" if user.active else "deactivated"
        click.echo(f"{user.id}\t{user.email}\t{user.role}\t{user.organisation}\t{state}")
