"""The staff directory, for the administrator's tools."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.selectors import staff_rows
from ketamine_clinic.api.auth import api_access
from ketamine_clinic.api.routers import AUTH_ERRORS
from ketamine_clinic.api.schemas import StaffOut

router = Router(tags=["staff"])


@router.get(
    "/staff",
    response={200: list[StaffOut], **AUTH_ERRORS},
    auth=api_access(roles(Role.ADMINISTRATOR)),
)
def staff_list(request: HttpRequest) -> list[StaffOut]:
    """Every staff account, active ones first, with its roles."""
    return [
        StaffOut(
            id=row.user.pk,
            username=row.user.username,
            display_name=row.user.display_name,
            roles=list(row.roles),
            is_active=row.user.is_active,
        )
        for row in staff_rows()
    ]
