"""The room and station sockets through the production ASGI app, on both channel layers:
admitted per MONITOR_READERS, 4401 for others, 4404 for a room that does not exist,
and what the gateway publishes to a group reaches the pages in that group.

SQLite pass only, for the reason tests/web/test_consumers.py gives (transactional tests
cannot flush the append-only audit trail on PostgreSQL).
"""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.booking.models import Room
from ketamine_clinic.config.asgi import application
from ketamine_clinic.config.websockets import MONITOR_ROOM_PATH, MONITOR_STATION_PATH
from ketamine_clinic.monitoring.consumers import CLOSE_NO_SUCH_ROOM
from ketamine_clinic.monitoring.live import (
    STATION_GROUP,
    UPDATE_TYPE,
    alarms_message,
    room_group,
)
from ketamine_clinic.web.consumers import CLOSE_NOT_ALLOWED
from tests.support.services import sqlite_pass_only
from tests.web.test_consumers import (  # the same layers, sockets and sign-in
    OPEN_SOCKETS,
    ORIGIN,
    channel_layer,
    staff_with_cookie,
)

pytestmark = [
    sqlite_pass_only("transactional tests cannot flush the append-only audit trail"),
    pytest.mark.asyncio,
    pytest.mark.django_db(transaction=True),
]

__all__ = ["channel_layer"]  # a fixture, used by name

HEART_RATE = {
    "kind": "numerics",
    "room": 0,
    "at": "2026-11-26T15:00:00+00:00",
    "values": [
        {"code": 147842, "label": "HR", "value": 72.0, "unit": "/min", "at": "2026-11-26T15:00:00"},
        {"code": 150456, "label": "SpO2", "value": None, "unit": "%", "at": "2026-11-26T15:00:00"},
    ],
}


async def _room(name: str = "Room 3") -> int:
    room = await sync_to_async(Room.objects.create)(name=name, display_order=3)
    return int(room.pk)


def _socket(path: str, cookie: bytes | None) -> WebsocketCommunicator:
    headers = [ORIGIN] + ([(b"cookie", cookie)] if cookie is not None else [])
    socket = WebsocketCommunicator(application, path, headers=headers)
    OPEN_SOCKETS.append(socket)
    return socket


async def _closed_with(path: str, cookie: bytes | None) -> Any:
    socket = _socket(path, cookie)
    connected, _ = await socket.connect()
    assert connected
    return await socket.receive_output()


async def test_an_anonymous_visitor_is_closed_with_4401(channel_layer: str) -> None:
    room_id = await _room()
    for path in (MONITOR_ROOM_PATH.format(room_id=room_id), MONITOR_STATION_PATH):
        assert await _closed_with(path, None) == {
            "type": "websocket.close",
            "code": CLOSE_NOT_ALLOWED,
        }


async def test_the_front_desk_is_closed_with_4401(channel_layer: str) -> None:
    room_id = await _room()
    _, cookie = await staff_with_cookie("desk", Role.FRONT_DESK)
    for path in (MONITOR_ROOM_PATH.format(room_id=room_id), MONITOR_STATION_PATH):
        assert await _closed_with(path, cookie) == {
            "type": "websocket.close",
            "code": CLOSE_NOT_ALLOWED,
        }


async def test_a_room_that_does_not_exist_is_closed_with_4404(channel_layer: str) -> None:
    _, cookie = await staff_with_cookie("okafor", Role.NURSE)
    assert await _closed_with(MONITOR_ROOM_PATH.format(room_id=9999), cookie) == {
        "type": "websocket.close",
        "code": CLOSE_NO_SUCH_ROOM,
    }


@pytest.mark.parametrize("role", [Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD])
async def test_a_room_page_receives_what_is_published_to_its_room(
    channel_layer: str, role: Role
) -> None:
    room_id = await _room()
    other_id = await _room("Room 4")
    _, cookie = await staff_with_cookie(f"watcher_{role.value}", role)
    socket = _socket(MONITOR_ROOM_PATH.format(room_id=room_id), cookie)
    connected, _ = await socket.connect()
    assert connected
    layer = get_channel_layer()
    # Another room's update first: it must not arrive here.
    await layer.group_send(
        room_group(other_id), {"type": UPDATE_TYPE, "data": {**HEART_RATE, "room": other_id}}
    )
    await layer.group_send(
        room_group(room_id), {"type": UPDATE_TYPE, "data": {**HEART_RATE, "room": room_id}}
    )
    received = await socket.receive_json_from(timeout=5)
    assert received == {**HEART_RATE, "room": room_id}
    assert received["values"][1]["value"] is None  # invalid stays null, never 0
    await layer.group_send(room_group(room_id), alarms_message(room_id, []))
    assert await socket.receive_json_from(timeout=5) == {
        "kind": "alarms",
        "room": room_id,
        "active": [],
    }


async def test_the_station_receives_every_rooms_station_updates(channel_layer: str) -> None:
    first, second = await _room(), await _room("Room 4")
    _, cookie = await staff_with_cookie("okafor", Role.NURSE)
    socket = _socket(MONITOR_STATION_PATH, cookie)
    connected, _ = await socket.connect()
    assert connected
    layer = get_channel_layer()
    for room_id in (first, second):
        await layer.group_send(
            STATION_GROUP, {"type": UPDATE_TYPE, "data": {**HEART_RATE, "room": room_id}}
        )
    rooms = [(await socket.receive_json_from(timeout=5))["room"] for _ in range(2)]
    assert rooms == [first, second]
    # Waveforms go to the room's group only: the next thing the station gets is the
    # message published after the wave (a marker, rather than waiting for nothing).
    await layer.group_send(
        room_group(first),
        {"type": UPDATE_TYPE, "data": {"kind": "wave", "room": first, "samples": [0.1]}},
    )
    await layer.group_send(STATION_GROUP, alarms_message(second, []))
    assert (await socket.receive_json_from(timeout=5))["kind"] == "alarms"


async def test_what_the_page_sends_is_ignored(channel_layer: str) -> None:
    room_id = await _room()
    _, cookie = await staff_with_cookie("okafor", Role.NURSE)
    socket = _socket(MONITOR_ROOM_PATH.format(room_id=room_id), cookie)
    connected, _ = await socket.connect()
    assert connected
    # An acknowledgement is a POST with CSRF, audited; never a socket message.
    await socket.send_json_to({"command": "acknowledge", "alarm_id": "x"})
    await get_channel_layer().group_send(room_group(room_id), alarms_message(room_id, []))
    assert await socket.receive_json_from(timeout=5) == {
        "kind": "alarms",
        "room": room_id,
        "active": [],
    }
