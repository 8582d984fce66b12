"""The audit trail's integrity, for the clinic lead's monitoring."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from ketamine_clinic.access.policy import roles
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.api.auth import api_access
from ketamine_clinic.api.routers import AUTH_ERRORS
from ketamine_clinic.api.schemas import AuditVerifyOut
from ketamine_clinic.audit.selectors import audit_chain_verify

router = Router(tags=["audit"])


@router.get(
    "/audit/verify",
    response={200: AuditVerifyOut, **AUTH_ERRORS},
    auth=api_access(roles(Role.CLINIC_LEAD)),
)
def audit_verify(request: HttpRequest) -> AuditVerifyOut:
    """Recompute the hash chain, as `ketamine-clinic audit verify` does."""
    count, broken = audit_chain_verify()
    return AuditVerifyOut(
        intact=broken is None,
        entries=count,
        first_break=broken.describe() if broken is not None else None,
    )
