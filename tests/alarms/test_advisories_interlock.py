"""Ketamine advisories (shown, recorded, silent) and the interlock the clinic may switch on."""

from __future__ import annotations

from decimal import Decimal

from ketamine_clinic.alarms.engine import AlarmEngine
from ketamine_clinic.alarms.enums import AlarmKind, InterlockCommand, Priority, ProposedAction
from ketamine_clinic.alarms.events import (
    AdvisoryCleared,
    AdvisoryRaised,
    AlarmRaised,
    InterlockAction,
)
from ketamine_clinic.alarms.policy import AlarmPolicy
from ketamine_clinic.devices import mdc
from tests.alarms.support import ROOM, T0, feed, of, started, t

SPO2 = mdc.SPO2.code
SBP = mdc.NIBP_SYSTOLIC.code


def _engine(interlock: bool = False) -> AlarmEngine:
    return started(AlarmEngine(policy=AlarmPolicy(interlock_enabled=interlock)))


def test_sbp_186_proposes_lowering_the_rate_or_pausing() -> None:
    engine = _engine()
    events = feed(engine, SBP, ["186"])
    [advisory] = of(AdvisoryRaised, events)
    assert advisory == AdvisoryRaised(
        advisory_id=f"{ROOM}/advisory:sbp_high/20260302T090000.000000Z",
        room=ROOM,
        advisory="sbp_high",
        parameter_code=SBP,
        value=Decimal(186),
        limit=Decimal(180),
        message="SBP 186 > 180: consider lowering the rate or pausing",
        proposed_action=ProposedAction.LOWER_OR_PAUSE_RATE,
        at=T0,
    )
    # The SBP > 160 alarm is a separate, physiological alarm.
    assert [e.kind for e in of(AlarmRaised, events)] == [AlarmKind.PHYSIOLOGICAL]
    views = {view.kind: view for view in engine.state(ROOM)}
    assert views[AlarmKind.ADVISORY].audible is False
    assert views[AlarmKind.ADVISORY].priority is None
    assert views[AlarmKind.PHYSIOLOGICAL].audible is True


def test_sbp_180_is_not_above_180() -> None:
    assert of(AdvisoryRaised, feed(_engine(), SBP, ["180"])) == []


def test_the_advisory_clears_when_the_next_reading_is_inside() -> None:
    engine = _engine()
    [advisory] = of(AdvisoryRaised, feed(engine, SBP, ["186"]))
    assert of(AdvisoryCleared, feed(engine, SBP, ["182"], start=300)) == []  # still > 180
    assert of(AdvisoryCleared, feed(engine, SBP, ["165"], start=600)) == [
        AdvisoryCleared(
            advisory.advisory_id, ROOM, "sbp_high", Decimal(165), "the value is back inside", t(600)
        )
    ]


def test_dbp_above_110_and_hr_above_130_propose_the_same() -> None:
    engine = _engine()
    [dbp] = of(AdvisoryRaised, feed(engine, mdc.NIBP_DIASTOLIC.code, ["112"]))
    assert dbp.message == "DBP 112 > 110: consider lowering the rate or pausing"
    # HR 131 needs its 10 s.
    assert of(AdvisoryRaised, feed(engine, mdc.HEART_RATE.code, ["131"] * 10)) == []
    [hr] = of(AdvisoryRaised, feed(engine, mdc.HEART_RATE.code, ["131"], start=10))
    assert (hr.proposed_action, hr.message) == (
        ProposedAction.LOWER_OR_PAUSE_RATE,
        "HR 131 > 130: consider lowering the rate or pausing",
    )


def test_spo2_below_92_then_sustained_below_90() -> None:
    engine = _engine()
    events = feed(engine, SPO2, ["91"] * 16)  # 0..15 s
    [stimulate] = of(AdvisoryRaised, events)
    assert (stimulate.at, stimulate.message, stimulate.proposed_action) == (
        t(15),
        "SpO2 91 < 92: stimulate the patient and give oxygen",
        ProposedAction.STIMULATE_AND_OXYGEN,
    )
    events = feed(engine, SPO2, ["89"] * 61, start=16)  # < 90 from 16 s to 76 s
    [stop] = of(AdvisoryRaised, events)
    assert (stop.at, stop.proposed_action) == (t(76), ProposedAction.STOP_INFUSION)
    assert stop.message == "SpO2 89 < 90 for 60 s: consider stopping the infusion"


def test_an_advisory_delay_runs_out_on_a_tick() -> None:
    engine = _engine()
    feed(engine, mdc.HEART_RATE.code, ["140"])
    assert of(AdvisoryRaised, engine.tick(t(9))) == []
    assert [a.advisory for a in of(AdvisoryRaised, engine.tick(t(10)))] == ["hr_high"]


def test_no_advisories_while_the_infusion_is_not_running() -> None:
    engine = _engine()
    [advisory] = of(AdvisoryRaised, feed(engine, SBP, ["186"]))
    events = engine.infusion_running(ROOM, False, t(1))
    assert events == [
        AdvisoryCleared(
            advisory.advisory_id, ROOM, "sbp_high", None, "the infusion is not running", t(1)
        )
    ]
    assert of(AdvisoryRaised, feed(engine, SBP, ["190"], start=300)) == []
    engine.infusion_running(ROOM, True, t(400))
    assert len(of(AdvisoryRaised, feed(engine, SBP, ["190"], start=600))) == 1


def test_the_interlock_is_off_by_default() -> None:
    engine = started(AlarmEngine())
    events = feed(engine, SPO2, ["80"] * 120)
    assert [e.priority for e in of(AlarmRaised, events)] == [Priority.HIGH]
    assert of(InterlockAction, events) == []


def test_switched_on_a_high_priority_desaturation_pauses_the_pump_once() -> None:
    engine = _engine(interlock=True)
    events = feed(engine, SPO2, ["84"] * 11)
    [raised] = of(AlarmRaised, events)
    assert of(InterlockAction, events) == [
        InterlockAction(
            room=ROOM,
            command=InterlockCommand.PAUSE_PUMP,
            alarm_id=raised.alarm_id,
            reason="interlock: SpO2 84 %: below 85 (high priority)",
            at=t(10),
        )
    ]
    # Not again while the same alarm goes on, nor when it latches and comes back.
    more = feed(engine, SPO2, ["83"] * 30 + ["97"] + ["83"] * 20, start=11)
    assert of(InterlockAction, more) == []


def test_the_interlock_ignores_a_medium_desaturation_and_other_high_alarms() -> None:
    engine = _engine(interlock=True)
    assert of(InterlockAction, feed(engine, SPO2, ["87"] * 60)) == []
    assert of(InterlockAction, feed(engine, SBP, ["230"], start=60)) == []


def test_the_interlock_fires_when_a_medium_alarm_becomes_high() -> None:
    engine = _engine(interlock=True)
    feed(engine, SPO2, ["88"] * 16)
    [action] = of(InterlockAction, feed(engine, SPO2, ["84"] * 11, start=16))
    assert action.at == t(26)


def test_the_interlock_does_nothing_when_no_infusion_runs() -> None:
    engine = _engine(interlock=True)
    engine.infusion_running(ROOM, False, T0)
    assert of(InterlockAction, feed(engine, SPO2, ["80"] * 30)) == []
