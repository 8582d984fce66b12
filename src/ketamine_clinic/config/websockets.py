"""WebSocket routes. Each consumer checks its own access policy on connect."""

from __future__ import annotations

from typing import Any

from django.urls import path

from ketamine_clinic.web.consumers import StaffEventsConsumer

# Served at /ws/v1/...; the page's script reads the path from <body data-staff-events>.
STAFF_EVENTS_PATH = "/ws/v1/staff-events/"

websocket_urlpatterns: list[Any] = [
    path(STAFF_EVENTS_PATH.lstrip("/"), StaffEventsConsumer.as_asgi(), name="staff_events"),
]
