"""The gateway in several processes: each parses, stores and acknowledges on its own
interpreter; one of them, the primary, also runs the alarm engine.

Why processes: one Python process reads, stores and acknowledges with one interpreter
lock, and at load that lock, not the database, was the limit (about 0.9 of a core in use
while the database and the other core had room). Threads would share the lock; processes
do not.

- Listening. Every process listens on the same port (SO_REUSEPORT): the kernel spreads
  the devices' connections among them, and a device keeps its connection, so all of a
  monitor's messages reach the same process, in order.
- Storing. Each process stores and acknowledges its own messages through its own
  database connections; a commit is a commit whichever process made it.
- Alarms. The engine must see all of a room's data (its no-data watch, its condition
  delays), so it runs once, in the primary. After each commit a worker sends the engine's
  inputs (``alarm_runtime.AlarmInput``: numerics and technical alerts, a few hundred
  bytes) over its pipe to the primary, which feeds them to the engine as it does its own.
- Live views. Each process publishes what it stored to the channel layer itself (with
  Redis, the web processes hear every gateway process).
- Lifetime. The primary starts the workers and stops them. A worker ends when the primary
  ends however it ends: its pipe reads end-of-file, and on Linux the kernel also sends it
  SIGKILL (``PR_SET_PDEATHSIG``), so a killed primary leaves no worker holding the port
  with messages it can no longer hand to the engine. A worker that dies is started again.

``multiprocessing`` (spawn) and its ``Pipe`` rather than a hand-written socket protocol:
the pipe is inherited, so no other process can connect to it, and it frames and pickles
the inputs.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Final

log = logging.getLogger("ketamine_clinic.monitoring.gateway")

_PR_SET_PDEATHSIG: Final = 1  # linux/prctl.h
_READY: Final = "ready"
RESTART_DELAY_S: Final = 1.0


class WorkerStartFailed(RuntimeError):
    """A gateway worker process did not get to listening (its reason is in its output)."""


def _die_with_parent() -> None:
    """Linux: the kernel sends this process SIGKILL when its parent ends."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def worker_main(
    host: str, port: int, writers: int | None, conn: Connection, index: int, processes: int
) -> None:
    """A worker process: a gateway without the alarm engine, on the primary's port."""
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the primary, which stops us
    from ketamine_clinic.cli.base import setup_django

    setup_django()
    from ketamine_clinic.monitoring.gateway_runtime import run_loop

    with contextlib.suppress(KeyboardInterrupt):
        run_loop(_serve_worker(host, port, writers, conn, index, processes))


async def _serve_worker(
    host: str, port: int, writers: int | None, conn: Connection, index: int, processes: int
) -> None:
    from ketamine_clinic.monitoring.gateway_runtime import ClinicGateway, tune_gc

    loop = asyncio.get_running_loop()
    sender = _InputSender(conn)
    clinic = ClinicGateway(writers=writers, alarms=sender.send, processes=processes)
    await clinic.start(host, port, reuse_port=True)
    tune_gc()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    # The primary never writes to the pipe: end-of-file means it has gone.
    watcher = threading.Thread(
        target=_watch_parent, args=(conn, loop, stop), name="kc-parent", daemon=True
    )
    watcher.start()
    sender.start()
    conn.send(_READY)
    try:
        await stop.wait()
    finally:
        await clinic.close()
        sender.close()
    print(f"gateway worker {index}: {clinic.gateway.stats.stored} stored", flush=True)


def _watch_parent(conn: Connection, loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    with contextlib.suppress(EOFError, OSError):
        while True:
            conn.recv()
    with contextlib.suppress(RuntimeError):  # the loop already closed
        loop.call_soon_threadsafe(stop.set)


# Committed batches a worker holds for the primary before its after-commit hook waits:
# then the gateway's own hook backlog fills and its writer waits, so a primary that falls
# behind slows the worker's ACKs instead of growing its memory or dropping alarm inputs.
MAX_BATCHES_FOR_THE_PRIMARY: Final = 1000


class _InputSender:
    """Sends the engine's inputs to the primary on a thread of its own, so the pipe's
    writes never block a worker's event loop."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._queue: list[Any] = []
        self._ready = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="kc-alarm-feed", daemon=True)

    def start(self) -> None:
        self._thread.start()

    async def send(self, inputs: Sequence[Any]) -> None:
        if not inputs:
            return
        while len(self._queue) >= MAX_BATCHES_FOR_THE_PRIMARY and self._thread.is_alive():
            await asyncio.sleep(0.01)
        with self._ready:
            self._queue.append(list(inputs))
            self._ready.notify()

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._closed:
                    self._ready.wait()
                if not self._queue:
                    return
                batches, self._queue = self._queue, []
            try:
                for batch in batches:
                    self._conn.send(batch)
            except (OSError, ValueError):
                return  # the primary has gone; the watcher ends this process


@dataclass
class _Worker:
    index: int
    process: BaseProcess
    conn: Connection
    reader: threading.Thread | None = None


@dataclass
class WorkerPool:
    """The primary's workers: started on the primary's port, their inputs fed to its
    alarm engine, restarted if one dies, stopped with the primary."""

    host: str
    port: int
    writers: int | None
    count: int
    feed: Any  # async callable taking a list of AlarmInput
    _workers: list[_Worker] = field(default_factory=list)
    _loop: asyncio.AbstractEventLoop | None = None
    _stopping: bool = False
    _watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        starting = [self._spawn(index) for index in range(1, self.count + 1)]
        await asyncio.gather(*(self._until_ready(worker) for worker in starting))
        self._workers = starting
        self._watch = asyncio.create_task(self._restart_dead())

    def pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    def _spawn(self, index: int) -> _Worker:
        context = multiprocessing.get_context("spawn")
        parent_end, child_end = context.Pipe(duplex=True)
        process = context.Process(
            target=worker_main,
            args=(self.host, self.port, self.writers, child_end, index, self.count + 1),
            name=f"kc-gateway-{index}",
            daemon=True,
        )
        process.start()
        child_end.close()
        return _Worker(index, process, parent_end)

    async def _until_ready(self, worker: _Worker, timeout_s: float = 120.0) -> None:
        """Wait for the worker's "ready" (it listens), then read its inputs on a thread."""
        loop = asyncio.get_running_loop()
        ready = await loop.run_in_executor(None, worker.conn.poll, timeout_s)
        if not ready:
            raise WorkerStartFailed(
                f"gateway worker {worker.index} did not start in {timeout_s:g} s"
            )
        try:
            first = await loop.run_in_executor(None, worker.conn.recv)
        except EOFError:
            raise WorkerStartFailed(
                f"gateway worker {worker.index} exited while starting"
            ) from None
        if first != _READY:
            raise WorkerStartFailed(f"gateway worker {worker.index} said {first!r} first")
        worker.reader = threading.Thread(
            target=self._read, args=(worker,), name=f"kc-feed-{worker.index}", daemon=True
        )
        worker.reader.start()

    def _read(self, worker: _Worker) -> None:
        loop = self._loop
        if loop is None:  # start() sets it before any reader runs
            return
        while True:
            try:
                inputs = worker.conn.recv()
            except (EOFError, OSError):
                return
            future = asyncio.run_coroutine_threadsafe(self.feed(inputs), loop)
            try:
                future.result()  # in order, and no faster than the engine takes them
            except Exception:
                log.exception("alarm inputs from gateway worker %d not taken", worker.index)

    async def _restart_dead(self) -> None:
        while not self._stopping:
            await asyncio.sleep(RESTART_DELAY_S)
            for position, worker in enumerate(self._workers):
                if worker.process.is_alive() or self._stopping:
                    continue
                log.error(
                    "gateway worker %d ended (exit code %s); starting it again",
                    worker.index,
                    worker.process.exitcode,
                )
                worker.conn.close()
                fresh = self._spawn(worker.index)
                try:
                    await self._until_ready(fresh)
                except WorkerStartFailed:
                    log.exception("gateway worker %d did not start again", worker.index)
                self._workers[position] = fresh

    async def close(self) -> None:
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        for worker in self._workers:
            if worker.process.is_alive() and worker.process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.process.pid, signal.SIGTERM)
        loop = asyncio.get_running_loop()
        for worker in self._workers:
            await loop.run_in_executor(None, worker.process.join, 30)
            if worker.process.is_alive():
                worker.process.kill()
            worker.conn.close()
