"""The device gateway wired to the clinic: storage on the database, the clinic's zone.

``devices.gateway`` knows nothing of Django; this is where the clinic plugs in its
storage and, after each commit, what the stored data sets off (live views, alarms).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from zoneinfo import ZoneInfo

from django.conf import settings

from ketamine_clinic.devices.gateway import Gateway
from ketamine_clinic.monitoring.publisher import LivePublisher
from ketamine_clinic.monitoring.storage import DatabaseStorage

log = logging.getLogger("ketamine_clinic.monitoring.gateway")


def default_writers() -> int:
    """SQLite takes one writer at a time; PostgreSQL commits from two in parallel."""
    engine = settings.DATABASES["default"]["ENGINE"]
    return 1 if engine.endswith("sqlite3") else 2


def clinic_gateway(
    *, writers: int | None = None, max_batch: int = 500, live: bool = True
) -> Gateway:
    """The gateway on the clinic's database; with ``live``, what it stores is published
    to the live views after each commit."""
    return Gateway(
        DatabaseStorage(),
        local_zone=ZoneInfo(settings.TIME_ZONE),
        writers=writers or default_writers(),
        max_batch=max_batch,
        after_commit=LivePublisher() if live else None,
    )


async def serve_gateway(
    host: str, port: int, *, writers: int | None = None, report_every_s: float = 60.0
) -> None:
    """Run until SIGINT/SIGTERM; print where it listens and, every minute, its counts."""
    gateway = clinic_gateway(writers=writers)
    await gateway.start(host, port)
    print(f"Device gateway listening on {host}:{gateway.port} (MLLP)", flush=True)
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
                f"gateway: {s.connections} connected, {s.received} received, {s.stored} stored, "
                f"{s.duplicates} resends, {s.rejected} rejected (AR), {s.errors} not stored (AE)",
                flush=True,
            )
    finally:
        await gateway.close()
