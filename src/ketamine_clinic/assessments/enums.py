"""Coded values of questionnaire responses and risk flags."""

from __future__ import annotations

from django.db import models


class ResponseChannel(models.TextChoices):
    """Who typed the answers in: the patient on the tablet, staff, or a caller of the API."""

    KIOSK = "kiosk", "Patient (kiosk)"
    STAFF = "staff", "Staff"
    API = "api", "API"


class RiskFlagStatus(models.TextChoices):
    """A flag stays open, and blocks the next infusion, until a prescriber assesses it."""

    OPEN = "open", "Open"
    ASSESSED = "assessed", "Assessed"


class Trend(models.TextChoices):
    """How a score moved since the previous response: higher is worse on every instrument."""

    UP = "up", "Higher"
    DOWN = "down", "Lower"
    SAME = "same", "Unchanged"
