from __future__ import annotations

from django.urls import path

from ketamine_clinic.patients import views

app_name = "patients"

urlpatterns = [
    path("", views.patient_list, name="list"),
    path("<int:patient_id>/", views.patient_chart, name="chart"),
]
