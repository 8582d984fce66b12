"""Coded values of visits. ``VisitState`` mirrors the pure ``state_machine.State`` (a test
checks they agree): the state machine must not import Django, the models use TextChoices."""

from __future__ import annotations

from django.db import models


class VisitState(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CHECKED_IN = "checked_in", "Checked in"
    CHECKS_DONE = "checks_done", "Checks done"
    READY = "ready", "Ready"
    INFUSING = "infusing", "Infusing"
    PAUSED = "paused", "Paused"
    RECOVERY = "recovery", "Recovery"
    DISCHARGED = "discharged", "Discharged"
    CANCELLED = "cancelled", "Cancelled"
    DID_NOT_ATTEND = "did_not_attend", "Did not attend"
    ABORTED = "aborted", "Aborted"


class VitalsSource(models.TextChoices):
    """Who produced a reading: a nurse typing it in (the device issue adds "device")."""

    MANUAL = "manual", "Entered by staff"


class PregnancyTestResult(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    POSITIVE = "positive", "Positive"


class CheckStatus(models.TextChoices):
    """A pre-infusion check's outcome: passed, a warning to read, or a block."""

    PASS = "pass", "Pass"
    WARN = "warn", "Warning"
    BLOCK = "block", "Blocks the infusion"
