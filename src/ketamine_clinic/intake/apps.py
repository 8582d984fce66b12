from __future__ import annotations

from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "ketamine_clinic.intake"
    label = "intake"
    verbose_name = "Tablet intake"
