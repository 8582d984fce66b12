"""After each commit, what the gateway stored goes to the live views (``live.py``)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from channels.layers import BaseChannelLayer, InMemoryChannelLayer, get_channel_layer

from ketamine_clinic.devices.gateway import Inbound, Outcome, StoreResult
from ketamine_clinic.monitoring.live import STATION_GROUP, report_messages, room_group
from ketamine_clinic.monitoring.models import Device

log = logging.getLogger("ketamine_clinic.monitoring.publisher")

# How stale the device-to-room map may be: a device moved to another room shows there
# within this many seconds. Its stored data is placed by the storage, which reads the
# registry in each batch's own transaction.
DIRECTORY_REFRESH_S = 5.0


def _load_rooms() -> dict[str, int]:
    return {
        eui: room
        for eui, room in Device.objects.filter(in_use=True, room__isnull=False).values_list(
            "eui64", "room_id"
        )
        if room is not None
    }


class RoomDirectory:
    """Which room each registered device is in, read at most every few seconds."""

    def __init__(self, refresh_s: float = DIRECTORY_REFRESH_S) -> None:
        self.refresh_s = refresh_s
        self._rooms: dict[str, int] = {}
        self._loaded_at = float("-inf")

    async def room_of(self, eui64: str) -> int | None:
        if time.monotonic() - self._loaded_at > self.refresh_s:
            self._rooms = await sync_to_async(_load_rooms)()
            self._loaded_at = time.monotonic()
        return self._rooms.get(eui64)


class LivePublisher:
    """The gateway's after-commit hook: each stored message, to its room's live views."""

    def __init__(
        self, directory: RoomDirectory | None = None, layer: BaseChannelLayer | None = None
    ) -> None:
        self.directory = directory or RoomDirectory()
        self._layer = layer

    @property
    def layer(self) -> Any:
        if self._layer is None:
            self._layer = get_channel_layer()
        return self._layer

    async def __call__(self, items: Sequence[Inbound], results: Sequence[StoreResult]) -> None:
        layer = self.layer
        if layer is None:
            return
        heard = audience(layer)
        for item, result in zip(items, results, strict=True):
            if result.outcome is Outcome.DUPLICATE:
                continue  # already shown when it was first stored
            room = await self.directory.room_of(item.report.device)
            if room is None:
                continue  # unassigned: stored, shown on the devices page, not live
            if heard is not None and not (heard(room_group(room)) or heard(STATION_GROUP)):
                continue  # no page shows this room now: nothing to build
            for group, message in report_messages(room, item.report):
                if heard is None or heard(group):
                    await layer.group_send(group, message)


def audience(layer: BaseChannelLayer) -> Callable[[str], bool] | None:
    """Whether a group has anyone in it, when the layer can tell; None when it cannot.

    The in-memory layer (web pages and gateway in one process) knows its groups, so the
    gateway builds nothing for a room no page shows: most of the live work per message,
    for no one. Across processes (Redis) only the web processes know who watches, so
    everything is sent."""
    if isinstance(layer, InMemoryChannelLayer):
        groups = layer.groups
        return lambda group: bool(groups.get(group))
    return None
