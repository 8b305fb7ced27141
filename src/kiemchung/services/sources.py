"""Source management for the CLI, the web UI, the API and the sources file — one set of rules.

Source names are unique within an organisation, not across the installation (store/sources.py). The web UI
and the API name sources within the asker's organisation; the sources file and `posts import` within the
installation's own (the first organisation's, where sources of no organisation belong); the command line,
the installation operator's, names any organisation's source, and asks for `--organisation` when a name is
not unique (`for_operator`)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kiemchung.domain.accounts import Actor
from kiemchung.domain.sources import DEFAULT_INTERVAL_S, KINDS, MIN_INTERVAL_S, Source
from kiemchung.errors import ConflictError, InputError, NotFoundError
from kiemchung.store.audit import AuditStore
from kiemchung.store.organisations import OrganisationStore
from kiemchung.store.sources import SourceStore

CONFIG_KEYS = {"follow_links", "max_pages"}
PUSH_PREFIX = "push:"  # an organisation's pushed posts arrive in its source "push:<organisation name>"


@dataclass(frozen=True)
class SyncReport:
    added: list[str]
    updated: list[str]
    unchanged: list[str]


def _check(kind: str, name: str, url: str | None, interval_s: int | None) -> tuple[str | None, int]:
    if kind not in KINDS:
        raise InputError(f"unknown source kind {kind!r}; one of: {', '.join(KINDS)}")
    if not name or len(name) > 200:
        raise InputError("a source needs a name of 1 to 200 characters")
    if name.startswith(PUSH_PREFIX) and kind != "push":
        raise InputError(f"source names starting with {PUSH_PREFIX!r} are kept for the posts partners push")
    if kind in {"feed", "sitemap", "page"}:
        parts = urlsplit(url or "")
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise InputError(f"a {kind} source needs an http(s) URL, not {url!r}")
    if kind == "folder":
        if not url:
            raise InputError("a folder source needs the folder's path")
        url = str(Path(url).expanduser().resolve())
    interval = DEFAULT_INTERVAL_S[kind] if interval_s is None else interval_s
    if kind in {"feed", "sitemap", "page", "folder"} and interval < MIN_INTERVAL_S:
        raise InputError(f"interval must be at least {MIN_INTERVAL_S} seconds")
    return url, interval


def _config(values: dict[str, Any]) -> dict[str, Any]:
    unknown = set(values) - CONFIG_KEYS
    if unknown:
        raise InputError(f"unknown source option(s): {', '.join(sorted(unknown))}")
    if "max_pages" in values and (not isinstance(values["max_pages"], int) or values["max_pages"] < 1):
        raise InputError("max_pages must be a positive whole number")
    if "follow_links" in values and not isinstance(values["follow_links"], bool):
        raise InputError("follow_links must be true or false")
    return values


def _folder_inside(root: str, path: str) -> str:
    """The existing folder `path` (relative paths are read from `root`), symlinks resolved, if it lies inside
    `root`; InputError otherwise, the same whether or not something exists outside the root."""
    if not root:
        raise InputError("folder sources are added from the command line or the sources file "
                         "(KIEMCHUNG_FOLDER_SOURCES_ROOT is not set)")  # fmt: skip
    try:
        base = Path(root).resolve()
        folder = (base / path).resolve()
    except (OSError, ValueError, RuntimeError):
        raise InputError(f"cannot read the folder path {path!r}") from None
    if not folder.is_relative_to(base):
        raise InputError("a folder source must lie inside the folder sources root (KIEMCHUNG_FOLDER_SOURCES_ROOT)")
    if not folder.is_dir():
        raise InputError(f"no folder {path!r} inside the folder sources root: create it on the server first")
    return str(folder)


class SourceService:
    def __init__(self, store: SourceStore, folder_root: str = "") -> None:
        self.store = store
        self.folder_root = folder_root  # KIEMCHUNG_FOLDER_SOURCES_ROOT

    def add(
        self,
        kind: str,
        name: str,
        url: str | None = None,
        interval_s: int | None = None,
        config: dict[str, Any] | None = None,
        organisation_id: int | None = None,
        evidence: bool = False,
    ) -> Source:
        """`evidence`: what the source collects also joins its organisation's evidence library."""
        url, interval = _check(kind, name.strip(), url, interval_s)
        if kind == "folder" and url:
            Path(url).mkdir(parents=True, exist_ok=True)
        return self.store.add(kind, name.strip(), url, interval, _config(dict(config or {})), organisation_id,
                              evidence)  # fmt: skip

    def add_requested(
        self,
        kind: str,
        name: str,
        url: str | None = None,
        interval_s: int | None = None,
        config: dict[str, Any] | None = None,
        organisation_id: int | None = None,
        evidence: bool = False,
    ) -> Source:
        """A source asked for over the web UI or the API: a folder only if it already exists inside
        KIEMCHUNG_FOLDER_SOURCES_ROOT. Nothing is created on the server's disk."""
        if kind == "folder":
            url = _folder_inside(self.folder_root, url or "")
        url, interval = _check(kind, name.strip(), url, interval_s)
        return self.store.add(kind, name.strip(), url, interval, _config(dict(config or {})), organisation_id,
                              evidence)  # fmt: skip

    def ensure(self, kind: str, name: str, organisation_id: int | None = None) -> Source:
        """The receiving source (push, import) of this name among the organisation's own (None: the first
        organisation's), created when first needed. Another organisation's source of that name is never looked
        at (its owner would read what arrives); one of this name but another kind is refused."""
        source = self.store.by_name(name, organisation_id)
        if source is None:
            return self.store.add(kind, name, None, 0, {}, organisation_id)
        if source.kind != kind:
            raise ConflictError(f"the source name {name!r} is taken by another source: rename or remove it")
        return source

    def _find(self, reference: str | int, organisation_id: int) -> Source:
        """A source by id (an int: the web pages' forms) or by the organisation's name for it, else by id (text:
        the API)."""
        return self.store.get(reference) if isinstance(reference, int) else self.store.find(reference, organisation_id)

    def for_operator(self, reference: str, organisations: OrganisationStore, organisation: str | None) -> Source:
        """The source the command line names (the installation operator's: any organisation's), by name or id;
        `organisation` (a name) picks among sources of the same name. A name several organisations use is refused
        without it, naming them (the operator sees every organisation)."""
        if organisation is not None:
            found = organisations.by_name(organisation)
            if found is None:
                raise NotFoundError(f"no organisation named {organisation!r}")
            source = self.store.find(reference, found.id)
            if self.store.owner(source.id) != found.id:  # an id of another organisation's source
                raise NotFoundError(f"no source {reference!r} in {organisation!r}")
            return source
        named = self.store.named(reference)
        if len(named) > 1:
            owners = sorted(organisations.get(owner).name for s in named if (owner := self.store.owner(s.id)))
            raise InputError(f"{len(named)} sources are named {reference!r} (organisations: {', '.join(owners)}): "
                             "say which with --organisation")  # fmt: skip
        if named:
            return named[0]
        return self.store.find(reference)  # an id, or "no source named …"

    def set_enabled(self, source_id: int, enabled: bool) -> Source:
        return self.store.update(source_id, enabled=enabled)

    def set_evidence(self, source_id: int, evidence: bool) -> Source:
        """Mark a source as an evidence source (what it collects from now on joins the evidence library), or not."""
        return self.store.update(source_id, evidence=evidence)

    def remove(self, source_id: int, actor: Actor | None = None) -> Source:
        """Stop watching a source. The posts it collected stay (their source becomes empty); items it delivered
        that were not processed yet are dropped. Audited in the same transaction (`actor` None: the command line)."""
        source = self.store.get(source_id)
        with self.store.database.write() as connection:
            kept, dropped = SourceStore.remove(connection, source.id)
            AuditStore.record(connection, actor, "source.remove", "source", source.id, name=source.name,
                              kind=source.kind, url=source.url, posts_kept=kept,
                              unprocessed_dropped=dropped)  # fmt: skip
        return source

    def all(self) -> list[Source]:
        return self.store.all()

    def of_organisation(self, organisation_id: int) -> list[Source]:
        """What an organisation's people see: its own sources only."""
        return self.store.of_organisation(organisation_id)

    def owned(self, organisation_id: int, reference: str | int) -> Source:
        """The source if `organisation_id` owns it; another organisation's is "not found" (not revealed)."""
        source = self._find(reference, organisation_id)
        if self.store.owner(source.id) != organisation_id:
            missing = f"with id {reference}" if isinstance(reference, int) else f"named {reference!r}"
            raise NotFoundError(f"no source {missing}")  # the words of a source that does not exist
        return source

    def sync(self, path: Path) -> SyncReport:
        """Apply a TOML sources file: [[source]] tables with name, kind, url, interval and options. Its sources
        belong to no organisation (the first organisation's): a name is looked up there, never in another's."""
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {path}: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{path}: {exc}") from None
        entries = data.get("source", [])
        if not isinstance(entries, list):
            raise InputError(f"{path}: expected [[source]] tables")
        checked = []
        for number, entry in enumerate(entries, start=1):
            entry = dict(entry)
            try:
                name = str(entry.pop("name"))
                kind = str(entry.pop("kind"))
            except KeyError as exc:
                raise InputError(f"{path}: source {number} has no {exc.args[0]}") from None
            url = entry.pop("url", None)
            interval = entry.pop("interval", None)
            enabled = entry.pop("enabled", True)
            evidence = entry.pop("evidence", False)
            if not isinstance(evidence, bool):
                raise InputError(f"{path}: source {number}: evidence must be true or false")
            url, interval = _check(kind, name, url, interval)
            checked.append((name, kind, url, interval, bool(enabled), evidence, _config(entry)))
        report = SyncReport([], [], [])
        for name, kind, url, interval, enabled, evidence, config in checked:  # all valid: now apply
            existing = self.store.by_name(name, None)
            if existing is None:
                source = self.add(kind, name, url, interval, config, evidence=evidence)
                if not enabled:
                    self.store.update(source.id, enabled=False)
                report.added.append(name)
            elif (existing.kind, existing.url, existing.interval_s, existing.enabled, existing.evidence,
                  existing.config) != (kind, url, interval, enabled, evidence, config):  # fmt: skip
                self.store.update(existing.id, kind=kind, url=url, interval_s=interval, enabled=enabled,
                                  evidence=evidence, config=config)  # fmt: skip
                report.updated.append(name)
            else:
                report.unchanged.append(name)
        return report
