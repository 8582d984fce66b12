"""patient_update_details and pregnancy potential: demographics, contacts, corrections."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.models import Correction, Patient
from ketamine_clinic.patients.services._common import (
    DATE_BEFORE_BIRTH,
    DATE_IN_FUTURE,
    PHONE_INVALID,
)
from ketamine_clinic.patients.services.registry import (
    CONTACT_NAME_REQUIRED,
    CONTACT_PHONE_REQUIRED,
    PATIENT_IDENTITY_REASON_REQUIRED,
    PATIENT_NOTHING_CHANGED,
    PATIENT_SELF_DESCRIPTION_REQUIRED,
    PATIENT_SELF_DESCRIPTION_UNUSED,
    PREGNANCY_POTENTIAL_UNKNOWN,
    PatientDetails,
    patient_record_pregnancy_potential,
    patient_update_details,
)
from tests.patients.factories import make_patient

NOW = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def patient(db: None) -> Patient:
    return make_patient("Avery", "Testpatient", born=date(1984, 3, 7))


def details(patient: Patient, **changes: Any) -> PatientDetails:
    return replace(PatientDetails.of(patient), **changes)


def test_contacts_and_escort_are_saved_with_who_changed_them_and_what_they_were(
    personas: dict[str, User], patient: Patient
) -> None:
    desk = personas["front_desk"]
    with time_machine.travel(NOW, tick=False):
        patient_update_details(
            patient=patient,
            details=details(
                patient,
                phone="555-0100",
                email="avery@example.test",
                gender_identity="non_binary",
                pronouns="they/them",
                escort_name="Sam Escortson",
                escort_relationship="Partner",
                escort_phone="+1 (555) 0101",
                referrer_name="Dr Referral",
            ),
            by=desk,
        )

    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.phone, stored.escort_name, stored.escort_phone) == (
        "555-0100",
        "Sam Escortson",
        "+1 (555) 0101",
    )
    assert stored.gender_identity_text == "Non-binary"
    assert (stored.updated_by, stored.updated_at) == (desk, NOW)
    correction = Correction.objects.get()
    assert correction.changes["phone"] == ["", "555-0100"]
    assert correction.by == desk
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="patient")
    assert entry.detail == {"changes": correction.changes}
    assert entry.patient_id == str(patient.pk)


def test_correcting_the_legal_name_needs_a_reason_which_is_kept(
    personas: dict[str, User], patient: Patient
) -> None:
    desk = personas["front_desk"]

    with pytest.raises(ValidationError) as refused:
        patient_update_details(
            patient=patient, details=details(patient, legal_last_name="Testperson"), by=desk
        )
    assert refused.value.message_dict == {"reason": [PATIENT_IDENTITY_REASON_REQUIRED]}
    assert Patient.objects.get(pk=patient.pk).legal_last_name == "Testpatient"

    patient_update_details(
        patient=patient,
        details=details(patient, legal_last_name="Testperson"),
        reason="Typo at registration; checked against ID",
        by=desk,
    )

    correction = Correction.objects.get()
    assert correction.changes == {"legal_last_name": ["Testpatient", "Testperson"]}
    assert correction.reason == "Typo at registration; checked against ID"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"phone": "call me"}, {"phone": [PHONE_INVALID]}),
        ({"escort_name": "Sam"}, {"escort_phone": [CONTACT_PHONE_REQUIRED]}),
        ({"emergency_contact_phone": "555-0199"}, {"emergency_contact_name": [CONTACT_NAME_REQUIRED]}),
        ({"gender_identity": "self_described"}, {"gender_identity_self_described": [PATIENT_SELF_DESCRIPTION_REQUIRED]}),
        ({"gender_identity_self_described": "agender"}, {"gender_identity_self_described": [PATIENT_SELF_DESCRIPTION_UNUSED]}),
        ({"email": "not-an-email"}, {"email": ["Enter a valid email address."]}),
    ],
)  # fmt: skip
def test_bad_details_are_refused_by_field_and_nothing_changes(
    personas: dict[str, User],
    patient: Patient,
    changes: dict[str, str],
    errors: dict[str, list[str]],
) -> None:
    with pytest.raises(ValidationError) as refused:
        patient_update_details(
            patient=patient, details=details(patient, **changes), by=personas["front_desk"]
        )

    assert refused.value.message_dict == errors
    assert Correction.objects.count() == 0
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()


def test_a_self_described_gender_is_shown_in_the_patients_words(
    personas: dict[str, User], patient: Patient
) -> None:
    updated = patient_update_details(
        patient=patient,
        details=details(
            patient, gender_identity="self_described", gender_identity_self_described="Agender"
        ),
        by=personas["front_desk"],
    )

    assert updated.gender_identity_text == "Agender"


def test_saving_without_a_change_says_so(personas: dict[str, User], patient: Patient) -> None:
    with pytest.raises(ValidationError) as refused:
        patient_update_details(patient=patient, details=details(patient), by=personas["front_desk"])

    assert refused.value.messages == [PATIENT_NOTHING_CHANGED]


def test_pregnancy_potential_is_recorded_with_the_date_asked_and_audited(
    personas: dict[str, User], patient: Patient
) -> None:
    nurse = personas["nurse"]
    with time_machine.travel(NOW, tick=False):
        patient_record_pregnancy_potential(
            patient=patient, potential="no", asked_on=date(2026, 5, 4), by=nurse
        )
        for potential, asked_on, field, message in [
            ("maybe", date(2026, 5, 4), "pregnancy_potential", PREGNANCY_POTENTIAL_UNKNOWN),
            ("yes", date(2026, 5, 5), "pregnancy_potential_asked_on", DATE_IN_FUTURE),
            ("yes", date(1980, 5, 5), "pregnancy_potential_asked_on", DATE_BEFORE_BIRTH),
        ]:
            with pytest.raises(ValidationError) as refused:
                patient_record_pregnancy_potential(
                    patient=patient, potential=potential, asked_on=asked_on, by=nurse
                )
            assert refused.value.message_dict == {field: [message]}

    stored = Patient.objects.get(pk=patient.pk)
    assert (stored.pregnancy_potential, stored.pregnancy_potential_asked_on) == (
        "no",
        date(2026, 5, 4),
    )
    assert stored.pregnancy_potential_recorded_by == nurse
    entry = AuditEntry.objects.get(object_type="pregnancy_potential")
    assert entry.detail == {"before": ["", None], "after": ["no", "2026-05-04"]}
