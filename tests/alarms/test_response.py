"""Acknowledge, silence and escalation: who responded and when."""

from __future__ import annotations

import pytest

from ketamine_clinic.alarms.engine import AlarmEngine, AlarmInputInvalid, AlarmNotActive
from ketamine_clinic.alarms.enums import EscalationTier, TechnicalKind
from ketamine_clinic.alarms.events import (
    AlarmAcknowledged,
    AlarmEscalated,
    AlarmRaised,
    AlarmSilenced,
    AlarmSilenceEnded,
)
from ketamine_clinic.alarms.policy import AlarmPolicy
from ketamine_clinic.devices import mdc
from tests.alarms.support import ROOM, feed, of, started, t

SPO2 = mdc.SPO2.code


def _desaturation(engine: AlarmEngine) -> AlarmRaised:
    """A high-priority SpO2 alarm raised at 10 s (values every second up to 10 s)."""
    [raised] = of(AlarmRaised, feed(engine, SPO2, ["82"] * 11))
    return raised


def test_a_silence_pauses_the_sound_and_it_comes_back() -> None:
    engine = started()
    raised = _desaturation(engine)
    assert engine.silence(raised.alarm_id, "nurse.lee", t(11), 60) == [
        AlarmSilenced(raised.alarm_id, ROOM, raised.condition, "nurse.lee", t(71), t(11))
    ]
    [view] = engine.state(ROOM)
    assert (view.audible, view.silenced_until) == (False, t(71))
    assert view.acknowledged_by is None
    assert of(AlarmSilenceEnded, engine.tick(t(70.9))) == []
    assert of(AlarmSilenceEnded, engine.tick(t(71))) == [
        AlarmSilenceEnded(raised.alarm_id, ROOM, raised.condition, True, t(71))
    ]
    assert engine.state(ROOM)[0].audible


@pytest.mark.parametrize("seconds", [0, -5, 121, 3600])
def test_a_silence_is_bounded(seconds: int) -> None:
    engine = started()
    raised = _desaturation(engine)
    with pytest.raises(AlarmInputInvalid) as error:
        engine.silence(raised.alarm_id, "nurse.lee", t(11), seconds)
    assert (error.value.field, error.value.reason) == ("seconds", f"{seconds} is outside 1-120")
    assert engine.state(ROOM)[0].audible  # nothing changed


def test_a_clinic_may_allow_a_shorter_silence_only() -> None:
    engine = started(AlarmEngine(policy=AlarmPolicy(max_silence_s=60), advisories=()))
    raised = _desaturation(engine)
    with pytest.raises(AlarmInputInvalid, match="61 is outside 1-60"):
        engine.silence(raised.alarm_id, "nurse.lee", t(11), 61)


def test_silencing_a_room_pauses_every_unacknowledged_alarm_in_it() -> None:
    engine = started()
    raised = _desaturation(engine)
    engine.technical(ROOM, TechnicalKind.PUMP_NEAR_END, t(10), True)
    events = engine.silence(ROOM, "nurse.lee", t(12), 120)
    assert [e.alarm_id for e in of(AlarmSilenced, events)] == [
        raised.alarm_id,
        f"{ROOM}/pump_near_end/20260302T090010.000000Z",
    ]
    assert not any(view.audible for view in engine.state(ROOM))


def test_silence_and_acknowledge_need_a_name_and_an_active_alarm() -> None:
    engine = started()
    raised = _desaturation(engine)
    with pytest.raises(AlarmInputInvalid, match="by: "):
        engine.acknowledge(raised.alarm_id, " ", t(11))
    with pytest.raises(AlarmInputInvalid, match="by: "):
        engine.silence(raised.alarm_id, "", t(11), 30)
    with pytest.raises(AlarmNotActive):
        engine.acknowledge("room-2/nothing/1", "nurse.lee", t(11))
    with pytest.raises(AlarmNotActive):
        engine.silence("room-9", "nurse.lee", t(11), 30)


def test_a_second_acknowledgement_changes_nothing() -> None:
    engine = started()
    raised = _desaturation(engine)
    assert engine.acknowledge(raised.alarm_id, "nurse.lee", t(11)) == [
        AlarmAcknowledged(raised.alarm_id, ROOM, raised.condition, "nurse.lee", t(11))
    ]
    assert engine.acknowledge(raised.alarm_id, "nurse.kim", t(12)) == []
    assert engine.state(ROOM)[0].acknowledged_by == "nurse.lee"


def test_an_unacknowledged_high_alarm_escalates_every_30_s_up_to_the_prescriber() -> None:
    engine = started()
    raised = _desaturation(engine)  # 10 s
    feed(engine, SPO2, ["82"] * 120, start=11)  # the condition goes on
    assert of(AlarmEscalated, engine.tick(t(39.9))) == []
    assert of(AlarmEscalated, engine.tick(t(40))) == [
        AlarmEscalated(
            raised.alarm_id, ROOM, raised.condition, 2, EscalationTier.ALL_STATIONS, t(40)
        )
    ]
    assert of(AlarmEscalated, engine.tick(t(55))) == []
    assert of(AlarmEscalated, engine.tick(t(70))) == [
        AlarmEscalated(raised.alarm_id, ROOM, raised.condition, 3, EscalationTier.PRESCRIBER, t(70))
    ]
    assert of(AlarmEscalated, engine.tick(t(200))) == []
    assert engine.state(ROOM)[0].tier == 3


def test_a_late_tick_escalates_through_every_missed_tier() -> None:
    engine = started()
    _desaturation(engine)
    assert [e.tier for e in of(AlarmEscalated, engine.tick(t(100)))] == [2, 3]


def test_acknowledgement_stops_escalation() -> None:
    engine = started()
    raised = _desaturation(engine)
    engine.tick(t(40))
    engine.acknowledge(raised.alarm_id, "nurse.lee", t(45))
    assert of(AlarmEscalated, engine.tick(t(300))) == []
    assert engine.state(ROOM)[0].tier == 2


def test_silence_does_not_stop_escalation() -> None:
    engine = started()
    raised = _desaturation(engine)
    engine.silence(raised.alarm_id, "nurse.lee", t(11), 120)
    assert [e.tier for e in of(AlarmEscalated, engine.tick(t(40)))] == [2]


def test_a_latched_unacknowledged_alarm_keeps_escalating() -> None:
    engine = started()
    _desaturation(engine)
    feed(engine, SPO2, ["97"], start=11)  # recovered, latched
    assert [e.tier for e in of(AlarmEscalated, engine.tick(t(40)))] == [2]


def test_medium_alarms_do_not_escalate() -> None:
    engine = started()
    feed(engine, SPO2, ["88"] * 16)
    feed(engine, SPO2, ["88"] * 300, start=16)
    assert of(AlarmEscalated, engine.tick(t(400))) == []


def test_a_medium_alarm_that_becomes_high_escalates_from_then() -> None:
    engine = started()
    feed(engine, SPO2, ["88"] * 16)
    feed(engine, SPO2, ["83"] * 11, start=16)  # high at 26 s
    assert of(AlarmEscalated, engine.tick(t(55.9))) == []
    assert [e.tier for e in of(AlarmEscalated, engine.tick(t(56)))] == [2]


def test_the_escalation_time_is_the_clinics() -> None:
    engine = started(AlarmEngine(policy=AlarmPolicy(escalation_after_s=60), advisories=()))
    _desaturation(engine)
    assert of(AlarmEscalated, engine.tick(t(69))) == []
    assert [e.tier for e in of(AlarmEscalated, engine.tick(t(70)))] == [2]
