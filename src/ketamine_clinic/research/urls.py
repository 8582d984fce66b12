from __future__ import annotations

from django.urls import URLPattern, path

from ketamine_clinic.research import views

app_name = "research"

urlpatterns: list[URLPattern] = [
    path("", views.export, name="export"),
    path("download", views.download, name="download"),
]
