"""The patient pages: find a patient, open their chart."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ketamine_clinic.access.policy import access, roles, staff_user
from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.patients.forms import PatientSearchForm
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import PatientSearchResult, patient_get, patient_search

# Everyone who looks after patients in person. The custodian and administrator do not
# need demographics for their jobs.
PATIENT_CARE = roles(Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CLINIC_LEAD)


@access(PATIENT_CARE)
def patient_list(request: HttpRequest) -> HttpResponse:
    """Search the registry; an empty query shows the form only (and reads nothing)."""
    user = staff_user(request)
    form = PatientSearchForm(request.GET)
    result: PatientSearchResult | None = None
    if form.is_valid() and form.cleaned_data["q"].strip():
        try:
            result = patient_search(query=form.cleaned_data["q"], by=user)
        except ValidationError as exc:
            form.add_error("q", exc)
    return render(request, "patients/list.html", {"form": form, "result": result})


@access(PATIENT_CARE)
def patient_chart(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The chart summary: who the patient is; the clinical parts arrive with later work."""
    user = staff_user(request)
    try:
        patient = patient_get(patient_id=patient_id, by=user)
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None
    return render(
        request,
        "patients/chart.html",
        {"patient": patient, "age": patient.age_on(timezone.localdate())},
    )
