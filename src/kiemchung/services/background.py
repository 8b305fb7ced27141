"""Jobs worked in the background of a server process, one pattern for every kind (archive imports, retro-matching,
evidence PDF imports, saving evidence indexes): a request records a job (in the database, where every process
sees it) and calls `submit`; one daemon thread per kind, started by the first `submit`, works every waiting job
(woken by each `submit`, and every IDLE_S anyway for jobs another process queued or a stopped server left), and
`close` stops it. The service says which jobs wait and how one is worked (`waiting`, `work`); its store records
a job's start, progress and outcome, so the pages and the API of any process can show them. `Ticker` keeps
progress writes to about two a second however often the work reports.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)
IDLE_S = 5.0  # a worker looks for jobs queued by other processes this often
PROGRESS_EVERY_S = 0.5

Waiting = Callable[[], Iterable[int]]  # the ids of the jobs to work now, oldest first
Work = Callable[[int, threading.Event], int]  # work one job (stop: the worker is closing); how much was done


class BackgroundJobs:
    """One kind of job worked by one daemon thread of this process."""

    def __init__(self, name: str, waiting: Waiting, work: Work, idle_s: float = IDLE_S) -> None:
        self.name = name
        self.waiting = waiting
        self.work = work
        self.idle_s = idle_s
        self.stop = threading.Event()
        self._wake: queue.Queue[int | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def run_waiting(self, stop: threading.Event | None = None) -> int:
        """Work every waiting job now, in this thread, until `stop` (else `close`) says to stop; how much was
        done (0: nothing was waiting, or another worker took it)."""
        stop = stop or self.stop
        done = 0
        for job_id in self.waiting():
            if stop.is_set():
                break
            done += self.work(job_id, stop)
        return done

    def submit(self, job_id: int | None = None) -> None:
        """Work this job (and any other waiting) soon, in the background thread; never blocks."""
        with self._lock:
            if self.stop.is_set():
                return
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name=f"kiemchung-{self.name}", daemon=True)
                self._thread.start()
        self._wake.put(job_id)

    def close(self, timeout: float = 5.0) -> None:
        self.stop.set()
        self._wake.put(None)
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        while not self.stop.is_set():
            try:
                while self.run_waiting():
                    pass
            except Exception:  # noqa: BLE001 - e.g. the database briefly away: try again later
                log.exception("%s in the background failed", self.name)
            with contextlib.suppress(queue.Empty):
                self._wake.get(timeout=self.idle_s)


class Ticker:
    """Calls `write` at most every PROGRESS_EVERY_S, however often it is ticked (every block read, every batch)."""

    def __init__(self, write: Callable[[], None]) -> None:
        self.write = write
        self.last = time.monotonic()

    def tick(self, _amount: int = 0) -> None:
        now = time.monotonic()
        if now - self.last >= PROGRESS_EVERY_S:
            self.last = now
            self.write()
