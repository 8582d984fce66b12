"""The registry's reads, on data stored by the real storage: unassigned data grouped by the
device that sent it, newest first, paged; devices with when each last sent, in one query."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ketamine_clinic.accounts.models import User
from ketamine_clinic.monitoring.models import DeviceMessage
from ketamine_clinic.monitoring.registry import selectors
from tests.monitoring.registry.support import (
    PUMP,
    SPARE_MONITOR,
    pump_event_message,
    register,
    room,
    store,
)
from tests.monitoring.support import MONITOR, T0, visit_in_room, vitals_message

pytestmark = pytest.mark.django_db

STRANGER = "0011223344556677"


def test_unassigned_data_is_grouped_by_device_newest_first(personas: dict[str, User]) -> None:
    admin = personas["administrator"]
    room_3, room_4 = room("Room 3", 3), room("Room 4", 4)
    register(admin, MONITOR, room=room_3, label="Monitor 3")
    visit = visit_in_room(room_3, personas["nurse"], checked_in=T0)
    register(admin, SPARE_MONITOR, room=room_4)  # Room 4 has no visit running
    store(
        # Before the visit's check-in: Room 3 had no visit running.
        vitals_message("m3-early", T0 - timedelta(minutes=10)),
        # During the visit: assigned, so not listed.
        vitals_message("m3-a", T0 + timedelta(minutes=1)),
        vitals_message("m3-b", T0 + timedelta(minutes=2)),
        vitals_message("m4-1", T0 + timedelta(minutes=3), device=SPARE_MONITOR),
        vitals_message("x-1", T0 + timedelta(minutes=4), device=STRANGER),
        vitals_message("x-2", T0 + timedelta(minutes=5), device=STRANGER),
        vitals_message("x-3", T0 + timedelta(minutes=6), device=STRANGER),
    )
    page = selectors.unassigned_sources()
    rows = [
        (s.eui64, s.message_count, s.stored_without_room, s.stored_in_empty_room, s.registered)
        for s in page.object_list
    ]
    assert rows == [
        (STRANGER, 3, 3, 0, False),
        (SPARE_MONITOR, 1, 0, 1, True),
        (MONITOR, 1, 0, 1, True),
    ]
    stranger, spare, monitor = page.object_list
    assert (stranger.first_received_at, stranger.last_received_at) == (
        T0 + timedelta(minutes=4),
        T0 + timedelta(minutes=6),
    )
    assert stranger.registrable and not spare.registrable
    assert stranger.sender == f"Monitor^{STRANGER}^EUI-64|"
    assert stranger.sender_shown == f"Monitor^{STRANGER}^EUI-64"
    assert spare.device is not None and spare.device.room == room_4
    assert monitor.device is not None and monitor.device.room == room_3
    assert set(DeviceMessage.objects.filter(visit=visit).values_list("control_id", flat=True)) == {
        "m3-a",
        "m3-b",
    }
    assert page.paginator.count == 3


def test_a_device_that_sent_pump_events_is_offered_as_a_pump(personas: dict[str, User]) -> None:
    store(vitals_message("m-1", T0), pump_event_message("p-1", T0 + timedelta(seconds=5)))
    kinds = {s.eui64: s.likely_kind for s in selectors.unassigned_sources().object_list}
    assert kinds == {MONITOR: "monitor", PUMP: "pump"}


def test_unassigned_devices_are_paged(
    personas: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(selectors, "UNASSIGNED_PAGE_SIZE", 2)
    devices = [f"00A0C9FFFE0010{n:02X}" for n in range(5)]
    store(
        *(
            vitals_message(f"c{n}", T0 + timedelta(minutes=n), device=device)
            for n, device in enumerate(devices)
        )
    )
    first = selectors.unassigned_sources(page_number=1)
    last = selectors.unassigned_sources(page_number="3")
    assert [s.eui64 for s in first.object_list] == [devices[4], devices[3]]
    assert [s.eui64 for s in last.object_list] == [devices[0]]
    assert (first.paginator.num_pages, first.has_next(), last.has_next()) == (3, True, False)
    # A page past the end, or not a number, shows the nearest page rather than failing.
    assert selectors.unassigned_sources(page_number="99").number == 3
    assert selectors.unassigned_sources(page_number="x").number == 1


def test_devices_come_with_their_last_message_in_one_query(personas: dict[str, User]) -> None:
    admin = personas["administrator"]
    rooms = [room(f"Room {n}", n) for n in range(1, 4)]
    for n, each in enumerate(rooms):
        register(admin, f"00A0C9FFFE0020{n:02X}", room=each)
    register(admin, PUMP, "pump", room=rooms[0])
    store(
        vitals_message("a", T0, device="00A0C9FFFE002000"),
        vitals_message("b", T0 + timedelta(minutes=7), device="00A0C9FFFE002000"),
        vitals_message("c", T0 + timedelta(minutes=3), device="00A0C9FFFE002001"),
    )
    with CaptureQueriesContext(connection) as queries:
        devices = list(selectors.devices_with_last_message())
        last = {d.eui64: d.last_message_at for d in devices}  # type: ignore[attr-defined]
        rooms_seen = {d.eui64: d.room.name if d.room else None for d in devices}
    assert len(queries) == 1
    assert last == {
        "00A0C9FFFE002000": T0 + timedelta(minutes=7),
        "00A0C9FFFE002001": T0 + timedelta(minutes=3),
        "00A0C9FFFE002002": None,
        PUMP: None,
    }
    assert rooms_seen[PUMP] == "Room 1"


def test_devices_by_room_shows_rooms_in_use_without_devices_and_the_unplaced_last(
    personas: dict[str, User],
) -> None:
    admin = personas["administrator"]
    room_1, room_2 = room("Room 1", 1), room("Room 2", 2)
    room("Closed", 9, in_use=False)
    register(admin, MONITOR, room=room_1)
    register(admin, SPARE_MONITOR, in_use=False)
    groups = selectors.devices_by_room()
    assert [(g.room.name if g.room else None, [d.eui64 for d in g.devices]) for g in groups] == [
        ("Room 1", [MONITOR]),
        ("Room 2", []),
        (None, [SPARE_MONITOR]),
    ]
    assert (groups[0].has_monitor, groups[0].has_pump) == (True, False)
    assert room_2.pk == groups[1].room.pk  # type: ignore[union-attr]
