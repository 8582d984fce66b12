"""One simulated room end to end against an in-test gateway: fixed device ids, the
program sent to the room's own pump, the pump's rate in the patient, a status line."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ketamine_clinic.devices.hl7_codec import parse_message
from ketamine_clinic.devices.pcd import interpret
from ketamine_clinic.devices.sim.clock import SimClock
from ketamine_clinic.devices.sim.patient import ScriptedEvent
from ketamine_clinic.devices.sim.room import RoomConfig, RoomStatus, SimRoom, run_room, sim_eui64
from tests.devices.sim.fake_gateway import FakeGateway
from tests.devices.sim.hl7apy_strict import assert_strictly_valid

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_device_ids_are_fixed_by_kind_and_room_and_never_collide() -> None:
    assert sim_eui64("monitor", 3) == "024B430100000003"
    assert sim_eui64("pump", 3) == "024B430200000003"
    ids = {sim_eui64(kind, room) for kind in ("monitor", "pump", "orders") for room in range(50)}
    assert len(ids) == 150
    with pytest.raises(ValueError, match="kind"):
        sim_eui64("ventilator", 3)  # type: ignore[arg-type]


def test_the_standard_order_becomes_a_program_at_the_pumps_resolution() -> None:
    program = RoomConfig(3, "127.0.0.1", 2575).program()
    # 70 kg x 0.5 mg/kg = 35 mg = 35 mL at 1 mg/mL, over 40 min = 52.5 mL/h.
    assert (program.volume_to_infuse_ml, program.rate_ml_per_h) == (
        Decimal("35.00"),
        Decimal("52.5"),
    )
    assert program.program_id == "SIM-R3-1"
    with pytest.raises(ValueError, match="weight_kg"):
        RoomConfig(3, "127.0.0.1", 2575, weight_kg=0)


@pytest.mark.asyncio
async def test_a_room_runs_its_infusion_and_reports_to_the_gateway() -> None:
    gateway = FakeGateway()
    await gateway.start()
    config = RoomConfig(
        3,
        "127.0.0.1",
        gateway.port,
        random_events=False,
        waveforms=False,
        events=[ScriptedEvent("desaturation", 60.0, 60.0)],
        ack_timeout_s=5000.0,
    )
    room = SimRoom(config, clock=SimClock(scale=400, start=START))
    statuses: list[RoomStatus] = []
    await asyncio.wait_for(room.run(duration_s=120, on_status=statuses.append), 30)
    await gateway.stop()
    assert room.program_reply == "AA"
    reports = [interpret(parse_message(r.payload.decode()), UTC) for r in gateway.received]
    assert {r.device for r in reports} == {sim_eui64("monitor", 3), sim_eui64("pump", 3)}
    starts = [e for r in reports for e in r.pump_events if e.event_name.endswith("DELIV_START")]
    assert [(e.program_id, e.rate_ml_per_h) for e in starts] == [("SIM-R3-1", Decimal("52.5"))]
    history = room.patient.rate_history
    assert history.rates_mg_per_h == (52.5,)
    assert history.rate_change_times_s[0] >= 5.0
    assert room.patient.cp_ng_per_ml(120.0) > 0
    lowest_spo2 = min(
        n.value for r in reports for n in r.numerics
        if n.name == "MDC_PULS_OXIM_SAT_O2" and n.value is not None
    )  # fmt: skip
    assert lowest_spo2 < 90  # the scripted desaturation reached the gateway
    assert [s.t_s >= 60 for s in statuses][:1] == [True]
    assert statuses and statuses[0].line().startswith("room 3 ")
    assert room.monitor.link.stats.dropped == 0


@pytest.mark.asyncio
async def test_every_message_a_room_sends_is_strictly_valid_for_hl7apy() -> None:
    gateway = FakeGateway()
    await gateway.start()
    config = RoomConfig(
        4,
        "127.0.0.1",
        gateway.port,
        random_events=False,
        events=[ScriptedEvent("spo2_probe_off", 4.0, 3.0), ScriptedEvent("motion", 8.0, 2.0)],
        program_after_s=1.0,
        ack_timeout_s=5000.0,
    )
    room = SimRoom(config, clock=SimClock(scale=20, start=START))
    run = asyncio.create_task(room.run(duration_s=12))
    while room.pump.state != "running":
        await asyncio.sleep(0.01)
    room.pump.trigger_occlusion()  # a PCD-10 pause and a PCD-04 alarm
    room.pump.resume()
    await asyncio.wait_for(run, 30)
    await gateway.stop()
    texts = [r.payload.decode() for r in gateway.received]
    kinds = {interpret(parse_message(t), UTC).kind for t in texts}
    assert kinds == {"observation", "alert", "pump_event"}
    for text in texts:
        assert_strictly_valid(text, "ORU_R01")


@pytest.mark.asyncio
async def test_a_room_runs_until_it_is_stopped() -> None:
    gateway = FakeGateway()
    await gateway.start()
    stop = asyncio.Event()
    config = RoomConfig(5, "127.0.0.1", gateway.port, random_events=False, waveforms=False)
    runner = asyncio.create_task(
        run_room(config, clock=SimClock(scale=100, start=START), stop=stop)
    )
    while len(gateway.received) < 5:
        await asyncio.sleep(0.01)
    stop.set()
    room = await asyncio.wait_for(runner, 10)
    await gateway.stop()
    assert room.monitor.numerics_messages >= 5
    with pytest.raises(OSError):  # the program port is closed
        await asyncio.open_connection("127.0.0.1", room.pump_port)
