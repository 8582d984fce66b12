"""Reads for the device registry pages: the devices by room with when each last spoke,
and the data that no visit claimed, grouped by the device that sent it.

Neither read touches patient data (unassigned data is, by definition, on no visit), so
neither is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from django.core.paginator import Page, Paginator
from django.db.models import Count, Max, Min, OuterRef, Q, QuerySet, Subquery

from ketamine_clinic.booking.models import Room
from ketamine_clinic.monitoring.models import Device, DeviceKind, DeviceMessage
from ketamine_clinic.monitoring.registry.services import EUI64_PATTERN

UNASSIGNED_PAGE_SIZE: Final = 50


def devices_with_last_message() -> QuerySet[Device]:
    """Every registered device with its room and ``last_message_at`` (when the clinic last
    received a message from it; None if never), in one query."""
    last = (
        DeviceMessage.objects.filter(device_eui64=OuterRef("eui64"))
        .order_by("-received_at")
        .values("received_at")[:1]
    )
    return (
        Device.objects.select_related("room")
        .annotate(last_message_at=Subquery(last))
        .order_by("room__display_order", "room__name", "kind", "eui64")
    )


@dataclass(frozen=True)
class RoomDevices:
    """One room's devices (``room`` None: devices placed in no room)."""

    room: Room | None
    devices: list[Device]

    def _in_use(self, kind: str) -> bool:
        return any(d.kind == kind and d.in_use for d in self.devices)

    @property
    def has_monitor(self) -> bool:
        return self._in_use(DeviceKind.MONITOR.value)

    @property
    def has_pump(self) -> bool:
        return self._in_use(DeviceKind.PUMP.value)


def devices_by_room() -> list[RoomDevices]:
    """Rooms in display order, each with its devices (rooms in use appear even with none,
    so a room missing its monitor shows), then the devices in no room. Two queries."""
    devices = list(devices_with_last_message())
    by_room: dict[int | None, list[Device]] = {}
    for device in devices:
        by_room.setdefault(device.room_id, []).append(device)
    groups = [
        RoomDevices(room=room, devices=by_room.get(room.pk, []))
        for room in Room.objects.order_by("display_order", "name")
        if room.in_use or room.pk in by_room
    ]
    if None in by_room:
        groups.append(RoomDevices(room=None, devices=by_room[None]))
    return groups


@dataclass(frozen=True)
class UnassignedSource:
    """A device whose messages were stored on no visit, and what is known of it now."""

    eui64: str  # "" when the messages named no device
    message_count: int
    first_received_at: datetime
    last_received_at: datetime
    stored_without_room: int  # messages stored while the device was in no room
    stored_in_empty_room: int  # messages stored in a room with no visit running
    sent_pump_events: bool
    sender: str  # MSH-3 and MSH-4 of one of its messages, as sent
    device: Device | None  # its registration now, if any

    @property
    def registered(self) -> bool:
        return self.device is not None

    @property
    def registrable(self) -> bool:
        """Unregistered with a well-formed EUI-64: the page offers to register it."""
        return self.device is None and bool(EUI64_PATTERN.fullmatch(self.eui64))

    @property
    def sender_shown(self) -> str:
        """MSH-3, and MSH-4 after a slash when the device sent one."""
        application, _, facility = self.sender.partition("|")
        return f"{application} / {facility}" if facility else application

    @property
    def likely_kind(self) -> str:
        """A guess for the registration form: only pumps send PCD-10 pump events."""
        return DeviceKind.PUMP.value if self.sent_pump_events else DeviceKind.MONITOR.value


def unassigned_sources(*, page_number: str | int | None = None) -> Page[UnassignedSource]:
    """Devices that sent messages stored on no visit, the most recently heard first, one
    page at a time: unregistered devices, and registered ones whose room had no visit
    running (or that were in no room) when their data arrived."""
    groups = (
        DeviceMessage.objects.filter(visit__isnull=True)
        .values("device_eui64")
        .annotate(
            message_count=Count("id"),
            first_received_at=Min("received_at"),
            last_received_at=Max("received_at"),
            stored_without_room=Count("id", filter=Q(room__isnull=True)),
            pump_events=Count("id", filter=Q(message_type="ORU^R42")),
            sender=Max("sender"),
        )
        .order_by("-last_received_at", "device_eui64")
    )
    # Any: the rows are dicts here and become UnassignedSource on the page returned.
    paginator: Paginator[Any] = Paginator(groups, UNASSIGNED_PAGE_SIZE)
    page = paginator.get_page(page_number)
    rows = list(page.object_list)
    registered = {
        device.eui64: device
        for device in Device.objects.select_related("room").filter(
            eui64__in=[row["device_eui64"] for row in rows]
        )
    }
    sources = [
        UnassignedSource(
            eui64=row["device_eui64"],
            message_count=row["message_count"],
            first_received_at=row["first_received_at"],
            last_received_at=row["last_received_at"],
            stored_without_room=row["stored_without_room"],
            stored_in_empty_room=row["message_count"] - row["stored_without_room"],
            sent_pump_events=row["pump_events"] > 0,
            sender=row["sender"],
            device=registered.get(row["device_eui64"]),
        )
        for row in rows
    ]
    return Page(sources, page.number, paginator)
