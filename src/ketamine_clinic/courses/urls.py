"""Course actions from the chart, under /patients/ beside the chart they act on."""

from __future__ import annotations

from django.urls import path

from ketamine_clinic.courses import views

app_name = "courses"

urlpatterns = [
    path("<int:patient_id>/course/start", views.course_start_view, name="start"),
    path("courses/<int:course_id>/stop", views.course_stop_view, name="stop"),
]
