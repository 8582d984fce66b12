from __future__ import annotations

from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "ketamine_clinic.recovery"
    label = "recovery"
    verbose_name = "Recovery and discharge"
