"""Physiological alarm conditions: delays, tiers, clearing, latching, invalid values."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from ketamine_clinic.alarms.engine import AlarmEngine, AlarmInputInvalid
from ketamine_clinic.alarms.enums import AlarmChange, AlarmKind, Priority, Side
from ketamine_clinic.alarms.events import (
    AlarmAcknowledged,
    AlarmCleared,
    AlarmEnded,
    AlarmRaised,
    AlarmUpdated,
)
from ketamine_clinic.alarms.limits import ClinicAlarmLimits, LimitAdjustment, effective_limits
from ketamine_clinic.devices import mdc
from tests.alarms.support import ROOM, T0, feed, of, started, t

SPO2 = mdc.SPO2.code
SPO2_LOW = "MDC_PULS_OXIM_SAT_O2:low"


def test_a_spo2_breach_shorter_than_15_s_raises_nothing() -> None:
    engine = started()
    # 88 % from 0 to 14 s (15 values, 14 s of breach), then 95.
    events = feed(engine, SPO2, ["88"] * 15 + ["95"])
    assert of(AlarmRaised, events) == []
    assert engine.state(ROOM) == ()


def test_a_spo2_breach_lasting_15_s_raises_a_medium_alarm() -> None:
    engine = started()
    events = feed(engine, SPO2, ["88"] * 16)  # 0..15 s
    [raised] = of(AlarmRaised, events)
    assert raised == AlarmRaised(
        alarm_id=f"{ROOM}/{SPO2_LOW}/20260302T090015.000000Z",
        room=ROOM,
        condition=SPO2_LOW,
        parameter_code=SPO2,
        priority=Priority.MEDIUM,
        kind=AlarmKind.PHYSIOLOGICAL,
        value=Decimal("88"),
        limit=Decimal("90"),
        message="SpO2 88 %: below 90 (medium priority)",
        latching=False,
        tier=1,
        at=t(15),
    )
    [view] = engine.state(ROOM)
    assert (view.alarm_id, view.audible, view.condition_active) == (raised.alarm_id, True, True)


def test_90_is_inside_the_limit() -> None:
    engine = started()
    assert of(AlarmRaised, feed(engine, SPO2, ["90"] * 30)) == []


def test_a_value_back_inside_resets_the_delay() -> None:
    engine = started()
    events = feed(engine, SPO2, ["88"] * 11 + ["91"] + ["88"] * 15)  # breach again from 12 s
    assert of(AlarmRaised, events) == []
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["88"], start=27))
    assert raised.at == t(27)


def test_the_delay_runs_out_on_a_tick_when_no_new_value_comes() -> None:
    engine = started()
    feed(engine, SPO2, ["88"])
    # (No SpO2 for 10 s is its own technical alarm; this is about the physiological one.)
    assert [e.kind for e in of(AlarmRaised, engine.tick(t(14)))] == [AlarmKind.TECHNICAL]
    [raised] = of(AlarmRaised, engine.tick(t(15)))
    assert (raised.priority, raised.value) == (Priority.MEDIUM, Decimal("88"))


def test_the_desaturation_has_its_own_shorter_delay_and_is_high_priority() -> None:
    engine = started()
    events = feed(engine, SPO2, ["84"] * 11)  # 0..10 s
    [raised] = of(AlarmRaised, events)
    assert (raised.priority, raised.limit, raised.at, raised.latching) == (
        Priority.HIGH,
        Decimal("85"),
        t(10),
        True,
    )
    assert raised.message == "SpO2 84 %: below 85 (high priority)"


def test_priority_rises_within_one_condition_and_never_falls() -> None:
    engine = started()
    [medium] = of(AlarmRaised, feed(engine, SPO2, ["89"] * 16))  # medium at 15 s
    events = feed(engine, SPO2, ["84"] * 11, start=16)  # < 85 from 16 s: high at 26 s
    assert of(AlarmRaised, events) == []
    worse, updated = of(AlarmUpdated, events)
    assert (worse.change, worse.value, worse.priority, worse.at) == (
        AlarmChange.WORSE_VALUE,
        Decimal(84),
        Priority.MEDIUM,
        t(16),
    )
    assert updated.change is AlarmChange.PRIORITY_RAISED
    assert (updated.alarm_id, updated.priority, updated.at, updated.limit) == (
        medium.alarm_id,
        Priority.HIGH,
        t(26),
        Decimal("85"),
    )
    # Back to 88: still the same alarm, still high.
    assert feed(engine, SPO2, ["88"] * 5, start=27) == []
    [view] = engine.state(ROOM)
    assert (view.priority, view.value, view.condition_active) == (
        Priority.HIGH,
        Decimal("88"),
        True,
    )


def test_each_new_worst_value_is_recorded_once() -> None:
    engine = started()
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["89"] * 16))
    events = feed(engine, SPO2, ["88", "89", "88", "87", "87", "89"], start=16)
    assert [(e.change, e.value, e.at) for e in of(AlarmUpdated, events)] == [
        (AlarmChange.WORSE_VALUE, Decimal(88), t(16)),
        (AlarmChange.WORSE_VALUE, Decimal(87), t(19)),
    ]
    [view] = engine.state(ROOM)
    assert (view.alarm_id, view.value, view.worst_value) == (
        raised.alarm_id,
        Decimal(89),
        Decimal(87),
    )


def test_a_non_latching_alarm_ends_when_its_condition_ends() -> None:
    engine = started()
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["88"] * 16))
    events = feed(engine, SPO2, ["94"], start=16)
    assert events == [
        AlarmCleared(raised.alarm_id, ROOM, SPO2_LOW, Decimal("94"), False, t(16)),
        AlarmEnded(raised.alarm_id, ROOM, SPO2_LOW, "its condition ended", t(16)),
    ]
    assert engine.state(ROOM) == ()


def test_a_latched_desaturation_stays_until_acknowledged() -> None:
    engine = started()
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["82"] * 11))
    events = feed(engine, SPO2, ["96"] * 30, start=11)
    assert events == [AlarmCleared(raised.alarm_id, ROOM, SPO2_LOW, Decimal("96"), True, t(11))]
    [view] = engine.state(ROOM)
    assert (view.condition_active, view.audible) == (False, True)
    assert engine.acknowledge(raised.alarm_id, "nurse.lee", t(50)) == [
        AlarmAcknowledged(raised.alarm_id, ROOM, SPO2_LOW, "nurse.lee", t(50)),
        AlarmEnded(
            raised.alarm_id, ROOM, SPO2_LOW, "acknowledged after its condition ended", t(50)
        ),
    ]
    assert engine.state(ROOM) == ()


def test_a_latched_alarm_whose_condition_returns_is_the_same_alarm() -> None:
    engine = started()
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["82"] * 11))
    feed(engine, SPO2, ["96"], start=11)
    events = feed(engine, SPO2, ["83"] * 11, start=12)
    assert of(AlarmRaised, events) == []
    [updated] = of(AlarmUpdated, events)
    assert (updated.alarm_id, updated.change, updated.condition_active, updated.at) == (
        raised.alarm_id,
        AlarmChange.CONDITION_BACK,
        True,
        t(22),
    )


def test_acknowledge_stops_the_sound_but_the_alarm_stays_while_its_condition_lasts() -> None:
    engine = started()
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["82"] * 11))
    engine.acknowledge(raised.alarm_id, "nurse.lee", t(12))
    [view] = engine.state(ROOM)
    assert (view.audible, view.condition_active, view.acknowledged_by) == (
        False,
        True,
        "nurse.lee",
    )
    # Acknowledged, so the latch is satisfied: recovery ends it.
    assert of(AlarmEnded, feed(engine, SPO2, ["97"], start=13))[0].reason == ("its condition ended")


def test_an_acknowledged_alarm_that_gets_worse_sounds_again() -> None:
    engine = started()
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["88"] * 16))
    engine.acknowledge(raised.alarm_id, "nurse.lee", t(16))
    [_worse, updated] = of(AlarmUpdated, feed(engine, SPO2, ["80"] * 11, start=17))
    assert (updated.change, updated.priority, updated.audible) == (
        AlarmChange.PRIORITY_RAISED,
        Priority.HIGH,
        True,
    )
    [view] = engine.state(ROOM)
    assert view.acknowledged_by is None


def test_invalid_values_are_never_a_breach() -> None:
    engine = started()
    events = feed(engine, SPO2, [None] * 60)
    assert [e.kind for e in of(AlarmRaised, events)] == [AlarmKind.TECHNICAL]


def test_an_invalid_value_resets_a_pending_breach() -> None:
    engine = started()
    events = feed(engine, SPO2, ["88"] * 10 + [None] + ["88"] * 15)  # 0..9, gap, 11..25
    assert of(AlarmRaised, events) == []
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["88"], start=26))
    assert raised.at == t(26)


def test_an_invalid_value_does_not_end_an_alarm() -> None:
    engine = started()
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["88"] * 16))
    events = feed(engine, SPO2, [None] * 5, start=16)
    assert of(AlarmCleared, events) == []
    assert [v.alarm_id for v in engine.state(ROOM)] == [raised.alarm_id]


def test_nibp_alarms_on_the_reading_itself() -> None:
    engine = started()
    [raised] = of(AlarmRaised, feed(engine, mdc.NIBP_SYSTOLIC.code, ["170"]))
    assert (raised.priority, raised.limit, raised.at) == (Priority.MEDIUM, Decimal(160), T0)
    assert raised.message == "SBP 170 mmHg: above 160 (medium priority)"
    # The next cuff reading, 5 min later, inside: the alarm ends.
    events = feed(engine, mdc.NIBP_SYSTOLIC.code, ["150"], start=300)
    assert [type(e) for e in events] == [AlarmCleared, AlarmEnded]


def test_heart_rate_high_and_low_are_two_conditions() -> None:
    engine = started()
    hr = mdc.HEART_RATE.code
    [high] = of(AlarmRaised, feed(engine, hr, ["125"] * 11))
    assert high.condition == "MDC_ECG_HEART_RATE:high"
    events = feed(engine, hr, ["45"] * 11, start=11)
    assert [type(e) for e in events[:2]] == [AlarmCleared, AlarmEnded]
    [low] = of(AlarmRaised, events)
    assert (low.condition, low.at) == ("MDC_ECG_HEART_RATE:low", t(21))


def test_a_patients_adjusted_limit_is_used_in_that_room_only() -> None:
    adjusted = effective_limits(
        ClinicAlarmLimits(),
        [LimitAdjustment(SPO2, Priority.MEDIUM, Side.LOW, Decimal(88), "COPD", "dr.okafor")],
    )
    engine = started(limits=adjusted)
    engine.room_started("room-3", T0)
    assert of(AlarmRaised, feed(engine, SPO2, ["89"] * 20)) == []
    assert len(of(AlarmRaised, feed(engine, SPO2, ["89"] * 20, room="room-3"))) == 1


def test_new_limits_during_a_visit_apply_from_the_next_value() -> None:
    engine = started()
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["89"] * 16))
    adjusted = effective_limits(
        ClinicAlarmLimits(),
        [LimitAdjustment(SPO2, Priority.MEDIUM, Side.LOW, Decimal(88), "COPD", "dr.okafor")],
    )
    engine.room_limits(ROOM, adjusted, t(16))
    events = feed(engine, SPO2, ["89"], start=17)
    assert events == [
        AlarmCleared(raised.alarm_id, ROOM, SPO2_LOW, Decimal(89), False, t(17)),
        AlarmEnded(raised.alarm_id, ROOM, SPO2_LOW, "its condition ended", t(17)),
    ]


def test_a_room_whose_monitoring_has_not_started_is_ignored() -> None:
    engine = AlarmEngine()
    assert feed(engine, SPO2, ["70"] * 30) == []
    assert engine.tick(t(60)) == []
    assert engine.state(ROOM) == ()


def test_the_same_condition_raised_twice_gets_two_ids() -> None:
    engine = started()
    first = of(AlarmRaised, feed(engine, SPO2, ["88"] * 16 + ["95"]))
    second = of(AlarmRaised, feed(engine, SPO2, ["88"] * 16, start=17))
    assert first[0].alarm_id != second[0].alarm_id
    assert second[0].alarm_id == f"{ROOM}/{SPO2_LOW}/20260302T090032.000000Z"


def test_a_time_without_a_zone_is_refused() -> None:
    engine = started()
    with pytest.raises(AlarmInputInvalid) as raised:
        engine.observe(ROOM, SPO2, Decimal(97), datetime(2026, 3, 2, 9, 0))  # noqa: DTZ001
    assert raised.value.field == "at"


def test_starting_a_room_twice_is_refused() -> None:
    engine = started()
    with pytest.raises(AlarmInputInvalid, match="room: monitoring of 'room-2' has already"):
        engine.room_started(ROOM, t(1))
