"""How many `kiemchung run` workers a database allows.

PostgreSQL: any number, on one or several machines; they coordinate through leases in the database (inbox
items, alert channels, hosts to fetch). SQLite: one. A worker holds an OS lock (`flock`) on a file beside the
database file for as long as it runs; the system drops it when the process ends, however it ends (SIGKILL
included), so a second `run` is refused at once and a restart after a crash is not. Having the lock, the
worker frees the leases a stopped worker left behind, instead of waiting for them to expire.
"""

from __future__ import annotations

import fcntl
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from kiemchung.errors import ConflictError
from kiemchung.store.database import Database
from kiemchung.store.inbox import InboxStore
from kiemchung.store.leases import LeaseStore


def worker_name() -> str:
    """This process among the workers sharing the database: host, process id and a random suffix."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def sqlite_lock_path(database: Database) -> Path:
    """The lock file beside the SQLite database file."""
    return Path(database.url.split("///", 1)[-1] + ".run.lock")


@contextmanager
def single_runner(database: Database) -> Iterator[None]:
    """Hold the SQLite database's one worker place while the block runs (PostgreSQL: nothing to hold)."""
    if not database.is_sqlite or database.url.endswith(":memory:"):
        yield
        return
    path = sqlite_lock_path(database)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError(
                f"another `kiemchung run` is working on this SQLite database ({path} is locked): SQLite allows one "
                "worker; stop the other, or use PostgreSQL (KIEMCHUNG_DATABASE_URL) for several"
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        InboxStore(database).release_all()
        LeaseStore(database).release_all()
        yield
    finally:
        os.close(descriptor)  # closing drops the lock
