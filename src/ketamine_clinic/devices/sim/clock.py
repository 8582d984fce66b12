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
from typing import Protocol


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


class Clock(Protocol):
    """What the simulators need of a clock (``SimClock``, or ``ManualClock`` in tests)."""

    scale: float
    start: datetime

    def elapsed_s(self) -> float: ...
    def at(self, elapsed_s: float) -> datetime: ...
    def now(self) -> datetime: ...
    def real_s(self, simulated_s: float) -> float: ...
    async def sleep(self, simulated_s: float) -> None: ...
    async def sleep_until(self, elapsed_s: float) -> None: ...


class ManualClock:
    """A clock that moves only when told (``advance``): for exact known-answer tests of
    things that read the time but do not wait on it (the pump's buttons and programs)."""

    def __init__(self, *, start: datetime, scale: float = 1.0) -> None:
        self.start = start
        self.scale = scale
        self._elapsed_s = 0.0

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("seconds: time does not go backwards")
        self._elapsed_s += seconds

    def elapsed_s(self) -> float:
        return self._elapsed_s

    def at(self, elapsed_s: float) -> datetime:
        return self.start + timedelta(seconds=elapsed_s)

    def now(self) -> datetime:
        return self.at(self._elapsed_s)

    def real_s(self, simulated_s: float) -> float:
        return simulated_s / self.scale

    async def sleep(self, simulated_s: float) -> None:
        """Time jumps ahead by ``simulated_s`` (after one turn of the event loop)."""
        await asyncio.sleep(0)
        self._elapsed_s += max(0.0, simulated_s)

    async def sleep_until(self, elapsed_s: float) -> None:
        await self.sleep(elapsed_s - self._elapsed_s)
