"""patient_create: registering a patient, audited, with an MRN nobody else can get."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import override_settings

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.enums import SexAtBirth
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services import (
    PATIENT_DOB_IN_FUTURE,
    PATIENT_DOB_TOO_EARLY,
    PATIENT_FIRST_NAME_REQUIRED,
    PATIENT_LAST_NAME_REQUIRED,
    PATIENT_SEX_UNKNOWN,
    patient_create,
)
from tests.patients.factories import make_patient


def test_it_registers_the_patient_with_an_mrn_from_the_row_id_and_audits_it(
    personas: dict[str, User],
) -> None:
    desk = personas["front_desk"]
    with time_machine.travel(datetime(2026, 4, 2, 14, 0, tzinfo=UTC), tick=False):
        patient = patient_create(
            legal_first_name="  Taylor ",
            legal_last_name="Notreal",
            preferred_name=" Tay ",
            date_of_birth=date(1979, 4, 18),
            sex_at_birth=SexAtBirth.FEMALE,
            by=desk,
        )

    stored = Patient.objects.get(pk=patient.pk)
    assert stored.mrn == f"KC{patient.pk:06d}"
    assert (stored.legal_first_name, stored.legal_last_name, stored.preferred_name) == (
        "Taylor",
        "Notreal",
        "Tay",
    )
    assert stored.date_of_birth == date(1979, 4, 18)
    assert stored.sex_at_birth == "female"
    assert stored.created_at == datetime(2026, 4, 2, 14, 0, tzinfo=UTC)
    assert stored.created_by == desk
    assert stored.display_name == 'Notreal, Taylor "Tay"'
    entry = AuditEntry.objects.get(action=AuditAction.CREATE)
    assert entry.actor_id == desk.pk
    assert (entry.object_type, entry.object_id, entry.patient_id) == (
        "patient",
        str(patient.pk),
        str(patient.pk),
    )
    assert entry.detail == {"mrn": stored.mrn}


def test_each_patient_gets_a_different_mrn(db: None) -> None:
    mrns = [make_patient(f"Person{n}", "Testpatient").mrn for n in range(3)]

    assert len(set(mrns)) == 3
    assert all(mrn.startswith("KC") and len(mrn) == 8 for mrn in mrns)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"legal_first_name": "   "}, "legal_first_name", PATIENT_FIRST_NAME_REQUIRED),
        ({"legal_last_name": ""}, "legal_last_name", PATIENT_LAST_NAME_REQUIRED),
        ({"date_of_birth": date(1899, 12, 31)}, "date_of_birth", PATIENT_DOB_TOO_EARLY),
        ({"sex_at_birth": "robot"}, "sex_at_birth", PATIENT_SEX_UNKNOWN),
        ({"legal_last_name": "x" * 101}, "legal_last_name", None),
    ],
)
def test_bad_details_are_refused_field_by_field_and_nothing_is_written(
    db: None, changes: dict[str, Any], field: str, message: str | None
) -> None:
    arguments: dict[str, Any] = {
        "legal_first_name": "Avery",
        "legal_last_name": "Testpatient",
        "date_of_birth": date(1984, 3, 7),
        "sex_at_birth": SexAtBirth.FEMALE,
        "by": None,
        **changes,
    }
    entries_before = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as refused:
        patient_create(**arguments)

    errors = refused.value.message_dict
    assert list(errors) == [field]
    if message is not None:
        assert errors[field] == [message]
    else:
        assert errors[field] == ["Ensure this value has at most 100 characters (it has 101)."]
    assert Patient.objects.count() == 0
    assert AuditEntry.objects.count() == entries_before


@override_settings(TIME_ZONE="America/New_York")
def test_a_date_of_birth_is_in_the_future_by_the_clinics_calendar_not_utcs(db: None) -> None:
    # 02:00 UTC on 1 June is still 31 May in New York: 1 June has not been born on yet.
    with time_machine.travel(datetime(2026, 6, 1, 2, 0, tzinfo=UTC), tick=False):
        with pytest.raises(ValidationError) as refused:
            make_patient(born=date(2026, 6, 1))
        today_born = make_patient(born=date(2026, 5, 31))

    assert refused.value.message_dict == {"date_of_birth": [PATIENT_DOB_IN_FUTURE]}
    assert today_born.date_of_birth == date(2026, 5, 31)


@pytest.mark.parametrize(
    ("born", "on", "age"),
    [
        (date(1984, 3, 7), date(2026, 3, 6), 41),
        (date(1984, 3, 7), date(2026, 3, 7), 42),
        (date(2000, 2, 29), date(2026, 2, 28), 25),
        (date(2000, 2, 29), date(2026, 3, 1), 26),
        (date(2000, 2, 29), date(2028, 2, 29), 28),
    ],
)
def test_age_counts_completed_years(born: date, on: date, age: int) -> None:
    patient = Patient(date_of_birth=born)

    assert patient.age_on(on) == age
