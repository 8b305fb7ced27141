"""`kiemchung narratives`: list, show, merge, split, export and re-cluster the narratives of one organisation.

The command line acts as an administrator of the organisation named by --organisation (default: the first
one; before any organisation exists, the narratives of the whole install)."""

from __future__ import annotations

import json
from typing import IO

import click

from kiemchung.app_context import AppContext
from kiemchung.cli.base import app_of, cli, require_database
from kiemchung.domain.accounts import Actor
from kiemchung.errors import NotFoundError
from kiemchung.services.narratives import NarrativeDetail, export_jsonl

ORGANISATION = click.option("--organisation", default=None, help="Whose narratives (default: the first organisation).")


def _actor(app: AppContext, organisation: str | None) -> Actor:
    require_database(app)
    if organisation is not None:
        found = app.organisations.by_name(organisation)
        if found is None:
            raise NotFoundError(f"no organisation named {organisation!r}")
        return Actor("admin", found.id, name="command line")
    first = min(app.narratives.store.organisations(), default=0)
    return Actor("admin", first, name="command line")


def _show(detail: NarrativeDetail) -> None:
    click.echo(json.dumps(detail.as_json(), ensure_ascii=False, indent=2))


@cli.group("narratives")
def narratives_group() -> None:
    """Narratives: the same claim however worded, and closely related claims of one story."""


@narratives_group.command("list")
@ORGANISATION
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1))
@click.pass_context
def narratives_list(ctx: click.Context, organisation: str | None, limit: int) -> None:
    """One line per narrative, the largest first: id, posts, fact-checks, last seen, label."""
    app = app_of(ctx)
    for n in app.narratives.listing(_actor(app, organisation), limit):
        seen = n.last_seen.isoformat() if n.last_seen else "-"
        click.echo(f"{n.id}\t{n.posts}\t{n.factchecks}\t{seen}\t{n.label[:100]}")


@narratives_group.command("show")
@click.argument("narrative_id", type=int)
@ORGANISATION
@click.pass_context
def narratives_show(ctx: click.Context, narrative_id: int, organisation: str | None) -> None:
    """The narrative as JSON: its fingerprint, posts and members."""
    app = app_of(ctx)
    _show(app.narratives.detail(_actor(app, organisation), narrative_id))


@narratives_group.command("merge")
@click.argument("target", type=int)
@click.argument("source", type=int)
@ORGANISATION
@click.pass_context
def narratives_merge(ctx: click.Context, target: int, source: int, organisation: str | None) -> None:
    """Move every member of SOURCE into TARGET (SOURCE is gone)."""
    app = app_of(ctx)
    _show(app.narratives.merge(_actor(app, organisation), target, source))


@narratives_group.command("split")
@click.argument("narrative_id", type=int)
@click.option("--posts", "post_ids", required=True, help="Post ids to split off, comma-separated.")
@click.option("--label", default=None, help="Label of the new narrative (default: its first post's claim).")
@ORGANISATION
@click.pass_context
def narratives_split(
    ctx: click.Context, narrative_id: int, post_ids: str, label: str | None, organisation: str | None
) -> None:
    """Move these posts out of NARRATIVE_ID into a new narrative (printed)."""
    app = app_of(ctx)
    _show(app.narratives.split(_actor(app, organisation), narrative_id, post_ids.split(","), label))


@narratives_group.command("export")
@click.option("--format", "fmt", default="jsonl", show_default=True, type=click.Choice(["jsonl"]))
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-", help="File [default stdout].")
@ORGANISATION
@click.pass_context
def narratives_export(ctx: click.Context, fmt: str, output: IO[str], organisation: str | None) -> None:
    """One JSON line per narrative: id, label, post_ids, factcheck_ids, first_seen, last_seen, bursts."""
    app = app_of(ctx)
    actor = _actor(app, organisation)
    app.narratives.catch_up(actor.organisation_id or None)
    for line in export_jsonl(app.narratives.export(actor.organisation_id or None)):
        output.write(line)


@narratives_group.command("recluster")
@ORGANISATION
@click.pass_context
def narratives_recluster(ctx: click.Context, organisation: str | None) -> None:
    """Group every member again (nightly or on demand); narratives an editor touched keep their number."""
    app = app_of(ctx)
    actor = _actor(app, organisation)
    figures = app.narratives.recluster(actor.organisation_id or None, actor)
    click.echo(" ".join(f"{name} {value}" for name, value in figures.items()))
