"""Helpers for the alarm tests: a fixed start time and typed event filters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from ketamine_clinic.alarms.engine import AlarmEngine
from ketamine_clinic.alarms.events import AlarmEvent

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ROOM = "room-2"
E = TypeVar("E")


def t(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def of(kind: type[E], events: Iterable[AlarmEvent]) -> list[E]:
    return [event for event in events if isinstance(event, kind)]


def feed(
    engine: AlarmEngine,
    code: int,
    values: Iterable[int | str | None],
    *,
    start: float = 0,
    step: float = 1,
    room: str = ROOM,
) -> list[AlarmEvent]:
    """One value per ``step`` seconds from ``start``; the events of them all."""
    events: list[AlarmEvent] = []
    for index, value in enumerate(values):
        at = t(start + index * step)
        events += engine.observe(room, code, None if value is None else Decimal(value), at)
    return events


def started(engine: AlarmEngine | None = None, **kwargs: object) -> AlarmEngine:
    """A monitored ``ROOM``; without advisories unless ``engine`` has them (they are tested
    on their own, and would add their events to every SpO2 scenario)."""
    engine = engine or AlarmEngine(advisories=())
    engine.room_started(ROOM, T0, **kwargs)  # type: ignore[arg-type]
    return engine
