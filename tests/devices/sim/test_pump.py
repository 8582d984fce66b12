"""The simulated syringe pump: programs accepted or refused with reasons over MLLP,
delivery that is rate x time exactly, titrations, the stop at the volume to be infused,
PCD-10 events in order, occlusion alarms, and the actual rate driving the patient."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.pcd import interpret
from ketamine_clinic.devices.pcd_build import (
    ControlIds,
    InfusionProgram,
    Sender,
    build_program,
)
from ketamine_clinic.devices.program_client import send_program
from ketamine_clinic.devices.sim.clock import ManualClock, SimClock
from ketamine_clinic.devices.sim.link import MllpLink
from ketamine_clinic.devices.sim.patient import VirtualPatient
from ketamine_clinic.devices.sim.pump import (
    OTHER_PROGRAM_RUNNING,
    RATE_OVER_MAX,
    UNKNOWN_DRUG,
    PumpConfig,
    PumpRefused,
    SimulatedPump,
)
from tests.devices.sim.fake_gateway import FakeGateway
from tests.devices.sim.hl7apy_strict import assert_strictly_valid

PUMP = Sender("KC_SIM_PUMP", "02C0FFEE00000302")
CLINIC = Sender("KC_CLINIC", "02C0FFEE00000000")
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _program(
    program_id: str = "PRG-1",
    rate: str = "60",
    volume: str = "20",
    drug: str = "KETAMINE",
    order_control: str = "NW",
) -> InfusionProgram:
    return InfusionProgram(
        program_id, drug, Decimal("1"), Decimal(rate), Decimal(volume),
        patient_weight_kg=Decimal("70"), patient_id="KC000005", order_control=order_control,
    )  # fmt: skip


_ids = ControlIds(CLINIC.eui64, session="clinic")


def _rgv(program: InfusionProgram) -> str:
    return build_program(CLINIC, _ids.next(), START, program)


@pytest.mark.asyncio
async def test_programs_are_accepted_or_refused_with_the_reason_over_mllp() -> None:
    clock = SimClock(scale=100, start=START)
    pump = SimulatedPump(PUMP, clock=clock, config=PumpConfig(max_rate_ml_per_h=Decimal("500")))
    port = await pump.serve()
    try:
        too_fast = await send_program("127.0.0.1", port, _rgv(_program(rate="900")))
        unknown = await send_program("127.0.0.1", port, _rgv(_program(drug="PROPOFOL")))
        broken = await send_program(
            "127.0.0.1", port, _rgv(_program()).replace("|60|265266", "|fast|265266")
        )
        ok_text = _rgv(_program())
        ok = await send_program("127.0.0.1", port, ok_text)
        pump.confirm()
        other = await send_program("127.0.0.1", port, _rgv(_program(program_id="PRG-2")))
    finally:
        await pump.close()
    assert (too_fast.code, too_fast.message_type) == ("AE", "RRG^O16")
    assert too_fast.text == RATE_OVER_MAX.format(rate=Decimal("900"), max=Decimal("500"))
    assert (unknown.code, unknown.text) == ("AE", UNKNOWN_DRUG.format(drug="PROPOFOL"))
    assert broken.code == "AR"
    assert broken.text.startswith("RXG-15")
    assert (ok.code, ok.message_type) == ("AA", "ACK^O15")
    assert ok.acknowledged_control_id == parse_message(ok_text).control_id
    assert other.code == "AE"
    assert other.text == OTHER_PROGRAM_RUNNING.format(running="PRG-1", new="PRG-2")
    assert (pump.counters.programs_accepted, pump.counters.programs_refused) == (1, 4)


def test_a_program_is_only_a_proposal_until_confirmed() -> None:
    clock = ManualClock(start=START)
    pump = SimulatedPump(PUMP, clock=clock)
    pump.handle_program_message(_rgv(_program()))
    assert (pump.state, pump.actual_rate_ml_per_h, pump.events) == ("proposed", 0.0, [])
    clock.advance(30)
    pump.confirm()
    assert (pump.state, pump.actual_rate_ml_per_h) == ("running", 60.0)
    assert [(e.name, e.t_s) for e in pump.events] == [("start", 30.0)]


def test_delivery_is_rate_times_time_through_a_titration_and_stops_at_the_volume() -> None:
    clock = ManualClock(start=START)
    pump = SimulatedPump(PUMP, clock=clock, config=PumpConfig(auto_confirm=True, near_end_s=60))
    pump.propose(_program(rate="60", volume="20"))  # 1 mL/min
    clock.advance(600)
    assert_allclose(pump.volume_delivered_ml(), 10.0, rtol=1e-12)
    # A titration's volume to be infused is what is still to go (10 of the 20 mL).
    reply = pump.handle_program_message(_rgv(_program(rate="30", volume="10", order_control="XO")))
    assert "MSA|AA|" in reply
    assert pump.rate_ml_per_h == 30.0
    # 10 mL left at 0.5 mL/min: complete 20 min after the titration, near end 1 min before.
    clock.advance(3 * 3600)
    assert pump.volume_delivered_ml() == 20.0
    assert pump.state == "complete"
    assert pump.actual_rate_ml_per_h == 0.0
    names_and_times = [(e.name, e.t_s) for e in pump.events]
    assert names_and_times == [
        ("start", 0.0),
        ("rate_change", 600.0),
        ("near_end", pytest.approx(600.0 + 19 * 60)),
        ("complete", pytest.approx(600.0 + 20 * 60)),
    ]
    complete = pump.events[-1]
    assert (complete.volume_delivered_ml, complete.volume_remaining_ml) == (20.0, 0.0)
    assert complete.dose_delivered_mg == 20.0  # 1 mg/mL


def test_pause_and_resume_stop_the_clock_on_delivery() -> None:
    clock = ManualClock(start=START)
    pump = SimulatedPump(PUMP, clock=clock, config=PumpConfig(auto_confirm=True))
    pump.propose(_program(rate="36", volume="50"))  # 0.01 mL/s
    clock.advance(100)
    pump.pause()
    clock.advance(500)
    pump.resume()
    clock.advance(100)
    assert_allclose(pump.volume_delivered_ml(), 2.0, rtol=1e-12)
    pump.set_rate(72.0)
    clock.advance(50)
    assert_allclose(pump.volume_delivered_ml(), 3.0, rtol=1e-12)
    pump.stop()
    clock.advance(1000)
    assert_allclose(pump.volume_delivered_ml(), 3.0, rtol=1e-12)
    assert [e.name for e in pump.events] == ["start", "pause", "restart", "rate_change", "stop"]
    with pytest.raises(PumpRefused, match="stopped"):
        pump.pause()


def test_the_actual_rate_drives_the_patient() -> None:
    clock = ManualClock(start=START)
    patient = VirtualPatient(weight_kg=70)
    pump = SimulatedPump(
        PUMP, clock=clock, config=PumpConfig(auto_confirm=True), on_rate=patient.set_rate
    )
    pump.propose(InfusionProgram("P", "KETAMINE", Decimal("2"), Decimal("26.25"), Decimal("17.5")))
    clock.advance(600)
    pump.pause()
    clock.advance(60)
    pump.resume()
    history = patient.rate_history
    assert history.rate_change_times_s == (0.0, 600.0, 660.0)
    assert history.rates_mg_per_h == (52.5, 0.0, 52.5)  # mL/h x 2 mg/mL


@pytest.mark.asyncio
async def test_events_alarms_and_numerics_reach_the_gateway_in_order_and_valid() -> None:
    gateway = FakeGateway()
    await gateway.start()
    clock = ManualClock(start=START)
    link = MllpLink("127.0.0.1", gateway.port, clock=clock)
    pump = SimulatedPump(
        PUMP,
        clock=clock,
        link=link,
        config=PumpConfig(auto_confirm=True, near_end_s=60),
        control_ids=ControlIds(PUMP.eui64, session="p"),
    )
    pump.propose(_program(rate="60", volume="5"))
    clock.advance(60)
    pump.trigger_occlusion()
    clock.advance(30)
    pump.resume()
    pump.report_numerics(clock.elapsed_s())
    clock.advance(3600)
    pump.volume_delivered_ml()  # the pump notices the end (its tick does this in run())
    task = asyncio.create_task(link.run())
    await asyncio.wait_for(link.drained(), 10)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await gateway.stop()
    texts = [r.payload.decode() for r in gateway.received]
    reports = [interpret(parse_message(t), UTC) for t in texts]
    seen: list[tuple[str, ...]] = []
    for report in reports:
        seen += [("event", e.event_name) for e in report.pump_events]
        seen += [("alarm", a.event_name, a.phase) for a in report.alerts]
        seen += [("numerics",)] if report.numerics else []
    assert seen == [
        ("event", "MDC_EVT_PUMP_DELIV_START"),
        ("event", "MDC_EVT_PUMP_DELIV_PAUSE"),
        ("alarm", "MDC_EVT_PUMP_OCCL", "start"),
        ("alarm", "MDC_EVT_PUMP_OCCL", "end"),
        ("event", "MDC_EVT_PUMP_DELIV_RESTART"),
        ("numerics",),
        ("event", "MDC_EVT_PUMP_DELIV_NEAR_END"),
        ("alarm", "MDC_EVT_PUMP_NEAR_EMPTY", "start"),
        ("event", "MDC_EVT_PUMP_DELIV_COMP"),
        ("alarm", "MDC_EVT_PUMP_NEAR_EMPTY", "end"),
        ("alarm", "MDC_EVT_PUMP_EMPTY", "start"),
    ]
    occlusion = next(a for r in reports for a in r.alerts if a.event_name == "MDC_EVT_PUMP_OCCL")
    assert (occlusion.source, occlusion.priority) == ("technical", "high")
    complete = next(
        e for r in reports for e in r.pump_events if e.event_name == "MDC_EVT_PUMP_DELIV_COMP"
    )
    assert (complete.program_id, complete.volume_delivered_ml) == ("PRG-1", Decimal("5.00"))
    assert complete.at == START + timedelta(seconds=330)  # 5 mL at 1 mL/min + 30 s occluded
    assert {r.device for r in reports} == {PUMP.eui64}
    for text in texts:
        assert_strictly_valid(text, "ORU_R01")


@pytest.mark.asyncio
async def test_the_pump_sends_its_numerics_every_few_seconds_while_it_runs() -> None:
    gateway = FakeGateway()
    await gateway.start()
    clock = SimClock(scale=500, start=START)
    pump = SimulatedPump(
        PUMP,
        clock=clock,
        link=MllpLink("127.0.0.1", gateway.port, clock=clock, ack_timeout_s=5000.0),
        config=PumpConfig(auto_confirm=True, numerics_interval_s=5),
    )
    pump.propose(_program(rate="60", volume="100"))
    await asyncio.wait_for(pump.run(duration_s=20), 30)
    await gateway.stop()
    reports = [interpret(parse_message(r.payload.decode()), UTC) for r in gateway.received]
    numerics_times = [r.sent_at for r in reports if r.numerics]
    assert numerics_times == [START + timedelta(seconds=s) for s in (0, 5, 10, 15, 20)]


_actions = st.lists(
    st.tuples(
        st.floats(0.0, 900.0),
        st.one_of(st.just("pause"), st.just("resume"), st.just("wait"), st.floats(1.0, 200.0)),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(rate=st.floats(1.0, 200.0), volume=st.floats(1.0, 60.0), actions=_actions)
def test_delivered_volume_is_the_integral_of_the_running_rate_capped_at_the_volume(
    rate: float, volume: float, actions: list[tuple[float, str | float]]
) -> None:
    clock = ManualClock(start=START)
    pump = SimulatedPump(PUMP, clock=clock, config=PumpConfig(auto_confirm=True))
    pump.propose(
        InfusionProgram(
            "P", "KETAMINE", Decimal(1), Decimal(f"{rate:.3f}"), Decimal(f"{volume:.3f}")
        )
    )
    expected_ml, running, current = 0.0, True, float(Decimal(f"{rate:.3f}"))
    vtbi = float(Decimal(f"{volume:.3f}"))
    for wait_s, action in actions:
        clock.advance(wait_s)
        if running:
            expected_ml = min(vtbi, expected_ml + current * wait_s / 3600)
        assert_allclose(pump.volume_delivered_ml(), expected_ml, rtol=1e-9, atol=1e-9)
        if abs(expected_ml - vtbi) > 1e-9:  # at the very end, rounding may say either
            assert (pump.state == "complete") == (expected_ml >= vtbi)
        if pump.state == "complete":
            break
        if action == "pause" and running:
            pump.pause()
            running = False
        elif action == "resume" and not running:
            pump.resume()
            running = True
        elif isinstance(action, float):
            pump.set_rate(action)
            current = action


def test_hold_pauses_the_running_program_and_release_resumes_it() -> None:
    """ORC-1 HD is how the clinic's interlock pauses a pump; RL resumes; both idempotent."""
    clock = ManualClock(start=START)
    pump = SimulatedPump(PUMP, clock=clock, config=PumpConfig(auto_confirm=True))
    assert "MSA|AA" in pump.handle_program_message(_rgv(_program()))
    clock.advance(60)
    hold = pump.handle_program_message(_rgv(_program(order_control="HD")))
    assert "MSA|AA" in hold
    assert (pump.state, pump.actual_rate_ml_per_h) == ("paused", 0.0)
    given = pump.volume_delivered_ml()
    assert given == pytest.approx(1.0)  # 60 mL/h for 60 s
    clock.advance(60)
    assert "MSA|AA" in pump.handle_program_message(_rgv(_program(order_control="HD")))
    assert pump.volume_delivered_ml() == pytest.approx(given)  # nothing while held
    pump.handle_program_message(_rgv(_program(order_control="RL")))
    assert (pump.state, pump.actual_rate_ml_per_h) == ("running", 60.0)
    other = pump.handle_program_message(_rgv(_program(program_id="PRG-9", order_control="HD")))
    assert "MSA|AE" in other and "PRG-9 is not on this pump" in other
    assert pump.state == "running"
