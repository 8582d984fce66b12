"""The URL map. Every view behind it declares an access policy (see access/policy.py)."""

from __future__ import annotations

from django.urls import include, path

from ketamine_clinic.api.api import api
from ketamine_clinic.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("accounts/", include("ketamine_clinic.accounts.urls")),
    path("audit/", include("ketamine_clinic.audit.urls")),
    path("patients/", include("ketamine_clinic.patients.urls")),
    path("patients/", include("ketamine_clinic.courses.urls")),
    path("review/", include("ketamine_clinic.review.urls")),
    # The clinic day: /today/ and each visit's pages under /visits/.
    path("", include("ketamine_clinic.clinicday.urls")),
    # Tablet intake: the staff page that opens a kiosk, and the kiosk's own pages.
    path("", include("ketamine_clinic.intake.urls")),
    path("consent/", include("ketamine_clinic.consent.urls")),
    # The schedule: week view, course planning, moves, cancellations, rooms and rota.
    path("schedule/", include("ketamine_clinic.booking.urls")),
    path("monitoring/", include("ketamine_clinic.monitoring.urls")),
    path("devices/", include("ketamine_clinic.monitoring.registry.urls")),
    path("inventory/", include("ketamine_clinic.inventory.urls")),
    path("outcomes/", include("ketamine_clinic.outcomes.urls")),
    path("research/", include("ketamine_clinic.research.urls")),
    # FHIR R4 read-only REST for registered client applications (bearer tokens, scopes).
    path("fhir/r4/", include("ketamine_clinic.fhir.urls")),
    # The JSON API: its operations check their own declared policies (see api/auth.py).
    path("api/v1/", api.urls),
]

# Django looks these up by name in the root URLconf.
handler404 = "ketamine_clinic.web.errors.not_found"
