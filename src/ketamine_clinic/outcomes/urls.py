"""The outcome pages: the clinic's (clinic_urls) and each patient's (patient_urls)."""

from __future__ import annotations

from django.urls import include, path

app_name = "outcomes"

urlpatterns = [
    path("", include("ketamine_clinic.outcomes.clinic_urls")),
    path("patients/", include("ketamine_clinic.outcomes.patient_urls")),
]
