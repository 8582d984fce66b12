"""URLs of the week view."""

from __future__ import annotations

from django.urls import URLPattern, path

from ketamine_clinic.booking import week_views

urlpatterns: list[URLPattern] = [
    path("week/", week_views.week, name="week"),
]
