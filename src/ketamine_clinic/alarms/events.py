"""What the alarm engine decides: immutable events, one list per call.

The clinic stores every event as it comes: together they are the alarm history (what
alarmed, how loud, who acknowledged or silenced it and when, whom it escalated to), so
each event carries the alarm's id, room and condition and its own time and author, and
a record needs nothing else from the engine. ``AlarmView`` is the live view of one alarm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ketamine_clinic.alarms.enums import (
    AlarmChange,
    AlarmKind,
    EscalationTier,
    InterlockCommand,
    Priority,
    ProposedAction,
)


@dataclass(frozen=True, slots=True)
class AlarmRaised:
    """A new alarm: the condition lasted its delay (physiological) or a device reported it."""

    alarm_id: str
    room: str
    condition: str
    parameter_code: int | None  # the MDC term; None for a device's technical condition
    priority: Priority
    kind: AlarmKind
    value: Decimal | None
    limit: Decimal | None
    message: str  # for a nurse: "SpO2 84 %: below 85 (high priority)"
    latching: bool
    tier: int  # 1: the room's nurse (escalation raises it)
    at: datetime


@dataclass(frozen=True, slots=True)
class AlarmUpdated:
    """The alarm's priority rose, its value got worse than ever, or its condition came back
    while it was latched (``change`` says which)."""

    alarm_id: str
    room: str
    condition: str
    change: AlarmChange
    priority: Priority
    value: Decimal | None
    limit: Decimal | None
    message: str
    condition_active: bool
    audible: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class AlarmCleared:
    """The condition ended. ``latched``: the alarm stays shown until someone acknowledges it."""

    alarm_id: str
    room: str
    condition: str
    value: Decimal | None
    latched: bool
    at: datetime


@dataclass(frozen=True, slots=True)
class AlarmAcknowledged:
    """Someone took the alarm: its sound stops (it stays shown while its condition lasts)."""

    alarm_id: str
    room: str
    condition: str
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AlarmSilenced:
    """Audio paused until ``until``; the sound comes back then if the alarm is still on."""

    alarm_id: str
    room: str
    condition: str
    by: str
    until: datetime
    at: datetime


@dataclass(frozen=True, slots=True)
class AlarmSilenceEnded:
    alarm_id: str
    room: str
    condition: str
    audible: bool  # whether the sound is back (not if it was acknowledged meanwhile)
    at: datetime


@dataclass(frozen=True, slots=True)
class AlarmEscalated:
    """A high-priority alarm not acknowledged in time now reaches ``tier`` (``to``)."""

    alarm_id: str
    room: str
    condition: str
    tier: int
    to: EscalationTier
    at: datetime


@dataclass(frozen=True, slots=True)
class AlarmEnded:
    """Finally off: the condition is gone and, if it latched, it was acknowledged."""

    alarm_id: str
    room: str
    condition: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AdvisoryRaised:
    """A ketamine advisory: shown and recorded, no sound; the clinician decides."""

    advisory_id: str
    room: str
    advisory: str
    parameter_code: int
    value: Decimal
    limit: Decimal
    message: str  # "SBP 186 > 180: consider lowering the rate or pausing"
    proposed_action: ProposedAction
    at: datetime


@dataclass(frozen=True, slots=True)
class AdvisoryCleared:
    advisory_id: str
    room: str
    advisory: str
    value: Decimal | None
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class InterlockAction:
    """The clinic's interlock asks the room's pump to pause (sent as PCD-03), and why."""

    room: str
    command: InterlockCommand
    alarm_id: str
    reason: str
    at: datetime


AlarmEvent = (
    AlarmRaised
    | AlarmUpdated
    | AlarmCleared
    | AlarmAcknowledged
    | AlarmSilenced
    | AlarmSilenceEnded
    | AlarmEscalated
    | AlarmEnded
    | AdvisoryRaised
    | AdvisoryCleared
    | InterlockAction
)


@dataclass(frozen=True, slots=True)
class AlarmView:
    """One alarm (or advisory) as the live view shows it now."""

    alarm_id: str
    room: str
    condition: str
    parameter_code: int | None
    kind: AlarmKind
    priority: Priority | None  # None for an advisory
    value: Decimal | None  # the last value
    worst_value: Decimal | None  # the worst since it was raised
    limit: Decimal | None
    message: str
    condition_active: bool
    acknowledged_by: str | None
    silenced_until: datetime | None
    audible: bool
    tier: int
    raised_at: datetime
