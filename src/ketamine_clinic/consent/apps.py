from __future__ import annotations

from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "ketamine_clinic.consent"
    label = "consent"
    verbose_name = "Consent"
