"""The patient's progress report page (outcomes:patient_progress)."""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.outcomes.patient_report import NOT_A_DIAGNOSIS, progress_report
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.policies import PATIENT_CARE


# Whoever may read the chart may print the report from it (patients/policies.py).
@access(PATIENT_CARE)
def patient_progress(request: HttpRequest, patient_id: int) -> HttpResponse:
    """The printable progress report a patient can take to their psychiatrist."""
    user = staff_user(request)
    try:
        report = progress_report(patient_id=patient_id, by=user)
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None
    return render(
        request,
        "outcomes/patient_progress.html",
        {
            "report": report,
            "patient": report.patient,
            "clinic_name": settings.KC_CLINIC_NAME,
            "clinic_phone": settings.KC_CLINIC_PHONE,
            "not_a_diagnosis": NOT_A_DIAGNOSIS,
        },
    )
