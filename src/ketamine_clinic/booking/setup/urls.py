"""URLs of the clinic's booking set-up: rooms, hours, rota, settings, availability."""

from __future__ import annotations

from django.urls import URLPattern, path

from ketamine_clinic.booking.setup import views

urlpatterns: list[URLPattern] = [
    path("rooms/", views.rooms, name="rooms"),
    path("rooms/add", views.room_add, name="room_add"),
    path("rooms/<int:room_id>/edit", views.room_edit, name="room_edit"),
    path("hours/", views.hours, name="hours"),
    path("hours/save", views.hours_save, name="hours_save"),
    path("settings/", views.scheduling_settings, name="settings"),
    path("rota/", views.rota, name="rota"),
    path("rota/shifts/add", views.shift_add, name="shift_add"),
    path("rota/shifts/<int:shift_id>/remove", views.shift_remove, name="shift_remove"),
    path("rota/copy-week", views.rota_copy_week, name="rota_copy_week"),
    path(
        "patients/<int:patient_id>/availability",
        views.patient_availability,
        name="patient_availability",
    ),
    path(
        "patients/<int:patient_id>/availability/windows",
        views.availability_windows,
        name="availability_windows",
    ),
    path(
        "patients/<int:patient_id>/availability/unavailable/add",
        views.unavailable_date_add,
        name="unavailable_date_add",
    ),
    path(
        "patients/<int:patient_id>/availability/unavailable/remove",
        views.unavailable_date_remove,
        name="unavailable_date_remove",
    ),
]
