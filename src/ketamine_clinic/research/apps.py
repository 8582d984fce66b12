from __future__ import annotations

from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "ketamine_clinic.research"
    label = "research"
    verbose_name = "Research export"
