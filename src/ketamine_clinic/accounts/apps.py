from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ketamine_clinic.accounts"
    label = "accounts"
    verbose_name = "Staff accounts"
