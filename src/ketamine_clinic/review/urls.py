from __future__ import annotations

from django.urls import path

from ketamine_clinic.review import views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("risk-flags/<int:flag_id>/assessment", views.assess_risk_flag, name="assess_risk_flag"),
    path(
        "screenings/<int:assessment_id>/decision", views.decide_screening, name="decide_screening"
    ),
]
