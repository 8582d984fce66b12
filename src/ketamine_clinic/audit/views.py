"""The audit trail page for the clinic lead."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketamine_clinic.access.policy import access, roles, staff_user
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.audit.forms import AuditFilterForm
from ketamine_clinic.audit.selectors import audit_entries_filtered


@access(roles(Role.CLINIC_LEAD))
def entries(request: HttpRequest) -> HttpResponse:
    """Filtered, paginated trail. Invalid filters show their errors and read nothing."""
    user = staff_user(request)
    form = AuditFilterForm(request.GET)
    page = None
    if form.is_valid():
        page = audit_entries_filtered(
            filters=form.filters(), page_number=request.GET.get("page"), by=user
        )
    return render(request, "audit/entries.html", {"form": form, "page": page})
