"""Writes to the patient record, one module per concept; every write is audited.

The registry's services are imported here by name, so `patients.services.patient_create`
keeps working for the code and tests that used the single module this package replaced.
"""

from __future__ import annotations

from ketamine_clinic.patients.services.registry import (
    PATIENT_DOB_IN_FUTURE,
    PATIENT_DOB_TOO_EARLY,
    PATIENT_FIRST_NAME_REQUIRED,
    PATIENT_LAST_NAME_REQUIRED,
    PATIENT_SEX_UNKNOWN,
    patient_create,
)

__all__ = [
    "PATIENT_DOB_IN_FUTURE",
    "PATIENT_DOB_TOO_EARLY",
    "PATIENT_FIRST_NAME_REQUIRED",
    "PATIENT_LAST_NAME_REQUIRED",
    "PATIENT_SEX_UNKNOWN",
    "patient_create",
]
