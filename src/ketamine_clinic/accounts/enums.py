"""Staff roles. A person may hold several; each view declares which it serves."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    FRONT_DESK = "front_desk", "Front desk"
    NURSE = "nurse", "Nurse"
    # Physician, nurse practitioner or CRNA: whoever may order and adjust a dose.
    PRESCRIBER = "prescriber", "Prescriber"
    CUSTODIAN = "custodian", "Inventory custodian"
    CLINIC_LEAD = "clinic_lead", "Clinic lead"
    ADMINISTRATOR = "administrator", "Administrator"
