"""What the pump has done, worked out from its events. Pure Python (no Django).

The events are the record (start, rate change, pause, resume, stop); everything a nurse
reads on the room page (rate now, time infusing, volume and dose delivered, what is
left) follows from them, so the two can never disagree. The device issue will feed the
same events from real pumps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ketamine_clinic.pharmacology.program import InfusionProgram

S_PER_H = 3600.0


class PumpEventKind(StrEnum):
    START = "start"
    RATE_CHANGE = "rate_change"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"


@dataclass(frozen=True, slots=True)
class PumpEventView:
    """One event as the arithmetic needs it: when, what, and the rate it set (mL/h)."""

    at: datetime
    kind: PumpEventKind
    rate_ml_per_h: float | None


@dataclass(frozen=True, slots=True)
class PumpState:
    started_at: datetime | None
    running: bool
    rate_ml_per_h: float  # the rate set (0 while paused or stopped)
    last_set_rate_ml_per_h: float  # what "resume" goes back to
    infusing_min: float  # time running, pauses excluded
    infused_ml: float


def pump_state(events: Sequence[PumpEventView], now: datetime) -> PumpState:
    """Replay the events up to ``now`` (later ones are ignored)."""
    started_at: datetime | None = None
    running = False
    rate = 0.0
    last_rate = 0.0
    infused_ml = 0.0
    infusing_s = 0.0
    since: datetime | None = None
    for event in sorted(events, key=lambda e: e.at):
        if event.at > now:
            break
        if running and since is not None:
            seconds = (event.at - since).total_seconds()
            infused_ml += rate * seconds / S_PER_H
            infusing_s += seconds
        since = event.at
        if event.kind in (PumpEventKind.START, PumpEventKind.RATE_CHANGE, PumpEventKind.RESUME):
            if event.kind is PumpEventKind.START:
                started_at = event.at
            rate = float(event.rate_ml_per_h or last_rate)
            last_rate = rate
            running = True
        else:  # pause or stop
            running = False
            rate = 0.0
    if running and since is not None:
        seconds = (now - since).total_seconds()
        infused_ml += rate * seconds / S_PER_H
        infusing_s += seconds
    return PumpState(
        started_at=started_at,
        running=running,
        rate_ml_per_h=rate,
        last_set_rate_ml_per_h=last_rate,
        infusing_min=infusing_s / 60.0,
        infused_ml=infused_ml,
    )


def program_of(
    events: Sequence[PumpEventView], *, concentration_mg_per_ml: float
) -> InfusionProgram:
    """The events as an infusion program (mg/h from the start, s) for the PK engine."""
    ordered = sorted(events, key=lambda e: e.at)
    if not ordered:
        return InfusionProgram((), ())
    start = ordered[0].at
    times: list[float] = []
    rates: list[float] = []
    last_rate = 0.0
    for event in ordered:
        if event.kind in (PumpEventKind.PAUSE, PumpEventKind.STOP):
            rate = 0.0
        else:
            rate = float(event.rate_ml_per_h or last_rate)
            last_rate = rate
        at_s = (event.at - start).total_seconds()
        if times and at_s <= times[-1]:
            rates[-1] = rate * concentration_mg_per_ml  # same instant: the later wins
            continue
        times.append(at_s)
        rates.append(rate * concentration_mg_per_ml)
    return InfusionProgram(tuple(times), tuple(rates))
