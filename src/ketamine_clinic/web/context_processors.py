from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ketamine_clinic.config.websockets import STAFF_EVENTS_PATH
from ketamine_clinic.web.navigation import nav_items_for


def clinic(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "clinic_name": settings.KC_CLINIC_NAME,
        "clinic_phone": settings.KC_CLINIC_PHONE,
        "nav_items": nav_items_for(user) if signed_in else [],  # type: ignore[arg-type]
        # For web/static/web/app.js: live staff events, and the idle-timeout warning.
        "staff_events_path": STAFF_EVENTS_PATH,
        "session_idle_minutes": settings.KC_SESSION_IDLE_MINUTES,
    }
