"""Each patient's outcome pages, under /outcomes/patients/."""

from __future__ import annotations

from django.urls import URLPattern, path

from ketamine_clinic.outcomes import patient_views

urlpatterns: list[URLPattern] = [
    path("<int:patient_id>/progress/", patient_views.patient_progress, name="patient_progress"),
]
