"""Coded values of tablet intake."""

from __future__ import annotations

from django.db import models


class KioskState(models.TextChoices):
    """Where a kiosk session stands.

    ACTIVE: the patient may fill forms. LOCKED: the tablet shows the lock screen until a
    staff member unlocks it (the patient finished, went idle, or staff locked it).
    CLOSED: a staff member released the tablet; the session can never be used again.
    """

    ACTIVE = "active", "Active"
    LOCKED = "locked", "Locked"
    CLOSED = "closed", "Closed"


class LockReason(models.TextChoices):
    FINISHED = "finished", "The patient finished every form"
    IDLE = "idle", "No activity"
    STAFF = "staff", "Locked by staff"
