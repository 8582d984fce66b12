from __future__ import annotations

from django.apps import AppConfig


class VisitsConfig(AppConfig):
    name = "ketamine_clinic.visits"
    label = "visits"
    verbose_name = "Visits"
