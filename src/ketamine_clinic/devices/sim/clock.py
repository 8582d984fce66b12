"""The simulators' time: one object gives ``now()`` and ``sleep()``, so tests run fast.

A ``SimClock`` runs ``scale`` times faster than the wall clock: at ``scale=100`` a
simulated minute takes 0.6 s. Everything in the simulators reads time from it and
schedules by simulated seconds, and message times are the scheduled simulated times, so a
test asserts on what was sent, never on how long it took.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta


class SimClock:
    """Simulated time: ``start`` plus the monotonic wall time elapsed, times ``scale``."""

    def __init__(self, *, scale: float = 1.0, start: datetime | None = None) -> None:
        if not scale > 0:
            raise ValueError("scale: must be > 0")
        if start is not None and start.tzinfo is None:
            raise ValueError("start: must be timezone-aware")
        self.scale = float(scale)
        self.start = start or datetime.now(UTC)
        self._t0 = time.monotonic()

    def elapsed_s(self) -> float:
        """Simulated seconds since ``start``."""
        return (time.monotonic() - self._t0) * self.scale

    def at(self, elapsed_s: float) -> datetime:
        """The simulated moment ``elapsed_s`` seconds after ``start``."""
        return self.start + timedelta(seconds=elapsed_s)

    def now(self) -> datetime:
        return self.at(self.elapsed_s())

    def real_s(self, simulated_s: float) -> float:
        """Wall seconds for ``simulated_s`` simulated seconds (for socket timeouts)."""
        return simulated_s / self.scale

    async def sleep(self, simulated_s: float) -> None:
        await asyncio.sleep(max(0.0, simulated_s) / self.scale)

    async def sleep_until(self, elapsed_s: float) -> None:
        """Sleep until ``elapsed_s`` simulated seconds after ``start`` (at once if past)."""
        await self.sleep(elapsed_s - self.elapsed_s())
