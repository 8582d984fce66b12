"""The demo clinic's bedside devices: a registered monitor and pump in every room, and
simulated ones running in each room where a patient is on the monitor.

Each room's simulated patient takes the visit's ordered dose (weight, mg/kg, minutes,
concentration). So that the demo shows alarms without waiting for chance, the infusing
room has a desaturation a minute and a half in, and the paused room a blood-pressure
surge after two minutes; the simulators add their own random events too.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from asgiref.sync import sync_to_async
from django.db import transaction

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.models import Room
from ketamine_clinic.devices.sim.clock import SimClock
from ketamine_clinic.devices.sim.patient import ScriptedEvent
from ketamine_clinic.devices.sim.room import RoomConfig, SimRoom, sim_eui64
from ketamine_clinic.monitoring.models import Device, DeviceKind
from ketamine_clinic.monitoring.pump_programs import pump_program_send
from ketamine_clinic.orders.models import InfusionOrder
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit

log = logging.getLogger("ketamine_clinic.demo.devices")

SIMULATED_STATES: Final = (VisitState.INFUSING, VisitState.PAUSED, VisitState.RECOVERY)
# The demo's sure events (seconds after the simulators start), so alarms show quickly.
SCRIPTED: Final[dict[str, tuple[ScriptedEvent, ...]]] = {
    VisitState.INFUSING: (ScriptedEvent("desaturation", at_s=90, duration_s=120),),
    VisitState.PAUSED: (ScriptedEvent("hypertension", at_s=120, duration_s=240),),
    VisitState.RECOVERY: (),
}


def seed_demo_devices() -> None:
    """A monitor and a pump registered in each room in use (idempotent)."""
    now = datetime.now(UTC)
    with transaction.atomic():
        for room in Room.objects.filter(in_use=True):
            number = room.display_order
            for kind, model in (
                (DeviceKind.MONITOR, "Simulated multi-parameter monitor"),
                (DeviceKind.PUMP, "Simulated syringe pump"),
            ):
                Device.objects.get_or_create(
                    eui64=sim_eui64(kind.value, number),  # type: ignore[arg-type]
                    defaults={
                        "kind": kind,
                        "model": model,
                        "label": f"{'Monitor' if kind == DeviceKind.MONITOR else 'Pump'} "
                        f"{room.name}",
                        "room": room,
                        "registered_at": now,
                    },
                )


@dataclass(frozen=True)
class DemoRoom:
    room_number: int
    name: str
    visit_id: int
    state: str
    weight_kg: float
    dose_mg_per_kg: float
    infusion_min: float
    concentration_mg_per_ml: float


def rooms_to_simulate() -> list[DemoRoom]:
    """The rooms with a patient on the monitor, with the visit's order."""
    rooms = []
    visits = Visit.objects.filter(state__in=SIMULATED_STATES, room__isnull=False).select_related(
        "room"
    )
    for visit in visits:
        order = InfusionOrder.objects.filter(visit=visit).order_by("-ordered_at").first()
        if order is None or visit.room is None:
            continue
        rooms.append(
            DemoRoom(
                room_number=visit.room.display_order,
                name=visit.room.name,
                visit_id=visit.pk,
                state=visit.state,
                weight_kg=float(order.weight_kg),
                dose_mg_per_kg=float(order.dose_mg_per_kg),
                infusion_min=float(order.duration_min),
                concentration_mg_per_ml=float(order.concentration_mg_per_ml),
            )
        )
    return rooms


def _pump_listening(room: DemoRoom, port: int) -> None:
    """The simulated pump is up: record where it listens, and (unless the infusion is
    over) send it the visit's program from the clinic, as the demo nurse."""
    Device.objects.filter(eui64=sim_eui64("pump", room.room_number)).update(
        program_endpoint=f"127.0.0.1:{port}"
    )
    if room.state == VisitState.RECOVERY:
        return
    nurse = User.objects.filter(username="nurse").first()
    visit = Visit.objects.get(pk=room.visit_id)
    sent = pump_program_send(visit=visit, by=nurse)
    print(f"{room.name}: program sent to the pump, which answered {sent.reply_code}", flush=True)


async def run_demo_devices(gateway_port: int, stop: asyncio.Event) -> None:
    """Run the simulated rooms against the gateway until ``stop`` is set."""
    rooms = await sync_to_async(rooms_to_simulate)()
    tasks: list[asyncio.Task[None]] = []
    chores: list[asyncio.Future[None]] = []
    for seed, room in enumerate(rooms):
        config = RoomConfig(
            room_number=room.room_number,
            gateway_host="127.0.0.1",
            gateway_port=gateway_port,
            weight_kg=room.weight_kg,
            dose_mg_per_kg=room.dose_mg_per_kg,
            infusion_min=room.infusion_min,
            concentration_mg_per_ml=room.concentration_mg_per_ml,
            seed=seed,
            events=SCRIPTED.get(room.state, ()),
            # The clinic sends the program (PCD-03), not the simulator.
            start_program=False,
        )
        sim = SimRoom(config, clock=SimClock())

        def on_listening(port: int, room: DemoRoom = room) -> None:
            chores.append(asyncio.ensure_future(sync_to_async(_pump_listening)(room, port)))

        tasks.append(asyncio.create_task(sim.run(on_listening=on_listening)))
        if room.state == VisitState.PAUSED:
            tasks.append(asyncio.create_task(_pause_when_running(sim)))
    if rooms:
        names = ", ".join(r.name for r in rooms)
        print(f"Simulated monitors and pumps running in: {names}", flush=True)
    await stop.wait()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, *chores, return_exceptions=True)


async def _pause_when_running(sim: SimRoom) -> None:
    """The paused visit's pump: started by its program, then paused like the record says."""
    for _ in range(120):
        await asyncio.sleep(1)
        if sim.pump.state == "running":
            sim.pump.pause()
            return
