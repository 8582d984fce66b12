from __future__ import annotations

from django.urls import URLPattern, path

from ketamine_clinic.outcomes import views

urlpatterns: list[URLPattern] = [
    path("", views.dashboard, name="dashboard"),
]
