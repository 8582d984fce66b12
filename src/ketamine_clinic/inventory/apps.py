from __future__ import annotations

from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "ketamine_clinic.inventory"
    label = "inventory"
    verbose_name = "Controlled substances"

    def ready(self) -> None:
        from ketamine_clinic.inventory import checks  # noqa: F401  (registers the checks)
