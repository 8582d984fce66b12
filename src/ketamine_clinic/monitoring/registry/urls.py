"""URLs of the device registry, mounted at /devices/."""

from __future__ import annotations

from django.urls import URLPattern, path

from ketamine_clinic.monitoring.registry import views

app_name = "devices"

urlpatterns: list[URLPattern] = [
    path("", views.device_list, name="list"),
    path("register", views.device_register, name="register"),
    path("unassigned/", views.unassigned, name="unassigned"),
    path("<int:device_id>/", views.device_edit, name="edit"),
]
