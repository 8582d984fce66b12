"""The device gateway wired to the clinic: storage on the database, the clinic's zone.

``devices.gateway`` knows nothing of Django; this is where the clinic plugs in its
storage and, after each commit, what the stored data sets off (live views, alarms).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import signal
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, Final
from zoneinfo import ZoneInfo

from asgiref.sync import sync_to_async
from django.conf import settings

from ketamine_clinic.alarms.engine import AlarmEngine
from ketamine_clinic.alarms.events import InterlockAction
from ketamine_clinic.alarms.policy import AlarmPolicy
from ketamine_clinic.devices.gateway import Gateway, Inbound, StoreResult
from ketamine_clinic.monitoring.alarm_runtime import AlarmInput, AlarmRuntime, alarm_inputs
from ketamine_clinic.monitoring.gateway_processes import WorkerPool
from ketamine_clinic.monitoring.publisher import LivePublisher, RoomDirectory
from ketamine_clinic.monitoring.pump_programs import pump_interlock_pause
from ketamine_clinic.monitoring.sqlite_writer import WalCheckpointer
from ketamine_clinic.monitoring.storage import DatabaseStorage

log = logging.getLogger("ketamine_clinic.monitoring.gateway")


# The gateway process's garbage collector, once it has started: measured at load, the
# default (a young-generation pass every 700 allocations, each walking the messages in
# flight, and full passes over every object Django loaded) took about a tenth of the
# gateway's CPU and paused its loop for tens of milliseconds at a time. The messages'
# objects are freed by reference counting; only cycles wait for the collector.
GC_THRESHOLDS: Final = (50_000, 20, 100)


def tune_gc() -> None:
    """Collect once, move what start-up made (settings, models, URL maps) out of the
    collector's sight for good (``gc.freeze``), and collect young objects less often."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def run_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run the gateway's event loop on uvloop (libuv) where it is installed, asyncio's
    own loop otherwise. Every message costs the loop a read, a future, a write and a
    drain; the gateway's Python is the limit at load, and uvloop does that work in C."""
    try:
        import uvloop
    except ImportError:  # not on this platform: the standard loop works the same
        asyncio.run(main)
        return
    uvloop.run(main)


def default_writers(processes: int = 1) -> int:
    """SQLite takes one writer at a time. PostgreSQL: two in one process, so one batch
    commits while the next is built; one per process when there are several (measured on
    two cores: two processes with one writer each stored more, with a shorter ACK tail,
    than with two each, whose smaller batches each paid a transaction)."""
    engine = settings.DATABASES["default"]["ENGINE"]
    return 1 if engine.endswith("sqlite3") or processes > 1 else 2


async def _interlock(action: InterlockAction) -> None:
    """The engine asks to pause a room's pump: hold its program over PCD-03 (recorded)."""
    await sync_to_async(pump_interlock_pause)(
        room_id=int(action.room), alarm_id=action.alarm_id, reason=action.reason, at=action.at
    )


AlarmFeed = Callable[[Sequence[AlarmInput]], Awaitable[None]]


class ClinicGateway:
    """The gateway, the live views it feeds and the alarm engine, started and stopped
    together (``ketamine-clinic gateway``, or inside ``serve``/``demo``).

    ``alarms``: where the engine's inputs go when this process does not run the engine
    (a gateway worker process sends them to the primary); None runs the engine here."""

    def __init__(
        self,
        *,
        writers: int | None = None,
        max_batch: int = 500,
        alarms: AlarmFeed | None = None,
        processes: int = 1,
    ) -> None:
        directory = RoomDirectory()
        self.publisher = LivePublisher(directory)
        self.alarms: AlarmRuntime | None = None
        if alarms is None:
            self.alarms = AlarmRuntime(
                AlarmEngine(policy=AlarmPolicy(interlock_enabled=settings.KC_PUMP_INTERLOCK)),
                directory=directory,
                interlock=_interlock,
            )
            alarms = self.alarms.observe
        self._alarm_feed = alarms
        self.checkpointer = WalCheckpointer()  # on SQLite: no commit waits for a checkpoint
        self.gateway = Gateway(
            DatabaseStorage(),
            local_zone=ZoneInfo(settings.TIME_ZONE),
            writers=writers or default_writers(processes),
            max_batch=max_batch,
            after_commit=self._after_commit,
        )

    async def _after_commit(self, items: Sequence[Inbound], results: Sequence[StoreResult]) -> None:
        await self.publisher(items, results)
        await self._alarm_feed(alarm_inputs(items, results))

    async def start(self, host: str, port: int, *, reuse_port: bool = False) -> int:
        self.checkpointer.start()
        if self.alarms is not None:
            await self.alarms.start()
        await self.gateway.start(host, port, reuse_port=reuse_port)
        return self.gateway.port

    async def close(self) -> None:
        await self.gateway.close()
        if self.alarms is not None:
            await self.alarms.close()
        await asyncio.to_thread(self.checkpointer.stop)


def default_processes() -> int:
    """SQLite: one (it takes one writer at a time, so more processes would only queue for
    its lock). PostgreSQL: one per core, each with its own interpreter."""
    engine = settings.DATABASES["default"]["ENGINE"]
    return 1 if engine.endswith("sqlite3") else max(1, os.cpu_count() or 1)


async def serve_gateway(
    host: str,
    port: int,
    *,
    writers: int | None = None,
    processes: int | None = None,
    report_every_s: float = 60.0,
) -> None:
    """Run until SIGINT/SIGTERM; print where it listens and, every minute, its counts.

    With ``processes`` over one, this process (the primary, which runs the alarm engine)
    starts the others on the same port (``gateway_processes``)."""
    count = processes or default_processes()
    clinic = ClinicGateway(writers=writers, processes=count)
    engine = clinic.alarms
    if engine is None:  # built without a feed, so it runs the engine
        raise RuntimeError("the primary gateway process must run the alarm engine")
    listening = await clinic.start(host, port, reuse_port=count > 1)
    pool: WorkerPool | None = None
    if count > 1:
        pool = WorkerPool(host, listening, writers, count - 1, engine.observe)
        try:
            await pool.start()
        except BaseException:
            await pool.close()
            await clinic.close()
            raise
    tune_gc()  # this process is the gateway alone (``serve`` leaves the web's collector be)
    gateway = clinic.gateway
    across = f", {count} processes" if count > 1 else ""
    print(f"Device gateway listening on {host}:{listening} (MLLP{across})", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    try:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), report_every_s)
            s = gateway.stats
            print(
                f"gateway{' (primary)' if pool else ''}: {s.connections} connected, "
                f"{s.received} received, {s.stored} stored, {s.duplicates} resends, "
                f"{s.rejected} rejected (AR), {s.errors} not stored (AE)",
                flush=True,
            )
    finally:
        if pool is not None:
            await pool.close()
        await clinic.close()
