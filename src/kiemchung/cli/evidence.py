"""`kiemchung evidence`: import documents into an organisation's evidence library, and suggest the evidence and
verdict for claims (the contract in README, "Evidence assistant").

The command line acts as an administrator of the organisation named by --organisation (default: the first
one). `import` on an installation with no organisation yet creates one, DEFAULT_ORGANISATION, as it creates
a fresh database: the library always has an owner.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import click
from tqdm import tqdm

from kiemchung.app_context import AppContext
from kiemchung.cli.base import app_of, cli, prepare_database, require_database
from kiemchung.domain.accounts import Actor
from kiemchung.errors import InputError, KiemchungError, NotFoundError
from kiemchung.evidence.assistant import NOTHING_FOUND
from kiemchung.services.evidence_library import MAX_QUERY, ImportSummary, Unreadable, json_lines

DEFAULT_ORGANISATION = "kiemchung"
ORGANISATION = click.option(
    "--organisation", "-O", default=None,
    help="Whose evidence library [default: the installation's first organisation].",
)  # fmt: skip
PROGRESS_FROM = 20  # claims: a progress bar on stderr from this many on


def _actor(app: AppContext, organisation: str | None, create: bool = False) -> Actor | None:
    """The command line as an administrator of the organisation (None: there is none yet)."""
    if organisation is not None:
        found = app.organisations.by_name(organisation)
        if found is None:
            raise NotFoundError(f"no organisation named {organisation!r}")
        return Actor("admin", found.id, name="command line")
    everyone = sorted(app.organisations.all(), key=lambda o: o.id)
    if not everyone and not create:
        return None
    first = everyone[0] if everyone else app.organisations.ensure(DEFAULT_ORGANISATION)
    return Actor("admin", first.id, name="command line")


@cli.group("evidence")
def evidence_group() -> None:
    """The evidence library: trusted documents, and the sentences in them that settle a claim."""


@evidence_group.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@ORGANISATION
@click.pass_context
def evidence_import(ctx: click.Context, file: Path, organisation: str | None) -> None:
    """Import JSON Lines documents {"id", "text", "url"?, "title"?, "publisher"?, "published"?}, or a PDF (a
    path ending in .pdf; its id is the file's name).

    Importing an id again updates it. Bad lines are reported with their number and reason on stderr; the
    good ones are imported; the exit status is 1 when any line was bad."""
    if not file.exists():
        raise KiemchungError(f"no such file: {file}")
    app = app_of(ctx)
    prepare_database(app)
    actor = _actor(app, organisation, create=True)
    assert actor is not None
    if file.suffix.lower() == ".pdf":
        summary = app.evidence_library.import_pdf(actor, file.name, file.read_bytes())
    else:
        summary = _import_lines(app, actor, file)
    _report(summary)
    if not summary.ok:
        ctx.exit(1)


def _import_lines(app: AppContext, actor: Actor, file: Path) -> ImportSummary:
    with (
        file.open(encoding="utf-8", errors="replace") as handle,
        tqdm(total=file.stat().st_size, unit="B", unit_scale=True, desc="importing", file=sys.stderr,
             disable=None) as bar,
    ):  # fmt: skip

        def lines() -> Iterator[str]:
            for line in handle:
                bar.update(len(line.encode("utf-8")))
                yield line

        return app.evidence_library.import_documents(actor, json_lines(lines()))


def _report(summary: ImportSummary) -> None:
    for problem in summary.errors:
        click.echo(f"rejected {problem.describe()}", err=True)
    for document_id in summary.scanned:
        click.echo(f"note {document_id}: a scanned PDF (no text layer): stored, not searchable", err=True)
    click.echo(summary.line())


@evidence_group.command("suggest")
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--top", default=5, show_default=True, type=click.IntRange(1, 50), help="Evidence sentences per claim.")
@ORGANISATION
@click.pass_context
def evidence_suggest(ctx: click.Context, file: IO[str], top: int, organisation: str | None) -> None:
    """Read JSON Lines claims {"id", "text"} (FILE or - for stdin) and write one line per claim: {"id",
    "verdict", "confidence", "evidence": [{"document_id", "sentence", "score", "stance", …}]}, best first.

    The whole input is read first: a bad line stops the command, before any claim is answered, with an
    error naming the line."""
    app = app_of(ctx)
    require_database(app)
    actor = _actor(app, organisation)
    claims = list(_claims(file))
    if actor is None or app.evidence_library.is_empty(actor):
        click.echo("kiemchung: note: the evidence library is empty: every claim is not_enough_info", err=True)
    with tqdm(total=len(claims), unit=" claims", desc="suggesting", file=sys.stderr,
              disable=None if len(claims) >= PROGRESS_FROM else True) as bar:  # fmt: skip
        for claim_id, text in claims:
            suggestion = app.evidence_library.suggest(actor, text, top) if actor else None
            line = (suggestion or NOTHING_FOUND).to_json(claim_id)
            sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
            bar.update(1)
    sys.stdout.flush()


def _claims(file: IO[str]) -> list[tuple[object, str]]:
    """Every claim of the input, checked before any is answered: a bad line is named, nothing half-done."""
    claims = []
    for number, record in json_lines(file):
        where = f"line {number}"
        if isinstance(record, Unreadable):
            raise InputError(f"{where}: {record.message}")
        if not isinstance(record, dict):
            raise InputError(f'{where}: a claim must be a JSON object {{"id", "text"}}')
        unknown = sorted(set(record) - {"id", "text"})
        if unknown:
            raise InputError(f"{where}: unknown field(s) {', '.join(unknown)}; a claim has id and text")
        if record.get("id") is None or not isinstance(record.get("text"), str) or not record["text"].strip():
            raise InputError(f'{where}: a claim needs "id" and a non-empty "text"')
        if len(record["text"]) > MAX_QUERY:
            raise InputError(f"{where}: a claim has at most {MAX_QUERY:,} characters")
        claims.append((record["id"], record["text"]))
    return claims
