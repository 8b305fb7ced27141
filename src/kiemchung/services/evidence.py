"""Evidence URLs archived in the background: no request ever waits on a remote site.

`CaseService.add_url` stores the URL and hands its id to `submit`; ARCHIVE_WORKERS daemon threads (started
on the first submission) fetch each page through the guarded fetcher — one wall-clock deadline per fetch —
extract its text and store it as the evidence's snapshot. Until then the evidence shows "archiving…". A
page that cannot be read is stored with no snapshot ("not archived") and the reason is logged. After a
restart `resume` queues the URLs still waiting; an id queued twice is archived once.
"""

from __future__ import annotations

import logging
import queue
import threading

from kiemchung.ingest.html import extract_article
from kiemchung.ingest.http import Fetcher, FetchError
from kiemchung.store.evidence import EvidenceStore

log = logging.getLogger(__name__)

ARCHIVE_WORKERS = 2
MAX_SNAPSHOT = 200_000
_STOP = -1


class EvidenceArchiver:
    def __init__(self, store: EvidenceStore, fetcher: Fetcher, workers: int = ARCHIVE_WORKERS) -> None:
        self.store = store
        self.fetcher = fetcher
        self.workers = workers
        self._queue: queue.Queue[int] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def archive(self, evidence_id: int) -> str | None:
        """Fetch the page of a still archiving URL and store its snapshot; why none could be taken (None when
        it was, or when the evidence was not waiting)."""
        url = self.store.pending_url(evidence_id)
        if url is None:
            return None
        title, snapshot, problem = None, None, None
        try:
            response = self.fetcher.get(url)
            article = extract_article(response.content, response.content_type, response.url)
            if article is None:
                problem = "no text found on the page"
            else:
                title, snapshot = article.title, article.text[:MAX_SNAPSHOT]
        except FetchError as exc:
            problem = str(exc)
        except Exception as exc:  # noqa: BLE001 - e.g. the extractor failing on a page: stored as not archived,
            log.exception("evidence %s (%s) could not be read", evidence_id, url)  # never left archiving for ever
            problem = f"the page could not be read: {type(exc).__name__}"
        self.store.set_snapshot(evidence_id, title or url, snapshot)
        if problem:
            log.info("evidence %s (%s) not archived: %s", evidence_id, url, problem)
        return problem

    def submit(self, evidence_id: int) -> None:
        """Archive this evidence soon, in a background thread."""
        with self._lock:
            if self._closed:
                return
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self.workers:
                thread = threading.Thread(target=self._work, name="kiemchung-archive", daemon=True)
                thread.start()
                self._threads.append(thread)
        self._queue.put(evidence_id)

    def resume(self) -> int:
        """Queue every URL still archiving (after a restart); how many."""
        waiting = self.store.pending()
        for evidence_id in waiting:
            self.submit(evidence_id)
        return len(waiting)

    def close(self, timeout: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(_STOP)
        for thread in threads:
            thread.join(timeout)

    def _work(self) -> None:
        while True:
            evidence_id = self._queue.get()
            if evidence_id == _STOP:
                return
            try:
                self.archive(evidence_id)
            except Exception:  # noqa: BLE001 - one bad page (or a database hiccup) must not end the worker
                log.exception("archiving evidence %s failed", evidence_id)
