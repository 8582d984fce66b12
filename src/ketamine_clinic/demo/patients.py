"""Synthetic patients for the demo clinic. Every one of them is made up.

The surnames say so ("Testpatient", "Sampleton") so that a screenshot of the demo can
never be mistaken for a real person's record.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from ketamine_clinic.patients.enums import SexAtBirth
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services import patient_create

# legal first, legal last, preferred, date of birth, sex at birth
DEMO_PATIENTS: list[tuple[str, str, str, date, SexAtBirth]] = [
    ("Avery", "Testpatient", "", date(1984, 3, 7), SexAtBirth.FEMALE),
    ("Jordan", "Sampleton", "Jordy", date(1971, 11, 23), SexAtBirth.MALE),
    ("Riley", "Demowitz", "", date(1990, 6, 14), SexAtBirth.FEMALE),
    ("Casey", "Fakename", "", date(1965, 1, 30), SexAtBirth.MALE),
    ("Quinn", "Mockford", "", date(1998, 9, 2), SexAtBirth.INTERSEX),
    ("Taylor", "Notreal", "Tay", date(1979, 4, 18), SexAtBirth.FEMALE),
    ("Harper", "Synthetica", "", date(1962, 12, 5), SexAtBirth.UNKNOWN),
    # A leap-day birthday, so the demo shows ages computed across 29 February.
    ("Rowan", "Exampleby", "", date(2000, 2, 29), SexAtBirth.MALE),
]


@transaction.atomic
def seed_demo_patients() -> int:
    """Register the demo patients that are not there yet; return how many were added.

    A patient counts as there when one with the same legal name and date of birth
    exists, so running the seed again adds nobody and writes no audit entries.
    """
    added = 0
    for first, last, preferred, born, sex in DEMO_PATIENTS:
        exists = Patient.objects.filter(
            legal_first_name=first, legal_last_name=last, date_of_birth=born
        ).exists()
        if exists:
            continue
        patient_create(
            legal_first_name=first,
            legal_last_name=last,
            preferred_name=preferred,
            date_of_birth=born,
            sex_at_birth=sex,
            by=None,
        )
        added += 1
    return added
