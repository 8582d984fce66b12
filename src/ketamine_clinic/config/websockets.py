"""WebSocket routes. Each consumer checks its own access policy on connect."""

from __future__ import annotations

from typing import Any

websocket_urlpatterns: list[Any] = []
