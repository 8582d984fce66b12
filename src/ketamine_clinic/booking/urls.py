"""The schedule: the week by room, planning a course, moving and cancelling visits, and the
clinic's set-up (rooms, hours, rota, settings, each patient's availability)."""

from __future__ import annotations

from django.urls import path

from ketamine_clinic.booking import views, week_urls
from ketamine_clinic.booking.setup import urls as setup_urls

app_name = "booking"

urlpatterns = [
    path("courses/<int:course_id>/plan", views.course_plan, name="course_plan"),
    path("visits/<int:visit_id>/move", views.move, name="move"),
    path("visits/<int:visit_id>/cancel", views.cancel, name="cancel"),
    path("rooms/<int:room_id>/outage", views.outage, name="outage"),
    *week_urls.urlpatterns,
    *setup_urls.urlpatterns,
]
