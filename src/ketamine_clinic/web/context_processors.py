from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from ketamine_clinic.web.navigation import nav_items_for


def clinic(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    signed_in = user is not None and user.is_authenticated
    return {
        "clinic_name": settings.KC_CLINIC_NAME,
        "nav_items": nav_items_for(user) if signed_in else [],  # type: ignore[arg-type]
    }
