"""The monitoring pages, under /monitoring/ (config/urls.py)."""

from __future__ import annotations

from django.urls import path

from ketamine_clinic.monitoring import limits_views, views

app_name = "monitoring"

urlpatterns = [
    path("", views.station, name="station"),
    path("rooms/<int:room_id>/", views.room, name="room"),
    # Responses before the alarm page: an alarm's id is "room/condition/time" (slashes
    # and all), so its page takes the rest of the path.
    path("alarms/acknowledge", views.acknowledge, name="acknowledge"),
    path("alarms/silence", views.silence, name="silence"),
    path("alarms/", views.alarm_list, name="alarms"),
    path("alarms/<path:alarm_id>/", views.alarm_page, name="alarm"),
    path(
        "patients/<int:patient_id>/alarm-limits",
        limits_views.alarm_limits,
        name="alarm_limits",
    ),
    path(
        "patients/<int:patient_id>/alarm-limits/adjust",
        limits_views.alarm_limit_adjust_view,
        name="alarm_limit_adjust",
    ),
]
