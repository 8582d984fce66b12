"""The gateway's process writing to SQLite: one write transaction at a time, and the
write-ahead log checkpointed on a thread of its own rather than inside a commit.

SQLite lets one connection write at a time; another that wants to waits in its busy
handler, which sleeps and tries again (1, 2, 5, ... up to 100 ms between tries) rather
than queueing. Two threads of the gateway's process write: the gateway's batches and the
alarm runtime's records (alarms raised and cleared, strips kept). Measured at load, a
burst of the alarm runtime's short transactions (150 rooms' no-data alarms clearing at
once) kept a gateway batch asleep in that handler for 0.8 s, and every ACK of the batch
with it. Taking ``one_writer`` first, the threads take turns the moment the other is done.

In WAL mode SQLite copies the log back into the database (a checkpoint, with an fsync of
the database file) inside whichever commit finds the log over 1,000 pages: at the
gateway's rate, every second or so, and the batch's ACKs wait for it (commits of 0.3 s
measured). With ``WalCheckpointer`` running, the process's connections leave that to
its thread (``PRAGMA wal_autocheckpoint=0``), which checkpoints once a second without
blocking the writers (``PASSIVE``).

PostgreSQL locks rows, not the database, and checkpoints on its own: nothing here is
done there. Writers in other processes (a web server apart from the gateway) still meet
SQLite's busy handler and checkpoint in their commits.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from django.db import connection

log = logging.getLogger("ketamine_clinic.monitoring.sqlite_writer")

_WRITE_LOCK = threading.Lock()
CHECKPOINT_EVERY_S: Final = 1.0
SQLITE_AUTOCHECKPOINT_PAGES: Final = 1000  # SQLite's default


class _Checkpoints:
    """Whether a checkpointer thread runs in this process, and the raw connections set
    to leave checkpoints to it (held, so that an id is not reused while listed)."""

    def __init__(self) -> None:
        self.apart = False
        self.set_apart: dict[int, Any] = {}


_checkpoints = _Checkpoints()


@contextmanager
def one_writer() -> Iterator[None]:
    """Around a write transaction (outside ``transaction.atomic``, never inside it: the
    thread must not hold SQLite's lock while it waits for this one)."""
    if connection.vendor != "sqlite":
        yield
        return
    with _WRITE_LOCK:
        if _checkpoints.apart or _checkpoints.set_apart:
            _match_the_checkpointer()
        yield


def _match_the_checkpointer() -> None:
    """This thread's connection checkpoints in its commits unless the thread does; told
    again when that changes (``PRAGMA wal_autocheckpoint`` holds per connection)."""
    connection.ensure_connection()
    raw: Any = connection.connection
    listed = id(raw) in _checkpoints.set_apart
    if _checkpoints.apart and not listed:
        raw.execute("PRAGMA wal_autocheckpoint=0")
        _checkpoints.set_apart[id(raw)] = raw
    elif not _checkpoints.apart and listed:
        raw.execute(f"PRAGMA wal_autocheckpoint={SQLITE_AUTOCHECKPOINT_PAGES}")
        del _checkpoints.set_apart[id(raw)]


def checkpoint_wal() -> tuple[int, int, int]:
    """One passive checkpoint on this thread's connection: (busy, frames in the log,
    frames copied back), as SQLite reports them."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")
        busy, frames, copied = cursor.fetchone()
    return int(busy), int(frames), int(copied)


class WalCheckpointer:
    """A thread that checkpoints the log every ``every_s`` while the gateway runs (on
    SQLite; on another database ``start`` does nothing)."""

    def __init__(
        self,
        every_s: float = CHECKPOINT_EVERY_S,
        checkpoint: Callable[[], object] = checkpoint_wal,
    ) -> None:
        self.every_s = every_s
        self._checkpoint = checkpoint
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if connection.vendor != "sqlite" or self.running:
            return
        self._stop.clear()
        _checkpoints.apart = True
        self._thread = threading.Thread(target=self._run, name="kc-wal-checkpoint", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join()
        _checkpoints.apart = False  # each connection's next write turns it back on

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every_s):
                try:
                    self._checkpoint()
                except Exception:  # the next tick tries again; the log only grows meanwhile
                    log.exception("WAL checkpoint failed")
            self._checkpoint()
        except Exception:
            log.exception("WAL checkpoint failed")
        finally:
            connection.close()
