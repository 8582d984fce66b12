"""The demo's devices: a monitor and a pump registered in every room, and a simulated
room for each visit on the monitor with that visit's order."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ketamine_clinic.booking.models import Room
from ketamine_clinic.demo.devices import SCRIPTED, rooms_to_simulate, seed_demo_devices
from ketamine_clinic.demo.seed import seed_demo_clinic
from ketamine_clinic.devices.sim.room import sim_eui64
from ketamine_clinic.monitoring.models import Device, DeviceKind
from ketamine_clinic.orders.models import InfusionOrder
from ketamine_clinic.visits.models import Visit

pytestmark = pytest.mark.django_db
LATE_MORNING = datetime(2026, 3, 10, 11, 30, tzinfo=ZoneInfo("America/New_York"))


def test_every_room_gets_a_monitor_and_a_pump_once() -> None:
    with time_machine.travel(LATE_MORNING, tick=False):
        seed_demo_clinic()
        seed_demo_devices()
        seed_demo_devices()
    rooms = list(Room.objects.filter(in_use=True))
    assert Device.objects.count() == 2 * len(rooms) == 12
    for room in rooms:
        monitor = Device.objects.get(room=room, kind=DeviceKind.MONITOR)
        pump = Device.objects.get(room=room, kind=DeviceKind.PUMP)
        assert monitor.eui64 == sim_eui64("monitor", room.display_order)
        assert pump.eui64 == sim_eui64("pump", room.display_order)


def test_the_rooms_to_simulate_carry_their_visits_order() -> None:
    with time_machine.travel(LATE_MORNING, tick=False):
        seed_demo_clinic()
        rooms = rooms_to_simulate()
    assert sorted(room.state for room in rooms) == ["infusing", "paused", "recovery"]
    for room in rooms:
        visit = Visit.objects.get(state=room.state, room__display_order=room.room_number)
        order = InfusionOrder.objects.filter(visit=visit).latest("ordered_at")
        assert room.name == visit.room.name  # type: ignore[union-attr]
        assert room.weight_kg == float(order.weight_kg)
        assert room.dose_mg_per_kg == float(order.dose_mg_per_kg)
        assert room.infusion_min == float(order.duration_min)
    # The sure events: a desaturation while infusing, a surge in the paused room.
    assert [e.kind for e in SCRIPTED["infusing"]] == ["desaturation"]
    assert [e.kind for e in SCRIPTED["paused"]] == ["hypertension"]
