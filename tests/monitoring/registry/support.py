"""Rooms, devices and stored device data for the registry tests."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.booking.models import Room
from ketamine_clinic.devices.pcd_build import PumpTotals, Sender, build_pump_event
from ketamine_clinic.devices.sim.pump import EVENT_TERMS
from ketamine_clinic.monitoring.models import Device
from ketamine_clinic.monitoring.registry import services
from ketamine_clinic.monitoring.storage import DatabaseStorage
from tests.monitoring.support import inbound

PUMP = "00A0C9FFFE00AB01"
SPARE_MONITOR = "00A0C9FFFE0000F1"


def room(name: str, order: int = 1, *, in_use: bool = True) -> Room:
    return Room.objects.create(name=name, display_order=order, in_use=in_use)


def register(by: User, eui64: str, kind: str = "monitor", **values: object) -> Device:
    """A registration through the service, with a model unless one is given."""
    values.setdefault("model", "Acme VS-900" if kind == "monitor" else "Acme SP-2")
    return services.device_register(eui64=eui64, kind=kind, by=by, **values)  # type: ignore[arg-type]


def edit(device: Device, by: User, **changes: object) -> Device:
    """``device_update`` with the device's current values except ``changes``."""
    device.refresh_from_db()
    values: dict[str, object] = {
        "model": device.model,
        "label": device.label,
        "room": device.room,
        "program_endpoint": device.program_endpoint,
        "in_use": device.in_use,
    }
    values.update(changes)
    return services.device_update(device=device, by=by, **values)  # type: ignore[arg-type]


def pump_event_message(control_id: str, at: datetime, *, device: str = PUMP) -> str:
    """A PCD-10 delivery-start event, as the simulated pump sends it."""
    return build_pump_event(
        Sender("Acme SP-2", device),
        control_id,
        at,
        event=EVENT_TERMS["start"],
        program_id="P1",
        at=at,
        totals=PumpTotals(Decimal("12.5"), Decimal("0"), Decimal("48"), Decimal("0")),
    )


def store(*texts: str) -> None:
    DatabaseStorage().store_batch([inbound(text) for text in texts])


def device_entries() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type="device").order_by("seq"))
