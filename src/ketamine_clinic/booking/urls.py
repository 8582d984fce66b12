"""The schedule: the week by room, planning a course, moving and cancelling visits, and the
clinic's set-up (rooms, hours, rota, settings, each patient's availability)."""

from __future__ import annotations

from ketamine_clinic.booking import week_urls
from ketamine_clinic.booking.setup import urls as setup_urls

app_name = "booking"

urlpatterns = [
    *week_urls.urlpatterns,
    *setup_urls.urlpatterns,
]
