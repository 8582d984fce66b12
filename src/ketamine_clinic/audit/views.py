"""The audit trail page for the clinic lead."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketamine_clinic.access.policy import access, roles
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.audit.models import AuditEntry


@access(roles(Role.CLINIC_LEAD))
def entries(request: HttpRequest) -> HttpResponse:
    page = AuditEntry.objects.order_by("-seq")[:100]
    return render(request, "audit/entries.html", {"entries": page})
