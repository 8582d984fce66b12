"""Technical alarms: no data, invalid for too long, and what devices report."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ketamine_clinic.alarms.engine import AlarmEngine, AlarmInputInvalid
from ketamine_clinic.alarms.enums import AlarmKind, Priority, TechnicalKind
from ketamine_clinic.alarms.events import AlarmCleared, AlarmEnded, AlarmRaised
from ketamine_clinic.devices import mdc
from tests.alarms.support import ROOM, T0, feed, of, started, t

SPO2 = mdc.SPO2.code


def test_an_expected_parameter_that_never_comes_raises_no_data_after_10_s() -> None:
    engine = started(expected=[SPO2])
    assert engine.tick(t(9.9)) == []
    [raised] = of(AlarmRaised, engine.tick(t(10)))
    assert (raised.kind, raised.priority, raised.parameter_code, raised.condition) == (
        AlarmKind.TECHNICAL,
        Priority.MEDIUM,
        SPO2,
        "no_data:MDC_PULS_OXIM_SAT_O2",
    )
    assert raised.message == "No SpO2 data for 10 s: check the monitor and its connection"
    assert engine.tick(t(11)) == []  # one alarm, not one per tick
    events = feed(engine, SPO2, ["97"], start=12)
    assert [type(e) for e in events] == [AlarmCleared, AlarmEnded]


def test_a_parameter_is_watched_from_its_first_value() -> None:
    engine = started()
    assert engine.tick(t(30)) == []  # nothing expected, nothing seen
    feed(engine, mdc.HEART_RATE.code, ["72"] * 5, start=30)  # 30..34 s
    assert engine.tick(t(43.9)) == []
    [raised] = of(AlarmRaised, engine.tick(t(44)))
    assert raised.message == "No HR data for 10 s: check the monitor and its connection"


def test_nibp_every_five_minutes_is_not_no_data() -> None:
    engine = started(expected=[mdc.NIBP_SYSTOLIC.code])
    feed(engine, mdc.NIBP_SYSTOLIC.code, ["120", "124", "118"], step=300)
    assert engine.tick(t(899)) == []


def test_an_empty_room_never_alarms_no_data() -> None:
    engine = started(expected=[SPO2])
    feed(engine, SPO2, ["97"] * 3)
    engine.room_ended(ROOM, t(3))
    assert engine.tick(t(60)) == []
    assert engine.state(ROOM) == ()


def test_ending_a_room_ends_its_alarms() -> None:
    engine = started()
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["82"] * 11))
    assert engine.room_ended(ROOM, t(20)) == [
        AlarmEnded(raised.alarm_id, ROOM, raised.condition, "monitoring of the room ended", t(20))
    ]


def test_spo2_invalid_for_10_s_says_check_the_probe() -> None:
    engine = started()
    events = feed(engine, SPO2, [None] * 10)  # 0..9 s
    assert events == []
    [raised] = of(AlarmRaised, feed(engine, SPO2, [None], start=10))
    assert (raised.condition, raised.message, raised.value) == (
        "invalid_value:MDC_PULS_OXIM_SAT_O2",
        "SpO2 invalid: check the probe",
        None,
    )
    events = feed(engine, SPO2, ["96"], start=11)
    assert [(type(e), e.alarm_id) for e in of(AlarmEnded, events)] == [
        (AlarmEnded, raised.alarm_id)
    ]


def test_an_invalid_nibp_reading_is_one_alarm_found_by_a_tick() -> None:
    engine = started()
    for code in (mdc.NIBP_SYSTOLIC.code, mdc.NIBP_DIASTOLIC.code, mdc.NIBP_MEAN.code):
        assert engine.observe(ROOM, code, None, T0) == []
    assert engine.tick(t(9)) == []
    [raised] = of(AlarmRaised, engine.tick(t(10)))
    assert (raised.message, raised.parameter_code, raised.condition) == (
        "NIBP invalid: check the cuff",
        mdc.NIBP.code,
        "invalid_value:MDC_PRESS_BLD_NONINV",
    )
    # The next cuff reading is valid: the alarm ends.
    events = feed(engine, mdc.NIBP_SYSTOLIC.code, ["128"], start=300)
    assert [type(e) for e in events] == [AlarmCleared, AlarmEnded]


def test_a_valid_value_between_invalid_ones_restarts_the_count() -> None:
    engine = started()
    events = feed(engine, SPO2, [None] * 6 + ["97"] + [None] * 10)  # invalid again from 7 s
    assert of(AlarmRaised, events) == []
    assert len(of(AlarmRaised, feed(engine, SPO2, [None], start=17))) == 1


def test_a_pump_occlusion_is_raised_and_ended_by_the_pump() -> None:
    engine = started()
    [raised] = engine.technical(ROOM, TechnicalKind.PUMP_OCCLUSION, t(5), True)
    assert isinstance(raised, AlarmRaised)
    assert (raised.condition, raised.priority, raised.message, raised.alarm_id) == (
        "pump_occlusion",
        Priority.MEDIUM,
        "Pump occlusion: the infusion has stopped, check the line",
        f"{ROOM}/pump_occlusion/20260302T090005.000000Z",
    )
    assert engine.technical(ROOM, TechnicalKind.PUMP_OCCLUSION, t(6), True) == []
    events = engine.technical(ROOM, TechnicalKind.PUMP_OCCLUSION, t(40), False)
    assert [type(e) for e in events] == [AlarmCleared, AlarmEnded]
    assert engine.technical(ROOM, TechnicalKind.PUMP_OCCLUSION, t(41), False) == []


@pytest.mark.parametrize(
    ("kind", "priority", "message"),
    [
        (TechnicalKind.SENSOR_OFF, Priority.MEDIUM, "Sensor off: check the probe (spo2)"),
        (TechnicalKind.LEAD_OFF, Priority.MEDIUM, "ECG lead off: check the electrodes (spo2)"),
        (
            TechnicalKind.CUFF_ERROR,
            Priority.LOW,
            "NIBP cuff error: check the cuff and repeat the reading (spo2)",
        ),
        (
            TechnicalKind.PUMP_EMPTY,
            Priority.MEDIUM,
            "Syringe empty: the infusion has stopped (spo2)",
        ),
        (
            TechnicalKind.PUMP_NEAR_END,
            Priority.LOW,
            "Syringe near end: prepare the next step (spo2)",
        ),
    ],
)
def test_each_device_condition_has_its_priority_and_words(
    kind: TechnicalKind, priority: Priority, message: str
) -> None:
    engine = started()
    [raised] = of(AlarmRaised, engine.technical(ROOM, kind, T0, True, source="spo2"))
    assert (raised.priority, raised.message, raised.condition) == (
        priority,
        message,
        f"{kind}:spo2",
    )


def test_two_pumps_are_two_conditions() -> None:
    engine = started()
    engine.technical(ROOM, TechnicalKind.PUMP_NEAR_END, T0, True, source="pump-A")
    engine.technical(ROOM, TechnicalKind.PUMP_NEAR_END, T0, True, source="pump-B")
    assert len(engine.state(ROOM)) == 2


def test_no_data_cannot_be_reported_by_a_device() -> None:
    engine = started()
    with pytest.raises(AlarmInputInvalid) as raised:
        engine.technical(ROOM, TechnicalKind.NO_DATA, T0, True)
    assert raised.value.field == "kind"


def test_a_device_condition_in_a_room_not_monitored_is_ignored() -> None:
    engine = AlarmEngine()
    assert engine.technical(ROOM, TechnicalKind.PUMP_EMPTY, T0, True) == []


def test_unknown_parameters_pass_through_without_alarms() -> None:
    engine = started()
    events = feed(engine, mdc.PUMP_RATE.code, [None] * 30 + ["12.5"])
    assert events == []
    assert engine.tick(t(100)) == []
    assert engine.observe(ROOM, 999_999, Decimal(1), t(101)) == []
