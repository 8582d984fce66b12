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


class SignInStep(models.TextChoices):
    """Which step of signing in an attempt reached."""

    PASSWORD = "password", "Password"
    SECOND_FACTOR = "second_factor", "Second-factor code"
    ENROLMENT = "enrolment", "Second-factor enrolment"


class SignInFailure(models.TextChoices):
    """Why a sign-in attempt was refused.

    The person signing in always reads the same message; the audit trail keeps the real
    reason, so an administrator can tell a forgotten password from someone probing.
    """

    UNKNOWN_USERNAME = "unknown_username", "no account has that username"
    WRONG_PASSWORD = "wrong_password", "wrong password"
    INACTIVE = "inactive", "the account is deactivated"
    LOCKED = "locked", "the account is locked after repeated failures"
    WRONG_CODE = "wrong_code", "wrong second-factor code"
    TOO_SOON = "too_soon", "a second-factor code was tried too soon after a wrong one"
