"""The live publisher: what the gateway sends the room and station pages after a commit,
and nothing built for a room no page shows when the layer can tell."""

from __future__ import annotations

from typing import Any

import pytest
from channels.layers import InMemoryChannelLayer

from ketamine_clinic.devices.gateway import Outcome, StoreResult
from ketamine_clinic.monitoring.live import STATION_GROUP, room_group
from ketamine_clinic.monitoring.publisher import LivePublisher, RoomDirectory
from tests.monitoring.support import T0, inbound, vitals_message

pytestmark = pytest.mark.asyncio

IN_ROOM_1 = "00A0C9FFFE000001"
IN_ROOM_2 = "00A0C9FFFE000002"


class FixedRooms(RoomDirectory):
    def __init__(self, rooms: dict[str, int]) -> None:
        super().__init__()
        self.rooms = rooms

    async def room_of(self, eui64: str) -> int | None:
        return self.rooms.get(eui64)


class Recording(InMemoryChannelLayer):  # type: ignore[misc]  # channels has no types
    """The in-memory layer, noting every group it is asked to send to."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.asked.append(group)
        await super().group_send(group, message)


class CannotTell:
    """A layer that does not know its groups (as Redis, seen from the gateway)."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def group_send(self, group: str, message: dict[str, Any]) -> None:
        self.asked.append(group)


async def _publish(layer: Any) -> None:
    items = [
        inbound(vitals_message("one", T0, device=IN_ROOM_1)),
        inbound(vitals_message("two", T0, device=IN_ROOM_2)),
    ]
    results = [StoreResult(Outcome.STORED)] * 2
    publisher = LivePublisher(FixedRooms({IN_ROOM_1: 1, IN_ROOM_2: 2}), layer=layer)
    await publisher(items, results)


async def test_only_rooms_a_page_shows_are_sent_on_the_in_memory_layer() -> None:
    layer = Recording()
    page = await layer.new_channel()
    await layer.group_add(room_group(1), page)
    await _publish(layer)
    assert layer.asked == [room_group(1)]
    received = await layer.receive(page)
    assert received["data"]["kind"] == "numerics"
    assert received["data"]["room"] == 1
    assert [v["value"] for v in received["data"]["values"]] == [72.0, 98.0]


async def test_the_station_hears_every_room() -> None:
    layer = Recording()
    station = await layer.new_channel()
    await layer.group_add(STATION_GROUP, station)
    await _publish(layer)
    assert layer.asked == [STATION_GROUP, STATION_GROUP]
    rooms = [(await layer.receive(station))["data"]["room"] for _ in range(2)]
    assert rooms == [1, 2]


async def test_a_layer_that_cannot_tell_gets_everything() -> None:
    layer = CannotTell()
    await _publish(layer)
    assert layer.asked == [room_group(1), STATION_GROUP, room_group(2), STATION_GROUP]
