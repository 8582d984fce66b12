from __future__ import annotations

from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "ketamine_clinic.outcomes"
    label = "outcomes"
    verbose_name = "Outcomes"
