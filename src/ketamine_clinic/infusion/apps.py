from __future__ import annotations

from django.apps import AppConfig


class InfusionConfig(AppConfig):
    name = "ketamine_clinic.infusion"
    label = "infusion"
    verbose_name = "Infusion"
