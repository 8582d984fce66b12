"""The engine's mutable state: one alarm, one advisory, one room (internal to ``engine``).

Kept apart from the events (``events``), which are immutable: the state changes as time
passes, an event is what the engine decided at one moment and never changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from ketamine_clinic.alarms.advisories import AdvisoryRule
from ketamine_clinic.alarms.enums import AlarmKind, Priority, Side
from ketamine_clinic.alarms.events import AlarmView
from ketamine_clinic.alarms.limits import AlarmRule, ClinicAlarmLimits


@dataclass(frozen=True, slots=True)
class Tier:
    """One rule's threshold on one side, ready for the hot path."""

    rule: AlarmRule
    threshold: Decimal
    delay: timedelta


@dataclass(slots=True)
class Pending:
    """A physiological condition: its tiers and their breach timers (when each began)."""

    code: int
    side: Side
    condition: str
    tiers: tuple[Tier, ...]  # least urgent first
    since: list[datetime | None]


@dataclass(slots=True)
class LiveAlarm:
    alarm_id: str
    room: str
    condition: str
    parameter_code: int | None
    kind: AlarmKind
    priority: Priority
    value: Decimal | None
    limit: Decimal | None
    message: str
    latching: bool
    raised_at: datetime
    condition_active: bool = True
    acknowledged_by: str | None = None
    silenced_until: datetime | None = None
    tier: int = 1
    next_escalation_at: datetime | None = None
    interlocked: bool = False
    worst_value: Decimal | None = None

    @property
    def audible(self) -> bool:
        return self.acknowledged_by is None and self.silenced_until is None

    def view(self) -> AlarmView:
        return AlarmView(
            alarm_id=self.alarm_id,
            room=self.room,
            condition=self.condition,
            parameter_code=self.parameter_code,
            kind=self.kind,
            priority=self.priority,
            value=self.value,
            worst_value=self.worst_value,
            limit=self.limit,
            message=self.message,
            condition_active=self.condition_active,
            acknowledged_by=self.acknowledged_by,
            silenced_until=self.silenced_until,
            audible=self.audible,
            tier=self.tier,
            raised_at=self.raised_at,
        )


@dataclass(slots=True)
class LiveAdvisory:
    advisory_id: str
    rule: AdvisoryRule
    value: Decimal
    message: str
    raised_at: datetime


@dataclass(slots=True)
class RoomState:
    key: str
    limits: ClinicAlarmLimits
    pending: dict[tuple[int, Side], Pending]
    infusing: bool = True
    last_seen: dict[int, datetime] = field(default_factory=dict)  # parameters watched for data
    last_value: dict[int, Decimal] = field(default_factory=dict)  # the last valid value
    invalid_since: dict[int, datetime] = field(default_factory=dict)
    alarms: dict[str, LiveAlarm] = field(default_factory=dict)  # by id, in raise order
    advisory_since: dict[str, datetime] = field(default_factory=dict)
    advisories: dict[str, LiveAdvisory] = field(default_factory=dict)  # by rule name
