from __future__ import annotations

from django.apps import AppConfig


class ClinicdayConfig(AppConfig):
    name = "ketamine_clinic.clinicday"
    label = "clinicday"
    verbose_name = "Clinic day"
