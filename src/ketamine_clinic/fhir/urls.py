"""/fhir/r4/: the read-only FHIR R4 endpoint for registered client applications."""

from __future__ import annotations

from django.urls import URLPattern, path

from ketamine_clinic.fhir import views

app_name = "fhir"

urlpatterns: list[URLPattern] = [
    path("metadata", views.metadata, name="metadata"),
    path("Patient", views.patient_search, name="patient_search"),
    path("Patient/<patient_id>", views.patient_read, name="patient_read"),
    path("Patient/<patient_id>/$everything", views.patient_everything, name="patient_everything"),
]
