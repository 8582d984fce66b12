"""WebSockets of the live views: one room, or the central station."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from ketamine_clinic.booking.models import Room
from ketamine_clinic.monitoring.live import STATION_GROUP, GroupMessage, room_group
from ketamine_clinic.monitoring.policies import MONITOR_READERS
from ketamine_clinic.web.consumers import CLOSE_NOT_ALLOWED, socket_admits

# Close code for a room that does not exist (4404 echoes HTTP 404; the page stops retrying).
CLOSE_NO_SUCH_ROOM = 4404


class _MonitorConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Admitted like a page (policy, session timeouts, second factor); then it only
    forwards what the gateway publishes. The page sends nothing: acknowledging an alarm
    is a POST with CSRF, audited, not a socket message."""

    group_name = ""

    async def _group(self) -> str | None:
        raise NotImplementedError

    async def connect(self) -> None:
        admitted = await database_sync_to_async(socket_admits)(
            policy=MONITOR_READERS,
            user=self.scope.get("user"),
            session=self.scope.get("session"),
        )
        if not admitted:
            await self.accept()
            await self.close(code=CLOSE_NOT_ALLOWED)
            return
        group = await self._group()
        if group is None:
            await self.accept()
            await self.close(code=CLOSE_NO_SUCH_ROOM)
            return
        # Join before accepting: once the page sees the socket open, nothing is missed.
        self.group_name = group
        await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if self.group_name:
            await self.channel_layer.group_discard(self.group_name, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """Ignored: see the class docstring."""

    async def monitor_update(self, message: GroupMessage) -> None:
        await self.send_json(message["data"])


class RoomMonitorConsumer(_MonitorConsumer):
    async def _group(self) -> str | None:
        room_id = int(self.scope["url_route"]["kwargs"]["room_id"])
        exists = await database_sync_to_async(Room.objects.filter(pk=room_id).exists)()
        return room_group(room_id) if exists else None


class StationMonitorConsumer(_MonitorConsumer):
    async def _group(self) -> str | None:
        return STATION_GROUP
