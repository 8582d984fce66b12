"""The gateway's process on SQLite: write transactions one at a time, and checkpoints on
a thread of their own while the checkpointer runs (never inside a commit), back in the
commits once it stops."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection

from ketamine_clinic.monitoring import sqlite_writer
from ketamine_clinic.monitoring.sqlite_writer import WalCheckpointer, one_writer

pytestmark = pytest.mark.django_db
on_sqlite = pytest.mark.skipif(
    connection.vendor != "sqlite", reason="SQLite's write lock and checkpoints"
)


def autocheckpoint_pages() -> int:
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        return int(cursor.fetchone()[0])


@on_sqlite
def test_commits_leave_checkpoints_to_the_thread_while_it_runs() -> None:
    ticks = threading.Event()
    checkpointer = WalCheckpointer(every_s=0.01, checkpoint=ticks.set)
    with one_writer():
        assert autocheckpoint_pages() == 1000  # SQLite's default: the commit checkpoints
    checkpointer.start()
    try:
        assert checkpointer.running
        assert ticks.wait(5), "the thread never checkpointed"
        with one_writer():
            assert autocheckpoint_pages() == 0
    finally:
        checkpointer.stop()
    assert not checkpointer.running
    with one_writer():
        assert autocheckpoint_pages() == 1000


@on_sqlite
def test_a_failed_checkpoint_is_logged_and_the_next_tick_tries_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[float] = []

    def flaky() -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise OSError("disk busy")

    checkpointer = WalCheckpointer(every_s=0.01, checkpoint=flaky)
    checkpointer.start()
    deadline = time.monotonic() + 5
    while len(calls) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    checkpointer.stop()
    assert len(calls) >= 3
    assert "WAL checkpoint failed" in caplog.text


def test_on_postgresql_nothing_is_started() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("the PostgreSQL pass")
    checkpointer = WalCheckpointer(every_s=0.01, checkpoint=lambda: None)
    checkpointer.start()
    assert not checkpointer.running
    assert not sqlite_writer._checkpoints.apart


@on_sqlite
def test_the_writers_take_turns() -> None:
    inside = 0
    most = 0
    guard = threading.Lock()

    def write() -> None:
        nonlocal inside, most
        for _ in range(50):
            with one_writer():
                with guard:
                    inside += 1
                    most = max(most, inside)
                time.sleep(0.0005)
                with guard:
                    inside -= 1
        connection.close()

    threads = [threading.Thread(target=write) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert most == 1
