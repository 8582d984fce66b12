"""Properties of the engine over random, time-stepped input sequences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from ketamine_clinic.alarms.engine import AlarmEngine
from ketamine_clinic.alarms.enums import PRIORITY_RANK, AlarmKind, Priority, TechnicalKind
from ketamine_clinic.alarms.events import (
    AlarmAcknowledged,
    AlarmEnded,
    AlarmEvent,
    AlarmRaised,
    AlarmUpdated,
    InterlockAction,
)
from ketamine_clinic.alarms.policy import AlarmPolicy
from ketamine_clinic.devices import mdc
from tests.alarms.support import ROOM, T0, of, t

SPO2 = mdc.SPO2.code
HR = mdc.HEART_RATE.code
SBP = mdc.NIBP_SYSTOLIC.code


@dataclass(frozen=True)
class Observe:
    code: int
    value: Decimal | None


@dataclass(frozen=True)
class Tick:
    pass


@dataclass(frozen=True)
class Acknowledge:
    which: int  # index into the room's alarms now


@dataclass(frozen=True)
class Silence:
    which: int
    seconds: int


@dataclass(frozen=True)
class Technical:
    kind: TechnicalKind
    active: bool


Op = Observe | Tick | Acknowledge | Silence | Technical

_values = {
    SPO2: st.integers(70, 100) | st.integers(80, 86),  # often near the desaturation limit
    HR: st.integers(30, 160),
    SBP: st.integers(70, 220),
}
observe = st.sampled_from(sorted(_values)).flatmap(
    lambda code: st.builds(
        Observe,
        st.just(code),
        st.one_of(st.none(), _values[code].map(Decimal)) | _values[code].map(Decimal),
    )
)
ops = st.lists(
    st.tuples(
        st.integers(0, 8),  # seconds since the previous input
        st.one_of(
            observe,
            observe,
            observe,
            st.just(Tick()),
            st.builds(Acknowledge, st.integers(0, 5)),
            st.builds(Silence, st.integers(0, 5), st.integers(1, 120)),
            st.builds(
                Technical,
                st.sampled_from([TechnicalKind.PUMP_OCCLUSION, TechnicalKind.SENSOR_OFF]),
                st.booleans(),
            ),
        ),
    ),
    max_size=80,
)


def run(engine: AlarmEngine, steps: list[tuple[int, Op]], start: float = 0) -> list[AlarmEvent]:
    """Apply ``steps`` from ``start`` seconds; checks acknowledgement never changes whether
    a condition is active, and returns every event."""
    events: list[AlarmEvent] = []
    now = t(start)
    for gap, op in steps:
        now += timedelta(seconds=gap)
        if isinstance(op, Observe):
            events += engine.observe(ROOM, op.code, op.value, now)
        elif isinstance(op, Tick):
            events += engine.tick(now)
        elif isinstance(op, Technical):
            events += engine.technical(ROOM, op.kind, now, op.active)
        else:
            views = engine.state(ROOM)
            alarms = [v for v in views if v.kind is not AlarmKind.ADVISORY]
            if not alarms:
                continue
            target = alarms[op.which % len(alarms)]
            if isinstance(op, Acknowledge):
                before = {v.alarm_id: v.condition_active for v in engine.state(ROOM)}
                events += engine.acknowledge(target.alarm_id, "nurse.lee", now)
                after = {v.alarm_id: v.condition_active for v in engine.state(ROOM)}
                for alarm_id, active in before.items():
                    if alarm_id in after:
                        assert after[alarm_id] == active
                    else:  # only an alarm whose condition was over can end on acknowledgement
                        assert alarm_id == target.alarm_id
                        assert active is False
            else:
                events += engine.silence(target.alarm_id, "nurse.lee", now, op.seconds)
    return events


def _engine(interlock: bool = False) -> AlarmEngine:
    engine = AlarmEngine(policy=AlarmPolicy(interlock_enabled=interlock))
    engine.room_started(ROOM, T0, expected=[SPO2, HR])
    return engine


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 10), st.integers(70, 89), st.integers(0, 3)), max_size=20))
def test_a_breach_shorter_than_its_delay_never_raises(
    runs: list[tuple[int, int, int]],
) -> None:
    """Runs of SpO2 below 90 lasting under 10 s (the shortest delay), each followed by a
    value inside, with ticks in between: no physiological alarm, ever."""
    engine = AlarmEngine(advisories=())
    engine.room_started(ROOM, T0)
    now = 0
    events: list[AlarmEvent] = []
    for length, value, inside in runs:
        for _ in range(length):  # ``length`` values one second apart: length - 1 < 10 s
            events += engine.observe(ROOM, SPO2, Decimal(value), t(now))
            events += engine.tick(t(now + 0.5))
            now += 1
        for _ in range(inside + 1):
            events += engine.observe(ROOM, SPO2, Decimal(95), t(now))
            now += 1
    assert [e for e in of(AlarmRaised, events) if e.kind is AlarmKind.PHYSIOLOGICAL] == []


@settings(max_examples=150, deadline=None)
@given(ops)
def test_every_alarm_ends_once_its_condition_clears_and_it_is_acknowledged(
    steps: list[tuple[int, Op]],
) -> None:
    engine = _engine()
    events = run(engine, steps)
    end = t(sum(gap for gap, _op in steps) + 1)
    # Every condition clears: values inside, devices report the end.
    for code, value in ((SPO2, 97), (HR, 75), (SBP, 120)):
        events += engine.observe(ROOM, code, Decimal(value), end)
    for kind in (TechnicalKind.PUMP_OCCLUSION, TechnicalKind.SENSOR_OFF):
        events += engine.technical(ROOM, kind, end, False)
    for view in engine.state(ROOM):
        assert view.kind is AlarmKind.ADVISORY or view.condition_active is False
        if view.kind is not AlarmKind.ADVISORY:
            events += engine.acknowledge(view.alarm_id, "nurse.lee", end)
    assert [v for v in engine.state(ROOM) if v.kind is not AlarmKind.ADVISORY] == []
    raised = [e.alarm_id for e in of(AlarmRaised, events)]
    ended = [e.alarm_id for e in of(AlarmEnded, events)]
    assert sorted(raised) == sorted(ended)  # each raised alarm ended exactly once
    assert len(set(raised)) == len(raised)  # ids are unique


@settings(max_examples=150, deadline=None)
@given(ops)
def test_the_interlock_never_fires_when_switched_off(steps: list[tuple[int, Op]]) -> None:
    assert of(InterlockAction, run(_engine(interlock=False), steps)) == []


@settings(max_examples=150, deadline=None)
@given(ops)
def test_switched_on_the_interlock_fires_only_with_a_high_spo2_alarm(
    steps: list[tuple[int, Op]],
) -> None:
    events = run(_engine(interlock=True), steps)
    high_spo2 = {
        e.alarm_id
        for e in events
        if isinstance(e, AlarmRaised | AlarmUpdated)
        and e.priority is Priority.HIGH
        and e.condition == "MDC_PULS_OXIM_SAT_O2:low"
    }
    actions = of(InterlockAction, events)
    assert {a.alarm_id for a in actions} == high_spo2
    assert len(actions) == len(high_spo2)  # once per alarm


@settings(max_examples=100, deadline=None)
@given(ops)
def test_the_same_inputs_give_the_same_events(steps: list[tuple[int, Op]]) -> None:
    assert run(_engine(interlock=True), steps) == run(_engine(interlock=True), steps)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(70, 84), min_size=11, max_size=40),
    st.lists(st.integers(85, 100), max_size=10),
)
def test_switched_on_a_desaturation_lasting_its_delay_pauses_the_pump_exactly_once(
    below: list[int], after: list[int]
) -> None:
    engine = _engine(interlock=True)
    events: list[AlarmEvent] = []
    for second, value in enumerate(below + after):  # below 85 for len(below) - 1 >= 10 s
        events += engine.observe(ROOM, SPO2, Decimal(value), t(second))
        events += engine.observe(ROOM, HR, Decimal(75), t(second))
    [action] = of(InterlockAction, events)
    assert action.at == t(10)


@settings(max_examples=150, deadline=None)
@given(ops)
def test_acknowledgement_never_changes_whether_a_condition_is_active(
    steps: list[tuple[int, Op]],
) -> None:
    """``run`` compares every alarm's ``condition_active`` before and after each
    acknowledgement; here with acknowledgements made common."""
    acks = [(gap, Acknowledge(i)) for i, (gap, _op) in enumerate(steps)]
    mixed = [step for pair in zip(steps, acks, strict=True) for step in pair]
    events = run(_engine(), mixed)
    assert len(of(AlarmAcknowledged, events)) <= len(of(AlarmRaised, events)) + len(
        of(AlarmUpdated, events)
    )


@settings(max_examples=150, deadline=None)
@given(ops)
def test_an_alarms_priority_never_falls(steps: list[tuple[int, Op]]) -> None:
    priority: dict[str, int] = {}
    for event in run(_engine(), steps):
        if isinstance(event, AlarmRaised | AlarmUpdated):
            rank = PRIORITY_RANK[event.priority]
            assert rank >= priority.get(event.alarm_id, 0)
            priority[event.alarm_id] = rank
