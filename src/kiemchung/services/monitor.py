"""`kiemchung run`: the fetch stage, the processing stages and alert delivery, each in its own thread.

The stages meet only in the database inbox, so a slow matching stage never makes a fetcher drop or wait:
the backlog grows on disk and is worked off. Each loop survives its own errors (logged, retried).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kiemchung.services.alerts import AlertDispatcher
from kiemchung.services.collect import Collector, CollectReport
from kiemchung.services.pipeline import BatchReport, Processor
from kiemchung.store.inbox import InboxStore

log = logging.getLogger(__name__)

BATCH = 32
FETCH_POLL_S = 1.0
PROCESS_IDLE_S = 0.5
ALERT_POLL_S = 2.0
ERROR_PAUSE_S = 2.0
RECALIBRATE_EVERY_S = 600.0
RETRO_POLL_S = 5.0


@dataclass
class MonitorStatus:
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    collected: int = 0
    processed: BatchReport = field(default_factory=BatchReport)
    delivered: int = 0
    last_collect: list[CollectReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def line(self, backlog: int) -> str:
        p = self.processed
        return (
            f"collected {self.collected} · processed {p.stored} posts ({p.sentences} sentences) · "
            f"duplicates {p.duplicates} · copies {p.copies} · rejected {p.rejected} · dead {p.dead} · "
            f"matched {p.matched} · "
            f"alerts {p.alerts} (sent {self.delivered}) · backlog {backlog}"
        )


class Monitor:
    def __init__(
        self,
        collector: Collector,
        processor: Processor,
        dispatcher: AlertDispatcher,
        inbox: InboxStore,
        batch: int = BATCH,
        intake: Callable[[], int] | None = None,
        subscriptions: Callable[[], int] | None = None,
        recalibrate: Callable[[], object] | None = None,
        retro: Callable[[threading.Event], int] | None = None,
    ) -> None:
        self.collector = collector
        self.processor = processor
        self.dispatcher = dispatcher
        self.inbox = inbox
        self.batch = batch
        self.intake = intake or (lambda: 0)  # puts new suggestions and spreading claims into the queue
        self.subscriptions = subscriptions or (lambda: 0)  # other organisations' fact-checks, hourly
        self.recalibrate = recalibrate or (lambda: None)  # reviewers' verdicts on suggestions → calibration
        self.retro = retro or (lambda _stop: 0)  # queued retro-match jobs (services/retro.py)
        self._recalibrated = 0.0
        self.status = MonitorStatus()
        self._lock = threading.Lock()

    def backlog(self) -> int:
        return self.inbox.counts()["pending"]

    # -- one pass ---------------------------------------------------------------------------------------

    def run_once(self, on_progress: Callable[[MonitorStatus], None] | None = None) -> MonitorStatus:
        """Collect every enabled source now, process the whole inbox, send every alert owed."""
        sources = [s for s in self.collector.sources.all() if s.enabled and s.fetched]
        self._collected(self.collector.collect_all(sources))
        self.drain(on_progress)
        self.status.delivered += sum(self.dispatcher.deliver_due(force=True).values())
        return self.status

    def drain(self, on_progress: Callable[[MonitorStatus], None] | None = None) -> None:
        while True:
            report = self.processor.process_batch(self.batch)
            if not report.taken:
                return
            with self._lock:
                self.status.processed.add(report)
            self.intake()
            if on_progress:
                on_progress(self.status)

    # -- continuously -----------------------------------------------------------------------------------

    def run(self, stop: threading.Event) -> list[threading.Thread]:
        """Start the loops (fetch, process, alerts, retro-matching); they end when `stop` is set."""
        threads = [
            threading.Thread(target=self._loop, args=(stop, self._fetch_step, FETCH_POLL_S), name="fetch", daemon=True),
            threading.Thread(target=self._loop, args=(stop, self._process_step, PROCESS_IDLE_S), name="process",
                             daemon=True),
            threading.Thread(target=self._loop, args=(stop, self._alert_step, ALERT_POLL_S), name="alerts",
                             daemon=True),
            threading.Thread(target=self._loop, args=(stop, lambda: self.retro(stop) > 0, RETRO_POLL_S), name="retro",
                             daemon=True),
        ]  # fmt: skip
        for thread in threads:
            thread.start()
        return threads

    def _loop(self, stop: threading.Event, step: Callable[[], bool], idle_s: float) -> None:
        while not stop.is_set():
            try:
                busy = step()
            except Exception as exc:  # noqa: BLE001 - a loop must outlive any one failure
                log.exception("%s failed", step.__name__)
                with self._lock:
                    self.status.errors = [*self.status.errors[-9:], f"{time.strftime('%H:%M:%S')} {exc}"]
                stop.wait(ERROR_PAUSE_S)
                continue
            if not busy:
                stop.wait(idle_s)

    def _fetch_step(self) -> bool:
        self.subscriptions()
        reports = self.collector.collect_due()
        self._collected(reports)
        return bool(reports)

    def _process_step(self) -> bool:
        report = self.processor.process_batch(self.batch)
        with self._lock:
            self.status.processed.add(report)
        if report.taken:
            self.intake()
        return report.taken > 0

    def _alert_step(self) -> bool:
        if time.monotonic() - self._recalibrated >= RECALIBRATE_EVERY_S:
            self._recalibrated = time.monotonic()
            if self.recalibrate():
                log.info("matching recalibrated from reviewers' feedback")
        sent = self.dispatcher.deliver_due()
        with self._lock:
            self.status.delivered += sum(sent.values())
        return False

    def _collected(self, reports: list[CollectReport]) -> None:
        if not reports:
            return
        with self._lock:
            self.status.collected += sum(r.new for r in reports)
            self.status.last_collect = reports
