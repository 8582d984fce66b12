"""The alarm engine: IEC 60601-1-8 alarm conditions from observations, in one place per room.

``AlarmEngine`` keeps the state of every alarm condition per (room, condition) and answers
each input with the events it caused. Every input carries its own time (``at``): there is
no clock inside, so the same inputs always give the same events, a replay of the day's
data gives the day's alarms, and tests step time exactly.

What it does, and why (IEC 60601-1-8, reference/devices.md):
- A breach must last the rule's condition delay before it is an alarm; a value back
  inside resets it. Most short breaches are artefacts, and alarm fatigue is the danger.
- Several tiers on one side make one condition; its priority rises with the worst tier
  that lasted its own delay (SpO2 89 medium -> 84 high) and never falls within one alarm.
- An invalid value is never a breach; it resets a pending breach, and invalid for
  ``invalid_s`` is a technical alarm. It does not end an alarm already raised: nobody
  knows yet that the patient recovered.
- No data for a parameter for ``no_data_s`` is a technical alarm (only in a room whose
  monitoring started, only for parameters it expects or has seen).
- Acknowledge stops the sound; the alarm stays shown while its condition lasts. Silence
  pauses the sound for a bounded time. A latching alarm stays after its condition ends
  until someone acknowledges it, so an episode nobody saw is still seen.
- A high-priority alarm not acknowledged within ``escalation_after_s`` goes to the next
  tier (the room's nurse, every station, the prescriber): each step is an event.
- Ketamine advisories (reference/clinical.md) are shown and recorded, never sounded.
- The interlock (off by default): a high-priority desaturation in a room with an infusion
  running asks the pump to pause, once per alarm.

Rooms are ignored until ``room_started``: the engine is told when a patient is being
monitored, so a monitor left on in an empty room does not alarm the station.
``observe`` is called for every numeric, so its work is a few dict look-ups.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from ketamine_clinic.alarms.advisories import KETAMINE_ADVISORIES, AdvisoryRule
from ketamine_clinic.alarms.enums import (
    DEVICE_REPORTED,
    PRIORITY_RANK,
    TIERS,
    AlarmChange,
    AlarmKind,
    InterlockCommand,
    Priority,
    Side,
    TechnicalKind,
)
from ketamine_clinic.alarms.events import (
    AdvisoryCleared,
    AdvisoryRaised,
    AlarmAcknowledged,
    AlarmCleared,
    AlarmEnded,
    AlarmEscalated,
    AlarmEvent,
    AlarmRaised,
    AlarmSilenced,
    AlarmSilenceEnded,
    AlarmUpdated,
    AlarmView,
    InterlockAction,
)
from ketamine_clinic.alarms.limits import ClinicAlarmLimits, label
from ketamine_clinic.alarms.live import LiveAdvisory, LiveAlarm, Pending, RoomState, Tier
from ketamine_clinic.alarms.messages import (
    INVALID_GROUP,
    TECHNICAL_MESSAGES,
    invalid_condition,
    invalid_message,
    no_data_condition,
    no_data_message,
    physiological_message,
)
from ketamine_clinic.alarms.policy import AlarmPolicy
from ketamine_clinic.devices import mdc


class AlarmInputInvalid(ValueError):
    """An input the engine cannot use: ``field`` and the reason; nothing changed."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class AlarmNotActive(LookupError):
    """Acknowledge or silence of an alarm (or room) that is not on: it ended, or never was."""


_SIDES: Final = (Side.LOW, Side.HIGH)


class AlarmEngine:
    """The clinic's alarm state for every monitored room (see the module's docstring).

    ``limits`` are the clinic's; a room may get a patient's (``effective_limits``) when its
    monitoring starts. Every method returns the events it caused, in order.
    """

    def __init__(
        self,
        limits: ClinicAlarmLimits | None = None,
        policy: AlarmPolicy | None = None,
        advisories: Iterable[AdvisoryRule] = KETAMINE_ADVISORIES,
    ) -> None:
        self._limits = limits or ClinicAlarmLimits()
        self._policy = policy or AlarmPolicy()
        self._advisories: dict[int, tuple[AdvisoryRule, ...]] = {}
        self._advisory_by_name: dict[str, AdvisoryRule] = {}
        for rule in advisories:
            if rule.name in self._advisory_by_name:
                raise AlarmInputInvalid("advisories", f"two advisories named {rule.name!r}")
            self._advisory_by_name[rule.name] = rule
            code = rule.parameter.code
            self._advisories[code] = (*self._advisories.get(code, ()), rule)
        self._invalid = timedelta(seconds=self._policy.invalid_s)
        self._escalation = timedelta(seconds=self._policy.escalation_after_s)
        self._no_data = {code: timedelta(seconds=s) for code, s in self._policy.no_data_s.items()}
        self._rooms: dict[str, RoomState] = {}
        self._alarms: dict[str, LiveAlarm] = {}
        self._by_condition: dict[tuple[str, str], LiveAlarm] = {}
        self._last_stamp: dict[tuple[str, str], tuple[str, int]] = {}

    # Rooms -----------------------------------------------------------------------------

    def room_started(
        self,
        room: str,
        at: datetime,
        *,
        limits: ClinicAlarmLimits | None = None,
        expected: Iterable[int] = (),
        infusing: bool = True,
    ) -> list[AlarmEvent]:
        """Monitoring of ``room`` starts: its alarms count from now.

        ``limits``: the patient's effective limits (the clinic's when None). ``expected``:
        MDC codes the room's monitor should send; they alarm "no data" even if they never
        came. Other parameters are watched from their first value on.
        """
        _aware(at)
        if room in self._rooms:
            raise AlarmInputInvalid("room", f"monitoring of {room!r} has already started")
        state = RoomState(key=room, limits=self._limits, pending={}, infusing=infusing)
        self._rooms[room] = state
        self._set_limits(state, limits or self._limits)
        for code in expected:
            if code in self._no_data:
                state.last_seen[code] = at
        return []

    def room_limits(self, room: str, limits: ClinicAlarmLimits, at: datetime) -> list[AlarmEvent]:
        """The patient's limits changed (a prescriber's adjustment during the visit).

        Pending breaches start again under the new limits; an alarm already raised stays
        until a value inside the new limits arrives.
        """
        _aware(at)
        self._set_limits(self._room(room), limits)
        return []

    def infusion_running(self, room: str, running: bool, at: datetime) -> list[AlarmEvent]:
        """Whether the room's infusion runs: advisories and the interlock only apply then."""
        state = self._room(room)
        _aware(at)
        state.infusing = running
        events: list[AlarmEvent] = []
        if not running:
            for name in list(state.advisories):
                self._clear_advisory(state, name, None, "the infusion is not running", at, events)
            state.advisory_since.clear()
        return events

    def room_ended(self, room: str, at: datetime) -> list[AlarmEvent]:
        """Monitoring of ``room`` stops: its alarms and advisories end with it."""
        state = self._room(room)
        _aware(at)
        events: list[AlarmEvent] = []
        for alarm in list(state.alarms.values()):
            self._end(alarm, "monitoring of the room ended", at, events)
        for name in list(state.advisories):
            self._clear_advisory(state, name, None, "monitoring of the room ended", at, events)
        del self._rooms[room]
        return events

    # Inputs ----------------------------------------------------------------------------

    def observe(
        self, room: str, code: int, value: Decimal | None, at: datetime
    ) -> list[AlarmEvent]:
        """One numeric from a monitor (``None``: the device said its value is invalid)."""
        state = self._rooms.get(room)
        if state is None:
            return []
        if at.tzinfo is None:
            raise AlarmInputInvalid("at", "a time without a zone cannot be compared")
        events: list[AlarmEvent] = []
        if code in self._no_data:
            state.last_seen[code] = at
            gone = self._by_condition.get((room, no_data_condition(code)))
            if gone is not None and gone.condition_active:
                self._condition_gone(gone, None, at, events)
        if value is None:
            self._invalid_value(state, code, at, events)
            return events
        group = INVALID_GROUP.get(code, code)
        if state.invalid_since.pop(group, None) is not None:
            gone = self._by_condition.get((room, invalid_condition(group)))
            if gone is not None and gone.condition_active:
                self._condition_gone(gone, value, at, events)
        state.last_value[code] = value
        for side in _SIDES:
            pending = state.pending.get((code, side))
            if pending is not None:
                self._evaluate(state, pending, value, at, events)
        advisories = self._advisories.get(code)
        if advisories is not None and state.infusing:
            for rule in advisories:
                self._evaluate_advisory(state, rule, value, at, events)
        return events

    def technical(
        self,
        room: str,
        kind: TechnicalKind,
        at: datetime,
        active: bool,
        *,
        source: str = "",
    ) -> list[AlarmEvent]:
        """A device reported a technical condition starting (``active``) or ending.

        ``source`` tells two of a kind apart (which pump, which probe); it becomes part of
        the condition. The device has already decided: there is no condition delay here.
        """
        _aware(at)
        if kind not in DEVICE_REPORTED:
            raise AlarmInputInvalid("kind", f"{kind} is decided by the engine, not reported")
        state = self._rooms.get(room)
        if state is None:
            return []
        condition = f"{kind}:{source}" if source else str(kind)
        events: list[AlarmEvent] = []
        alarm = self._by_condition.get((room, condition))
        if active:
            message = TECHNICAL_MESSAGES[kind] + (f" ({source})" if source else "")
            if alarm is None:
                self._raise(
                    state,
                    condition=condition,
                    parameter_code=None,
                    kind=AlarmKind.TECHNICAL,
                    priority=self._policy.technical_priority[kind],
                    value=None,
                    limit=None,
                    message=message,
                    latching=self._policy.technical_latching,
                    at=at,
                    events=events,
                )
            elif not alarm.condition_active:
                self._reactivate(alarm, None, at, events)
        elif alarm is not None and alarm.condition_active:
            self._condition_gone(alarm, None, at, events)
        return events

    def tick(self, at: datetime) -> list[AlarmEvent]:
        """Time passed: no data, invalid for too long, delays run out, silences end, escalation."""
        _aware(at)
        events: list[AlarmEvent] = []
        for state in self._rooms.values():
            for code, last in state.last_seen.items():
                if at - last >= self._no_data[code]:
                    self._technical_found(state, code, TechnicalKind.NO_DATA, at, events)
            for code, since in state.invalid_since.items():
                if at - since >= self._invalid:
                    self._technical_found(state, code, TechnicalKind.INVALID_VALUE, at, events)
            for pending in state.pending.values():
                last_value = state.last_value.get(pending.code)
                if last_value is not None and any(since is not None for since in pending.since):
                    # The last value stands until the next one: a breach that outlasts its
                    # delay alarms even if the next value is late.
                    self._evaluate(state, pending, last_value, at, events)
            for alarm in list(state.alarms.values()):
                self._tick_alarm(alarm, at, events)
            for name, since in list(state.advisory_since.items()):
                if name in state.advisories:
                    continue
                rule = self._advisory_by_name[name]
                value = state.last_value.get(rule.parameter.code)
                if value is not None and at - since >= timedelta(seconds=rule.delay_s):
                    self._evaluate_advisory(state, rule, value, at, events)
        return events

    def acknowledge(self, alarm_id: str, by: str, at: datetime) -> list[AlarmEvent]:
        """Someone takes the alarm: its sound and escalation stop; it stays shown while its
        condition lasts, and a latched alarm whose condition is over ends now."""
        _aware(at)
        if not by.strip():
            raise AlarmInputInvalid("by", "an acknowledgement needs the person's name")
        alarm = self._alarms.get(alarm_id)
        if alarm is None:
            raise AlarmNotActive(f"alarm {alarm_id!r} is not active (it ended, or never was)")
        events: list[AlarmEvent] = []
        if alarm.acknowledged_by is not None:
            return events
        alarm.acknowledged_by = by
        alarm.silenced_until = None
        alarm.next_escalation_at = None
        events.append(AlarmAcknowledged(alarm_id, alarm.room, alarm.condition, by, at))
        if not alarm.condition_active:
            self._end(alarm, "acknowledged after its condition ended", at, events)
        return events

    def silence(self, target: str, by: str, at: datetime, seconds: int) -> list[AlarmEvent]:
        """Pause the sound of one alarm (its id) or of every alarm in a room (its key).

        Bounded by the policy's ``max_silence_s``: the sound comes back by itself if the
        alarm is still on, since a silence nobody ends must not become an alarm switched
        off. Silence is not acknowledgement: escalation goes on.
        """
        _aware(at)
        if not by.strip():
            raise AlarmInputInvalid("by", "a silence needs the person's name")
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise AlarmInputInvalid("seconds", "a whole number of seconds")
        if not 1 <= seconds <= self._policy.max_silence_s:
            raise AlarmInputInvalid(
                "seconds", f"{seconds} is outside 1-{self._policy.max_silence_s}"
            )
        alarm = self._alarms.get(target)
        if alarm is not None:
            targets = [alarm]
        elif target in self._rooms:
            targets = [a for a in self._rooms[target].alarms.values() if a.acknowledged_by is None]
        else:
            raise AlarmNotActive(f"{target!r} is neither an active alarm nor a monitored room")
        until = at + timedelta(seconds=seconds)
        events: list[AlarmEvent] = []
        for alarm in targets:
            alarm.silenced_until = until
            events.append(AlarmSilenced(alarm.alarm_id, alarm.room, alarm.condition, by, until, at))
        return events

    # Reads -----------------------------------------------------------------------------

    def state(self, room: str) -> tuple[AlarmView, ...]:
        """The room's alarms now, most urgent first, then its advisories (never audible)."""
        state = self._rooms.get(room)
        if state is None:
            return ()
        alarms = sorted(
            state.alarms.values(),
            key=lambda a: (-PRIORITY_RANK[a.priority], a.raised_at, a.alarm_id),
        )
        return tuple(a.view() for a in alarms) + tuple(
            AlarmView(
                alarm_id=advisory.advisory_id,
                room=room,
                condition=f"advisory:{advisory.rule.name}",
                parameter_code=advisory.rule.parameter.code,
                kind=AlarmKind.ADVISORY,
                priority=None,
                value=advisory.value,
                worst_value=advisory.value,
                limit=advisory.rule.limit,
                message=advisory.message,
                condition_active=True,
                acknowledged_by=None,
                silenced_until=None,
                audible=False,
                tier=1,
                raised_at=advisory.raised_at,
            )
            for advisory in state.advisories.values()
        )

    @property
    def rooms(self) -> tuple[str, ...]:
        return tuple(self._rooms)

    # Physiological conditions ----------------------------------------------------------

    def _set_limits(self, state: RoomState, limits: ClinicAlarmLimits) -> None:
        state.limits = limits
        state.pending = {}
        for code in sorted(limits.parameters):
            rules = limits.for_parameter(code)
            for side in _SIDES:
                tiers = tuple(
                    Tier(rule, threshold, timedelta(seconds=rule.delay_s))
                    for rule in rules
                    if (threshold := rule.threshold(side)) is not None
                )
                if tiers:
                    state.pending[(code, side)] = Pending(
                        code=code,
                        side=side,
                        condition=f"{rules[0].parameter.name}:{side}",
                        tiers=tiers,
                        since=[None] * len(tiers),
                    )

    def _evaluate(
        self,
        state: RoomState,
        pending: Pending,
        value: Decimal,
        at: datetime,
        events: list[AlarmEvent],
    ) -> None:
        low = pending.side is Side.LOW
        worst: Tier | None = None
        breached_any = False
        since = pending.since
        for index, tier in enumerate(pending.tiers):
            if (value < tier.threshold) if low else (value > tier.threshold):
                breached_any = True
                started = since[index]
                if started is None:
                    since[index] = started = at
                if at - started >= tier.delay:
                    worst = tier
            else:
                since[index] = None
        alarm = self._by_condition.get((state.key, pending.condition))
        if worst is not None:
            if alarm is None:
                alarm = self._raise(
                    state,
                    condition=pending.condition,
                    parameter_code=pending.code,
                    kind=AlarmKind.PHYSIOLOGICAL,
                    priority=worst.rule.priority,
                    value=value,
                    limit=worst.threshold,
                    message=physiological_message(
                        pending.code, pending.side, value, worst.threshold, worst.rule.priority
                    ),
                    latching=worst.rule.latching,
                    at=at,
                    events=events,
                )
            else:
                self._still_on(alarm, pending, worst, value, at, events)
            self._interlock(state, alarm, at, events)
        elif alarm is not None and alarm.condition_active:
            if breached_any:
                self._still_on(alarm, pending, None, value, at, events)
            else:
                self._condition_gone(alarm, value, at, events)

    def _still_on(
        self,
        alarm: LiveAlarm,
        pending: Pending,
        tier: Tier | None,
        value: Decimal,
        at: datetime,
        events: list[AlarmEvent],
    ) -> None:
        """A breaching value for a raised alarm (``tier``: the worst tier past its delay)."""
        alarm.value = value
        worst = alarm.worst_value
        worse = worst is None or (value < worst if pending.side is Side.LOW else value > worst)
        if worse:
            alarm.worst_value = value
        if not alarm.condition_active:
            self._reactivate(alarm, value, at, events)
            worse = False  # the event that says it is back carries the value
        if tier is not None and PRIORITY_RANK[tier.rule.priority] > PRIORITY_RANK[alarm.priority]:
            self._upgrade(alarm, pending, tier, value, at, events)
        elif worse:
            events.append(_updated(alarm, AlarmChange.WORSE_VALUE, at))

    def _upgrade(
        self,
        alarm: LiveAlarm,
        pending: Pending,
        tier: Tier,
        value: Decimal,
        at: datetime,
        events: list[AlarmEvent],
    ) -> None:
        """The condition got worse: the higher priority sounds again, even if acknowledged."""
        alarm.priority = tier.rule.priority
        alarm.limit = tier.threshold
        alarm.latching = alarm.latching or tier.rule.latching
        alarm.message = physiological_message(
            pending.code, pending.side, value, tier.threshold, tier.rule.priority
        )
        alarm.acknowledged_by = None
        alarm.silenced_until = None
        if alarm.priority is Priority.HIGH and alarm.next_escalation_at is None:
            alarm.next_escalation_at = at + self._escalation
        events.append(_updated(alarm, AlarmChange.PRIORITY_RAISED, at))

    def _interlock(
        self, state: RoomState, alarm: LiveAlarm, at: datetime, events: list[AlarmEvent]
    ) -> None:
        """A high-priority desaturation pauses the pump, when the clinic switched it on."""
        if (
            alarm.priority is Priority.HIGH
            and not alarm.interlocked
            and alarm.parameter_code == mdc.SPO2.code
            and alarm.kind is AlarmKind.PHYSIOLOGICAL
            and self._policy.interlock_enabled
            and state.infusing
        ):
            alarm.interlocked = True
            events.append(
                InterlockAction(
                    room=state.key,
                    command=InterlockCommand.PAUSE_PUMP,
                    alarm_id=alarm.alarm_id,
                    reason=f"interlock: {alarm.message}",
                    at=at,
                )
            )

    # Technical conditions found here ---------------------------------------------------

    def _invalid_value(
        self, state: RoomState, code: int, at: datetime, events: list[AlarmEvent]
    ) -> None:
        """An invalid value is never a breach: pending breaches start again; too long is technical."""
        for side in _SIDES:
            pending = state.pending.get((code, side))
            if pending is not None:
                pending.since = [None] * len(pending.tiers)
        for rule in self._advisories.get(code, ()):
            state.advisory_since.pop(rule.name, None)
        if (
            code not in self._no_data
            and (code, Side.LOW) not in state.pending
            and (code, Side.HIGH) not in state.pending
        ):
            return
        group = INVALID_GROUP.get(code, code)
        since = state.invalid_since.setdefault(group, at)
        if at - since >= self._invalid:
            self._technical_found(state, group, TechnicalKind.INVALID_VALUE, at, events)

    def _technical_found(
        self,
        state: RoomState,
        code: int,
        kind: TechnicalKind,
        at: datetime,
        events: list[AlarmEvent],
    ) -> None:
        condition = (
            no_data_condition(code) if kind is TechnicalKind.NO_DATA else invalid_condition(code)
        )
        alarm = self._by_condition.get((state.key, condition))
        if alarm is not None:
            if not alarm.condition_active:
                self._reactivate(alarm, None, at, events)
            return
        if kind is TechnicalKind.NO_DATA:
            message = no_data_message(code, int(self._no_data[code].total_seconds()))
        else:
            message = invalid_message(code)
        self._raise(
            state,
            condition=condition,
            parameter_code=code,
            kind=AlarmKind.TECHNICAL,
            priority=self._policy.technical_priority[kind],
            value=None,
            limit=None,
            message=message,
            latching=self._policy.technical_latching,
            at=at,
            events=events,
        )

    # Advisories ------------------------------------------------------------------------

    def _evaluate_advisory(
        self,
        state: RoomState,
        rule: AdvisoryRule,
        value: Decimal,
        at: datetime,
        events: list[AlarmEvent],
    ) -> None:
        name = rule.name
        if not rule.breached(value):
            state.advisory_since.pop(name, None)
            if name in state.advisories:
                self._clear_advisory(state, name, value, "the value is back inside", at, events)
            return
        since = state.advisory_since.setdefault(name, at)
        if name in state.advisories:
            state.advisories[name].value = value
            return
        if at - since < timedelta(seconds=rule.delay_s):
            return
        op = "<" if rule.side is Side.LOW else ">"
        lasting = f" for {rule.delay_s} s" if rule.say_duration else ""
        message = (
            f"{label(rule.parameter.code).short} {value} {op} {rule.limit}{lasting}: {rule.advice}"
        )
        advisory_id = self._new_id(state.key, f"advisory:{name}", at)
        state.advisories[name] = LiveAdvisory(advisory_id, rule, value, message, at)
        events.append(
            AdvisoryRaised(
                advisory_id=advisory_id,
                room=state.key,
                advisory=name,
                parameter_code=rule.parameter.code,
                value=value,
                limit=rule.limit,
                message=message,
                proposed_action=rule.action,
                at=at,
            )
        )

    def _clear_advisory(
        self,
        state: RoomState,
        name: str,
        value: Decimal | None,
        reason: str,
        at: datetime,
        events: list[AlarmEvent],
    ) -> None:
        advisory = state.advisories.pop(name)
        events.append(AdvisoryCleared(advisory.advisory_id, state.key, name, value, reason, at))

    # One alarm's life ------------------------------------------------------------------

    def _raise(
        self,
        state: RoomState,
        *,
        condition: str,
        parameter_code: int | None,
        kind: AlarmKind,
        priority: Priority,
        value: Decimal | None,
        limit: Decimal | None,
        message: str,
        latching: bool,
        at: datetime,
        events: list[AlarmEvent],
    ) -> LiveAlarm:
        alarm = LiveAlarm(
            alarm_id=self._new_id(state.key, condition, at),
            room=state.key,
            condition=condition,
            parameter_code=parameter_code,
            kind=kind,
            priority=priority,
            value=value,
            limit=limit,
            message=message,
            latching=latching,
            raised_at=at,
            worst_value=value,
            next_escalation_at=at + self._escalation if priority is Priority.HIGH else None,
        )
        self._alarms[alarm.alarm_id] = alarm
        self._by_condition[(state.key, condition)] = alarm
        state.alarms[alarm.alarm_id] = alarm
        events.append(
            AlarmRaised(
                alarm_id=alarm.alarm_id,
                room=state.key,
                condition=condition,
                parameter_code=parameter_code,
                priority=priority,
                kind=kind,
                value=value,
                limit=limit,
                message=message,
                latching=latching,
                tier=alarm.tier,
                at=at,
            )
        )
        return alarm

    def _new_id(self, room: str, condition: str, at: datetime) -> str:
        """``room/condition/UTC time``: deterministic, and unique across engine restarts
        (a counter alone would start again at 1 and collide with stored records)."""
        stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        last = self._last_stamp.get((room, condition))
        count = last[1] + 1 if last is not None and last[0] == stamp else 1
        self._last_stamp[(room, condition)] = (stamp, count)
        suffix = f"-{count}" if count > 1 else ""
        return f"{room}/{condition}/{stamp}{suffix}"

    def _reactivate(
        self, alarm: LiveAlarm, value: Decimal | None, at: datetime, events: list[AlarmEvent]
    ) -> None:
        """A latched alarm's condition came back before anyone acknowledged it."""
        alarm.condition_active = True
        alarm.value = value
        events.append(_updated(alarm, AlarmChange.CONDITION_BACK, at))

    def _condition_gone(
        self, alarm: LiveAlarm, value: Decimal | None, at: datetime, events: list[AlarmEvent]
    ) -> None:
        alarm.condition_active = False
        latched = alarm.latching and alarm.acknowledged_by is None
        events.append(AlarmCleared(alarm.alarm_id, alarm.room, alarm.condition, value, latched, at))
        if not latched:
            self._end(alarm, "its condition ended", at, events)

    def _end(self, alarm: LiveAlarm, reason: str, at: datetime, events: list[AlarmEvent]) -> None:
        del self._alarms[alarm.alarm_id]
        del self._by_condition[(alarm.room, alarm.condition)]
        del self._rooms[alarm.room].alarms[alarm.alarm_id]
        events.append(AlarmEnded(alarm.alarm_id, alarm.room, alarm.condition, reason, at))

    def _tick_alarm(self, alarm: LiveAlarm, at: datetime, events: list[AlarmEvent]) -> None:
        if alarm.silenced_until is not None and at >= alarm.silenced_until:
            alarm.silenced_until = None
            events.append(
                AlarmSilenceEnded(alarm.alarm_id, alarm.room, alarm.condition, alarm.audible, at)
            )
        while (
            alarm.next_escalation_at is not None
            and alarm.acknowledged_by is None
            and at >= alarm.next_escalation_at
        ):
            alarm.tier += 1
            events.append(
                AlarmEscalated(
                    alarm.alarm_id, alarm.room, alarm.condition, alarm.tier, TIERS[alarm.tier], at
                )
            )
            alarm.next_escalation_at = (
                alarm.next_escalation_at + self._escalation if alarm.tier < len(TIERS) else None
            )

    def _room(self, room: str) -> RoomState:
        state = self._rooms.get(room)
        if state is None:
            raise AlarmInputInvalid("room", f"monitoring of {room!r} has not started")
        return state


def _aware(at: datetime) -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise AlarmInputInvalid("at", "a time without a zone cannot be compared")


def _updated(alarm: LiveAlarm, change: AlarmChange, at: datetime) -> AlarmUpdated:
    return AlarmUpdated(
        alarm_id=alarm.alarm_id,
        room=alarm.room,
        condition=alarm.condition,
        change=change,
        priority=alarm.priority,
        value=alarm.value,
        limit=alarm.limit,
        message=alarm.message,
        condition_active=alarm.condition_active,
        audible=alarm.audible,
        at=at,
    )
