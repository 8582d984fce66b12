"""The simulated monitor: numerics every second, NIBP on its cycle and on demand,
waveform chunks that join up, every message strictly valid and read back by the gateway's
interpreter."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.pcd import DeviceReport, interpret
from ketamine_clinic.devices.pcd_build import ControlIds, Sender
from ketamine_clinic.devices.sim.clock import SimClock
from ketamine_clinic.devices.sim.link import MllpLink
from ketamine_clinic.devices.sim.monitor import MonitorConfig, SimulatedMonitor
from ketamine_clinic.devices.sim.patient import ScriptedEvent, VirtualPatient
from tests.devices.sim.fake_gateway import FakeGateway
from tests.devices.sim.hl7apy_strict import assert_strictly_valid

pytestmark = pytest.mark.asyncio

SENDER = Sender("KC_SIM_MONITOR", "02C0FFEE00000301")
START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
TIMEOUT_S = 5000.0  # simulated; several wall seconds at these speeds: no spurious resends


async def _run_monitor(
    duration_s: float,
    *,
    config: MonitorConfig | None = None,
    patient: VirtualPatient | None = None,
    scale: float = 200.0,
) -> tuple[SimulatedMonitor, list[DeviceReport], list[str]]:
    gateway = FakeGateway()
    await gateway.start()
    clock = SimClock(scale=scale, start=START)
    monitor = SimulatedMonitor(
        patient or VirtualPatient(weight_kg=70, seed=2),
        SENDER,
        MllpLink("127.0.0.1", gateway.port, clock=clock, ack_timeout_s=TIMEOUT_S),
        clock=clock,
        config=config,
        control_ids=ControlIds(SENDER.eui64, session="m"),
    )
    await asyncio.wait_for(monitor.run(duration_s=duration_s), 30)
    await gateway.stop()
    texts = [r.payload.decode() for r in gateway.received]
    return monitor, [interpret(parse_message(t), UTC) for t in texts], texts


async def test_numerics_every_second_and_waveform_chunks_that_join_up() -> None:
    monitor, reports, texts = await _run_monitor(10)
    numerics = [r for r in reports if r.numerics]
    waves = [r for r in reports if r.waveforms]
    assert [r.sent_at for r in numerics] == [START + timedelta(seconds=s) for s in range(11)]
    assert {n.code for n in numerics[0].numerics} >= {
        mdc.HEART_RATE.code,
        mdc.SPO2.code,
        mdc.PULSE_RATE_OXIMETER.code,
        mdc.RESP_RATE.code,
        mdc.TEMPERATURE.code,
    }
    assert len(waves) == 10
    for second, report in enumerate(waves):
        ecg, pleth = report.waveforms
        assert (ecg.code, ecg.sample_rate_hz, len(ecg.samples)) == (mdc.ECG_LEAD_II.code, 250, 250)
        assert (pleth.code, pleth.sample_rate_hz, len(pleth.samples)) == (mdc.PLETH.code, 125, 125)
        assert ecg.start_at == pleth.start_at == START + timedelta(seconds=second)
    assert [r.control_id for r in reports] == [f"{SENDER.eui64}-m-{n}" for n in range(1, 22)]
    assert monitor.link.stats.acked == 21
    for text in texts[:3]:
        assert_strictly_valid(text, "ORU_R01")


async def test_nibp_comes_at_the_start_then_on_its_cycle() -> None:
    config = MonitorConfig(nibp_interval_s=60.0, waveform_chunk_s=0)
    _monitor, reports, _texts = await _run_monitor(130, config=config, scale=2000)
    cuff_times = [
        n.observed_at for r in reports for n in r.numerics if n.code == mdc.NIBP_SYSTOLIC.code
    ]
    assert cuff_times == [START, START + timedelta(seconds=60), START + timedelta(seconds=120)]
    assert all(not r.waveforms for r in reports)


async def test_a_requested_nibp_comes_with_the_next_numerics() -> None:
    gateway = FakeGateway()
    await gateway.start()
    clock = SimClock(scale=200, start=START)
    monitor = SimulatedMonitor(
        VirtualPatient(weight_kg=70),
        SENDER,
        MllpLink("127.0.0.1", gateway.port, clock=clock, ack_timeout_s=TIMEOUT_S),
        clock=clock,
        config=MonitorConfig(waveform_chunk_s=0),
    )
    run = asyncio.create_task(monitor.run(duration_s=20))
    while monitor.numerics_messages < 5:
        await asyncio.sleep(0.001)
    monitor.request_nibp()
    await asyncio.wait_for(run, 30)
    await gateway.stop()
    reports = [interpret(parse_message(r.payload.decode()), UTC) for r in gateway.received]
    with_cuff = [
        r.sent_at for r in reports if any(n.code == mdc.NIBP_MEAN.code for n in r.numerics)
    ]
    assert len(with_cuff) == 2
    assert with_cuff[0] == START
    assert with_cuff[1] >= START + timedelta(seconds=5)


async def test_a_probe_off_is_sent_as_invalid_spo2_and_pleth_never_zero() -> None:
    patient = VirtualPatient(weight_kg=70, events=[ScriptedEvent("spo2_probe_off", 2.0, 3.0)])
    _monitor, reports, texts = await _run_monitor(6, patient=patient)
    spo2 = {r.sent_at: n.value for r in reports for n in r.numerics if n.code == mdc.SPO2.code}
    assert spo2[START + timedelta(seconds=3)] is None
    assert spo2[START + timedelta(seconds=1)] is not None
    assert spo2[START + timedelta(seconds=6)] is not None
    pleth_at_3 = next(
        w
        for r in reports
        for w in r.waveforms
        if w.code == mdc.PLETH.code and w.start_at == START + timedelta(seconds=3)
    )
    assert set(pleth_at_3.samples) == {None}
    probe_off = next(
        t
        for t, r in zip(texts, reports, strict=True)
        if r.sent_at == START + timedelta(seconds=3) and r.numerics
    )
    assert_strictly_valid(probe_off, "ORU_R01")


async def test_the_monitor_resends_the_same_bytes_on_ae_and_loses_nothing() -> None:
    third = f"{SENDER.eui64}-m-3"
    gateway = FakeGateway(script=lambda cid, n: "AE" if cid == third and n == 1 else "AA")
    await gateway.start()
    clock = SimClock(scale=200, start=START)
    monitor = SimulatedMonitor(
        VirtualPatient(weight_kg=70),
        SENDER,
        MllpLink("127.0.0.1", gateway.port, clock=clock, ack_timeout_s=TIMEOUT_S),
        clock=clock,
        control_ids=ControlIds(SENDER.eui64, session="m"),
    )
    await asyncio.wait_for(monitor.run(duration_s=3), 30)
    await gateway.stop()
    first, second = gateway.arrivals(third)
    assert first == second
    assert len(gateway.control_ids()) == 7  # 4 numerics + 3 waveform chunks
    assert (monitor.link.stats.acked, monitor.link.stats.retried) == (7, 1)


async def test_a_hypertensive_surge_is_measured_a_minute_in_not_at_the_next_cycle() -> None:
    patient = VirtualPatient(weight_kg=70, events=[ScriptedEvent("hypertension", 20.0, 120.0)])
    config = MonitorConfig(waveform_chunk_s=0, nibp_interval_s=300)
    _monitor, reports, _texts = await _run_monitor(100, config=config, patient=patient, scale=2000)
    systolic = [
        (n.observed_at, n.value) for r in reports for n in r.numerics
        if n.code == mdc.NIBP_SYSTOLIC.code
    ]  # fmt: skip
    assert [at for at, _value in systolic] == [START, START + timedelta(seconds=80)]
    surge_value = systolic[1][1]
    assert surge_value is not None and surge_value > 170
