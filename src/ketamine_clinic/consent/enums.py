"""Coded values of consent."""

from __future__ import annotations

from django.db import models


class SignatureChannel(models.TextChoices):
    """Where a signature was given.

    KIOSK: the patient signed on a clinic tablet in their own kiosk session (the session
    is named on the signature). STAFF: the patient signed in front of a staff member,
    who is named as the witness.
    """

    KIOSK = "kiosk", "On the tablet"
    STAFF = "staff", "Witnessed by staff"
