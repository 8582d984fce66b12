"""`ketamine-clinic gateway`: its process and writer counts, what it refuses, and a worker
process that does not start."""

from __future__ import annotations

import asyncio
import multiprocessing
import re

import pytest
from django.conf import settings

from ketamine_clinic.monitoring import gateway_processes
from ketamine_clinic.monitoring.gateway_processes import WorkerPool, WorkerStartFailed, _Worker
from ketamine_clinic.monitoring.gateway_runtime import default_processes, default_writers
from tests.cli.conftest import run_main

SQLITE = "django.db.backends.sqlite3"
POSTGRES = "django.db.backends.postgresql"


@pytest.mark.parametrize(
    ("option", "value"), [("--processes", "2"), ("--writers", "2")], ids=["processes", "writers"]
)
def test_sqlite_refuses_more_than_one_process_or_writer(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, option: str, value: str
) -> None:
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", SQLITE)
    code, out, err = run_main(capsys, "gateway", "--port", "0", option, value)
    assert (code, out) == (2, "")
    assert f"{option}: SQLite takes one writer; set DATABASE_URL to PostgreSQL" in err


@pytest.mark.parametrize("redis_url", ["", "redis://127.0.0.1:6379/0"], ids=["none", "redis"])
def test_without_redis_it_warns_that_the_live_views_will_not_see_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, redis_url: str
) -> None:
    started: list[object] = []
    monkeypatch.setattr(settings, "REDIS_URL", redis_url)
    monkeypatch.setattr(
        "ketamine_clinic.monitoring.gateway_runtime.run_loop",
        lambda coroutine: started.append(coroutine.close()),
    )
    code, out, err = run_main(capsys, "gateway", "--port", "0")
    assert (code, out, len(started)) == (0, "", 1)
    warned = "warning: REDIS_URL is not set: the live room views and the central station"
    assert (warned in err) is (redis_url == "")


def test_a_process_count_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(capsys, "gateway", "--processes", "0")
    assert code == 2
    assert "--processes" in err


@pytest.mark.parametrize(
    ("engine", "cores", "processes", "writers_each"),
    [
        (SQLITE, 2, 1, 1),  # one writer at a time: more processes would queue for its lock
        (POSTGRES, 2, 2, 1),  # one per core, one writer each
        (POSTGRES, 8, 8, 1),
        (POSTGRES, 1, 1, 2),  # alone: one batch commits while the next is built
    ],
)
def test_defaults_follow_the_database_and_the_cores(
    monkeypatch: pytest.MonkeyPatch, engine: str, cores: int, processes: int, writers_each: int
) -> None:
    monkeypatch.setitem(settings.DATABASES["default"], "ENGINE", engine)
    monkeypatch.setattr("os.cpu_count", lambda: cores)
    assert default_processes() == processes
    assert default_writers(processes) == writers_each


@pytest.mark.parametrize(
    ("child_does", "reason"),
    [
        ("says something else", "said 'hello' first"),
        ("exits", "exited while starting"),
        ("stays silent", "did not start in 0.2 s"),
    ],
)
def test_a_worker_that_does_not_get_to_listening_stops_the_start(
    child_does: str, reason: str
) -> None:
    parent_end, child_end = multiprocessing.Pipe()
    if child_does == "says something else":
        child_end.send("hello")
    elif child_does == "exits":
        child_end.close()
    pool = WorkerPool("127.0.0.1", 0, None, 1, feed=None)
    worker = _Worker(1, multiprocessing.get_context("spawn").Process(), parent_end)

    async def wait() -> None:
        await pool._until_ready(worker, timeout_s=0.2)

    with pytest.raises(WorkerStartFailed, match=re.escape(reason)):
        asyncio.run(wait())


def test_a_worker_waits_for_a_primary_that_falls_behind_instead_of_piling_up_inputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(gateway_processes, "MAX_BATCHES_FOR_THE_PRIMARY", 3)
    primary_end, worker_end = multiprocessing.Pipe()
    sender = gateway_processes._InputSender(worker_end)
    sender.start()
    batch = ["x" * 100_000]  # a few of these fill the pipe, then the queue

    async def run() -> None:
        sent = 0
        with pytest.raises(TimeoutError):
            while True:
                await asyncio.wait_for(sender.send(batch), 0.5)
                sent += 1
        assert 3 <= sent <= 40  # the queue's 3 plus what the pipe's buffer took
        received = [primary_end.recv() for _ in range(sent)]  # the primary catches up
        await asyncio.wait_for(sender.send(batch), 2)  # and the worker goes on
        assert received == [batch] * sent
        assert primary_end.recv() == batch  # nothing dropped, in order

    asyncio.run(run())
    sender.close()
