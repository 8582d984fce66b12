"""On PostgreSQL, writers appending at the same moment never fork the chain.

The writers run in threads, each with its own database connection, and really commit.
The test itself only watches (through pg_locks, which is not a table lock) so that it
holds no lock on the audit tables; afterwards a cleanup connection switches the
append-only triggers off inside one transaction to remove what the writers committed,
since the test's own rollback cannot.
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from django.db import connection, transaction

from ketamine_clinic.audit.chain import GENESIS_HASH, ChainBreak
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.audit.selectors import audit_chain_verify
from ketamine_clinic.audit.services import audit_record

T = TypeVar("T")
TIMEOUT_S = 30


class Worker(threading.Thread):
    """Runs `work` on its own connection; keeps its result or its exception."""

    def __init__(self, work: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.work = work
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.work()
        except BaseException as exc:
            self.error = exc
        finally:
            connection.close()

    def outcome(self) -> Any:
        self.join(TIMEOUT_S)
        assert not self.is_alive(), "worker did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def on_own_connection(work: Callable[[], T]) -> T:
    worker = Worker(work)
    worker.start()
    result: T = worker.outcome()
    return result


def wipe_committed_trail() -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '15s'")
        for table in ("audit_auditentry", "audit_auditchainhead"):
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM audit_auditentry")
        cursor.execute(
            "UPDATE audit_auditchainhead SET last_seq = 0, last_hash = %s", [GENESIS_HASH]
        )
        for table in ("audit_auditentry", "audit_auditchainhead"):
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


@pytest.fixture
def committed_trail() -> Iterator[None]:
    """Writers in this test commit; remove what they wrote afterwards."""
    yield
    on_own_connection(wipe_committed_trail)


def waiting_for_a_lock(pid: int) -> bool:
    # pg_locks is read live (unlike pg_stat_activity, which is snapshotted per transaction).
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND NOT granted", [pid])
        row = cursor.fetchone()
    return bool(row and row[0])


def backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    assert row is not None
    return int(row[0])


@pytest.mark.postgres
def test_a_second_writer_waits_for_the_first_and_links_to_its_entry(
    committed_trail: None,
) -> None:
    a_written, release_a, b_ready = threading.Event(), threading.Event(), threading.Event()
    b_pid: list[int] = []

    def writer_a() -> AuditEntry:
        with transaction.atomic():
            entry = audit_record(action=AuditAction.READ, actor=None, reason="writer A")
            a_written.set()
            # Hold the transaction (and the head lock) open until B is seen waiting.
            assert release_a.wait(TIMEOUT_S)
        return entry

    def writer_b() -> AuditEntry:
        b_pid.append(backend_pid())
        b_ready.set()
        return audit_record(action=AuditAction.READ, actor=None, reason="writer B")

    a, b = Worker(writer_a), Worker(writer_b)
    a.start()
    assert a_written.wait(TIMEOUT_S)
    b.start()
    assert b_ready.wait(TIMEOUT_S)
    deadline = time.monotonic() + TIMEOUT_S
    while not waiting_for_a_lock(b_pid[0]):
        assert time.monotonic() < deadline, "writer B never waited for writer A"
        assert b.is_alive(), "writer B finished while A still held its transaction open"
        time.sleep(0.02)
    release_a.set()

    entry_a: AuditEntry = a.outcome()
    entry_b: AuditEntry = b.outcome()
    assert entry_b.seq == entry_a.seq + 1
    assert entry_b.prev_hash == entry_a.hash
    count, broken = on_own_connection(audit_chain_verify)
    assert (count, broken) == (2, None)


@pytest.mark.postgres
def test_many_writers_appending_at_once_leave_one_unbroken_chain(committed_trail: None) -> None:
    writers, appends_each = 4, 10
    start = threading.Barrier(writers)

    def writer(name: str) -> list[int]:
        start.wait(TIMEOUT_S)
        return [
            audit_record(action=AuditAction.READ, actor=None, reason=f"{name} #{n}").seq
            for n in range(appends_each)
        ]

    workers = [Worker(functools.partial(writer, f"writer {i}")) for i in range(writers)]
    for worker in workers:
        worker.start()
    seqs = sorted(seq for worker in workers for seq in worker.outcome())

    assert seqs == list(range(1, writers * appends_each + 1))

    def verify_and_links() -> tuple[tuple[int, ChainBreak | None], bool]:
        entries = list(AuditEntry.objects.order_by("seq"))
        linked = all(
            later.prev_hash == earlier.hash for earlier, later in itertools.pairwise(entries)
        )
        return audit_chain_verify(), linked

    (count, broken), linked = on_own_connection(verify_and_links)
    assert (count, broken, linked) == (writers * appends_each, None, True)
