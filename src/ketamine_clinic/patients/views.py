from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ketamine_clinic.access.policy import access, roles
from ketamine_clinic.accounts.enums import Role


@access(roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD))
def patient_list(request: HttpRequest) -> HttpResponse:
    return render(request, "patients/list.html", {"patients": []})
