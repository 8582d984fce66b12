"""Patients for tests, made through the service so each has a real MRN and audit entry."""

from __future__ import annotations

from datetime import date

from ketamine_clinic.accounts.models import User
from ketamine_clinic.patients.enums import SexAtBirth
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services import patient_create


def make_patient(
    first: str = "Avery",
    last: str = "Testpatient",
    *,
    born: date = date(1984, 3, 7),
    sex: SexAtBirth = SexAtBirth.FEMALE,
    preferred: str = "",
    by: User | None = None,
) -> Patient:
    return patient_create(
        legal_first_name=first,
        legal_last_name=last,
        preferred_name=preferred,
        date_of_birth=born,
        sex_at_birth=sex,
        by=by,
    )
