"""Who am I: what a device or script checks first with a new token."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from ketamine_clinic.access.policy import ANY_STAFF
from ketamine_clinic.api.auth import api_access, api_user
from ketamine_clinic.api.routers import AUTH_ERRORS
from ketamine_clinic.api.schemas import MeOut

router = Router(tags=["staff"])


@router.get("/me", response={200: MeOut, **AUTH_ERRORS}, auth=api_access(ANY_STAFF))
def me(request: HttpRequest) -> MeOut:
    """The signed-in staff member (or the token's owner) and their roles."""
    user = api_user(request)
    return MeOut(username=user.username, display_name=user.display_name, roles=sorted(user.roles))
