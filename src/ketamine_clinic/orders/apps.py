from __future__ import annotations

from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "ketamine_clinic.orders"
    label = "orders"
    verbose_name = "Orders"
