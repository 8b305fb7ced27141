"""The fetch stage: collect a source's new items into the inbox, and record the source's health.

Every item goes to the inbox before anything else happens to it, in chunks, each chunk in a transaction:
a crash loses at most the chunk being fetched, which is fetched again at the next run (keys seen before
are ignored, so nothing is doubled). A failure is recorded on the source with its reason and the source
backs off; it never stops the other sources. Sources are fetched side by side by a few workers (the
fetcher still sends one request at a time to a host, with its pause), so a slow source holds up one worker
for at most its deadline, never the others.

Several `kiemchung run` workers on one database fetch each host by one worker at a time: the scheduled fetch
(`collect_due`) takes the host's lease in the database first (store/leases.py), reads its sources again and
fetches only those still due; giving the lease back keeps it closed for the host's politeness pause, so the
pause holds across workers too.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Connection

from kiemchung.domain.sources import Source
from kiemchung.errors import NotFoundError
from kiemchung.ingest.feeds import parse_feed
from kiemchung.ingest.files import dropped_files, read_records
from kiemchung.ingest.html import Article, extract_article
from kiemchung.ingest.http import Fetcher, FetchError, FetchPolicy
from kiemchung.ingest.items import Item, canonical_url
from kiemchung.ingest.lines import LineError
from kiemchung.ingest.sitemaps import SitemapEntry, parse_sitemap
from kiemchung.services.workers import worker_name
from kiemchung.settings import Settings
from kiemchung.store.audit import AuditStore
from kiemchung.store.database import Database
from kiemchung.store.evidence_library import save_collected
from kiemchung.store.inbox import InboxStore
from kiemchung.store.leases import LeaseStore
from kiemchung.store.sources import SourceStore

CHUNK = 20  # items per transaction while pages are being fetched
FILE_CHUNK = 500
MAX_SITEMAPS = 20
DEFAULT_MAX_PAGES = 50
DEFAULT_WORKERS = 4
HOST_LEASE_S = 300  # a worker that stopped while fetching a host leaves it to the others after this
SCHEDULED = ("feed", "sitemap", "page", "folder")
Progress = Callable[[int], None]


@dataclass
class CollectReport:
    source: str
    new: int = 0
    seen: int = 0
    rejected: list[str] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        if self.error:
            return f"{self.source}: ERROR {self.error}"
        extra = f", {len(self.rejected)} rejected" if self.rejected else ""
        return f"{self.source}: {self.new} new, {self.seen} seen before{extra}"


def fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        timeout_s=settings.fetch_timeout,
        max_bytes=settings.fetch_max_bytes,
        host_interval_s=settings.host_interval,
        retries=settings.fetch_retries,
        obey_robots=settings.obey_robots,
        allow_networks=settings.allowed_networks,
    )


class Collector:
    def __init__(
        self, database: Database, sources: SourceStore, inbox: InboxStore, fetcher: Fetcher,
        workers: int = DEFAULT_WORKERS, worker: str | None = None, lease_s: float = HOST_LEASE_S,
    ) -> None:  # fmt: skip
        self.database = database
        self.leases = LeaseStore(database)
        self.worker = worker or worker_name()
        self.lease_s = lease_s
        self.sources = sources
        self.inbox = inbox
        self.fetcher = fetcher
        self.workers = workers
        self.timings: defaultdict[str, float] = defaultdict(float)  # seconds fetching and extracting
        self._timings_lock = threading.Lock()

    def collect_due(self, now: datetime | None = None) -> list[CollectReport]:
        """Collect the sources due, of the hosts no other worker is fetching (see the module docstring)."""
        now = now or datetime.now(UTC)
        return self.collect_all(self.sources.due(now, SCHEDULED), shared=True)

    def collect_all(self, sources: Sequence[Source], shared: bool = False) -> list[CollectReport]:
        """Collect the sources side by side, `workers` hosts at a time, one host's sources one after another
        (so a slow host holds up one worker only); the reports in the sources' order. `shared`: only under
        each host's lease, and only the sources still due then."""
        by_host: dict[str, list[Source]] = defaultdict(list)
        for source in sources:
            by_host[_host(source)].append(source)
        groups = list(by_host.values())
        collect = self._collect_shared if shared else self._collect_group
        if len(groups) <= 1 or self.workers <= 1:
            reports = {id(s): r for group in groups for s, r in collect(group)}
        else:
            with ThreadPoolExecutor(min(self.workers, len(groups)), thread_name_prefix="kiemchung-collect") as pool:
                reports = {id(s): r for group in pool.map(collect, groups) for s, r in group}
        return [reports[id(source)] for source in sources if id(source) in reports]

    def _collect_group(self, sources: list[Source]) -> list[tuple[Source, CollectReport]]:
        return [(source, self.collect(source)) for source in sources]

    def _collect_shared(self, sources: list[Source]) -> list[tuple[Source, CollectReport]]:
        host = _host(sources[0])
        lease = f"fetch:{host}"
        if not self.leases.claim(lease, self.worker, self.lease_s):
            return []  # another worker is fetching this host
        try:
            return [(source, self.collect(fresh)) for source in sources if (fresh := self._still_due(source))]
        finally:
            pause = 0.0 if host.startswith("folder:") else self.fetcher.policy.host_interval_s
            self.leases.release(lease, self.worker, datetime.now(UTC) + timedelta(seconds=pause))

    def _still_due(self, source: Source) -> Source | None:
        """The source as it is now, if it is still enabled and due (another worker may have fetched it)."""
        try:
            fresh = self.sources.get(source.id)
        except NotFoundError:
            return None
        due = fresh.next_fetch_at is None or fresh.next_fetch_at <= datetime.now(UTC)
        return fresh if fresh.enabled and due else None

    def collect(self, source: Source) -> CollectReport:
        report = CollectReport(source.name)
        now = datetime.now(UTC)
        try:
            etag, last_modified = {
                "feed": self._feed,
                "sitemap": self._sitemap,
                "page": self._page,
                "folder": self._folder,
            }[source.kind](source, report)
        except FetchError as exc:
            report.error = str(exc)
            self.sources.record_failure(source, now, report.error)
            return report
        except KeyError:
            report.error = f"sources of kind {source.kind!r} are not collected"
            return report
        note = "; ".join(report.notes)[:2000] or None
        with self.database.write() as connection:
            SourceStore.record_success(connection, source, now, report.new, etag, last_modified, note)
        return report

    # -- kinds ------------------------------------------------------------------------------------------

    def _feed(self, source: Source, report: CollectReport) -> tuple[str | None, str | None]:
        assert source.url
        response = self.fetcher.get(source.url, source.etag, source.last_modified)
        if response.not_modified:
            return source.etag, source.last_modified
        feed = parse_feed(response.content, response.content_type)
        entries = feed.entries
        if feed.problem:
            report.notes.append(feed.problem)
        known = self.inbox.known_keys(source.id, [e.key for e in entries])
        report.seen = len(known)
        follow = bool(source.config.get("follow_links", True))
        pending: list[Item] = []
        for entry in (e for e in entries if e.key not in known):
            text, title, published, note = entry.text, entry.title, entry.published, None
            if follow and entry.is_teaser and entry.link:
                try:
                    article = self._article(entry.link)
                    text, title = article.text, title or article.title
                    published = published or article.published
                except FetchError as exc:
                    note = f"article page not read ({exc}); the feed's summary is kept"
                    report.notes.append(f"{entry.link}: {exc}")
            if not (text or title):
                self._store(source, [], report, [(entry.key, "feed entry without text or title")])
                continue
            pending.append(Item(entry.key, text or title or "", entry.link, title, published, note))
            if len(pending) >= CHUNK:
                self._store(source, pending, report)
                pending = []
        self._store(source, pending, report)
        return response.etag, response.last_modified

    def _sitemap(self, source: Source, report: CollectReport) -> tuple[str | None, str | None]:
        assert source.url
        response = self.fetcher.get(source.url, source.etag, source.last_modified)
        if response.not_modified:
            return source.etag, source.last_modified
        sitemap = parse_sitemap(response.content)
        entries: list[SitemapEntry] = list(sitemap.pages)
        for child in sitemap.children[:MAX_SITEMAPS]:
            try:
                entries.extend(parse_sitemap(self.fetcher.get(child).content).pages)
            except FetchError as exc:
                report.notes.append(f"{child}: {exc}")
        known = self.inbox.known_keys(source.id, [e.url for e in entries])
        report.seen = len(known)
        budget = int(source.config.get("max_pages", DEFAULT_MAX_PAGES))
        pending: list[Item] = []
        for entry in (e for e in entries if e.url not in known):
            if budget <= 0:
                report.notes.append("more new pages than max_pages: the rest at the next run")
                break
            budget -= 1
            try:
                article = self._article(entry.url)
            except FetchError as exc:
                report.notes.append(f"{entry.url}: {exc}")  # not stored: tried again at the next run
                continue
            pending.append(Item(entry.url, article.text, entry.url, entry.title or article.title,
                                entry.published or article.published))  # fmt: skip
            if len(pending) >= CHUNK:
                self._store(source, pending, report)
                pending = []
        self._store(source, pending, report)
        return response.etag, response.last_modified

    def _page(self, source: Source, report: CollectReport) -> tuple[str | None, str | None]:
        assert source.url
        response = self.fetcher.get(source.url, source.etag, source.last_modified)
        if response.not_modified:
            return source.etag, source.last_modified
        article = extract_article(response.content, response.content_type, response.url)
        if article is None:
            raise FetchError("no article text found on the page")
        digest = hashlib.sha256(article.text.encode("utf-8")).hexdigest()[:16]
        key = f"{canonical_url(source.url)}#{digest}"  # a new version of the page is a new item
        known = self.inbox.known_keys(source.id, [key])
        report.seen = len(known)
        if not known:
            self._store(source, [Item(key, article.text, response.url, article.title, article.published)], report)
        return response.etag, response.last_modified

    def _folder(self, source: Source, report: CollectReport) -> tuple[str | None, str | None]:
        folder = Path(source.url or "")
        if not folder.is_dir():
            raise FetchError(f"folder {folder} does not exist")
        for path in dropped_files(folder):
            self.import_file(source, path, report)
            _move(path, folder / "done")
        return None, None

    # -- shared -----------------------------------------------------------------------------------------

    def import_path(self, source: Source, path: Path, progress: Progress | None = None) -> CollectReport:
        """`kiemchung posts import`: a file read like a dropped one, and the source's health recorded."""
        report = CollectReport(source.name)
        self.import_file(source, path, report, progress)
        note = f"{len(report.rejected)} bad line(s) in {path.name}" if report.rejected else None
        with self.database.write() as connection:
            SourceStore.record_success(connection, source, datetime.now(UTC), report.new, None, None, note)
        return report

    def import_file(self, source: Source, path: Path, report: CollectReport, progress: Progress | None = None) -> None:
        """Read a JSON Lines or CSV file of posts into the inbox; bad lines are kept as rejected, with why."""
        pending: list[Item] = []
        rejected: list[tuple[str, str]] = []
        with path.open("rb") as stream:
            for number, record in read_records(stream, path.name):
                if isinstance(record, LineError):
                    reason = f"{path.name}:{number}: {record}"
                    rejected.append((f"{path.name}:{number}", reason))
                    report.rejected.append(reason)
                else:
                    pending.append(record)
                if len(pending) + len(rejected) >= FILE_CHUNK:
                    self._store(source, pending, report, rejected)
                    if progress:
                        progress(stream.tell())
                    pending, rejected = [], []
            self._store(source, pending, report, rejected)
            if progress:
                progress(stream.tell())

    def _article(self, url: str) -> Article:
        started = time.perf_counter()
        response = self.fetcher.get(url)
        fetched = time.perf_counter()
        article = extract_article(response.content, response.content_type, response.url)
        with self._timings_lock:
            self.timings["fetch pages"] += fetched - started
            self.timings["extract (trafilatura)"] += time.perf_counter() - fetched
        if article is None:
            raise FetchError("no article text found on the page")
        return article

    def _store(
        self, source: Source, items: list[Item], report: CollectReport, rejected: list[tuple[str, str]] | None = None
    ) -> None:
        if not items and not rejected:
            return
        with self.database.write() as connection:
            added = self.inbox.add(connection, source.id, items, rejected or [])
            if source.evidence and items:  # an evidence source: its items join the library too (not the matching)
                _into_library(connection, source, items)
        report.new += added
        report.seen += len(items) - added


def _into_library(connection: Connection, source: Source, items: list[Item]) -> None:
    """An evidence source's items as documents of its organisation's evidence library (an item's URL, else its
    key, is the document's id: a new version replaces it), audited as `evidence.import` when any changed. In
    the transaction that puts them in the inbox: the processing stage (matching) does nothing more."""
    counts = save_collected(connection, source.id, items, datetime.now(UTC))
    if counts["added"] or counts["updated"]:
        AuditStore.record_in(connection, counts["organisation_id"], None, "evidence.import", "source", source.id,
                             source=source.name, added=counts["added"], updated=counts["updated"],
                             unchanged=counts["unchanged"], documents=counts["documents"][:20])  # fmt: skip


def _host(source: Source) -> str:
    """Sources on one host share it (the fetcher serves a host one request at a time); a folder is its own."""
    if source.kind == "folder" or not source.url:
        return f"folder:{source.id}"
    return urlsplit(source.url).netloc.lower()


def _move(path: Path, folder: Path) -> None:
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    if target.exists():
        target = folder / f"{path.stem}.{datetime.now(UTC).strftime('%Y%m%dT%H%M%S%f')}{path.suffix}"
    shutil.move(str(path), target)
