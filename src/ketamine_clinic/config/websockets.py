"""WebSocket routes. Each consumer checks its own access policy on connect."""

from __future__ import annotations

from typing import Any

from django.urls import path

from ketamine_clinic.monitoring.consumers import RoomMonitorConsumer, StationMonitorConsumer
from ketamine_clinic.web.consumers import StaffEventsConsumer

# Served at /ws/v1/...; the page's script reads the path from <body data-staff-events>.
STAFF_EVENTS_PATH = "/ws/v1/staff-events/"
# The live views: <body data-monitor-socket> on the room and station pages.
MONITOR_ROOM_PATH = "/ws/v1/monitoring/rooms/{room_id}/"
MONITOR_STATION_PATH = "/ws/v1/monitoring/station/"

websocket_urlpatterns: list[Any] = [
    path(STAFF_EVENTS_PATH.lstrip("/"), StaffEventsConsumer.as_asgi(), name="staff_events"),
    path(
        "ws/v1/monitoring/rooms/<int:room_id>/",
        RoomMonitorConsumer.as_asgi(),
        name="monitor_room",
    ),
    path(
        MONITOR_STATION_PATH.lstrip("/"), StationMonitorConsumer.as_asgi(), name="monitor_station"
    ),
]
