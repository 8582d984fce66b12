"""Allergies: recorded, "no known allergies" recorded explicitly, retracted but kept."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.enums import AllergySeverity, AllergyStatus
from ketamine_clinic.patients.models import Allergy, Correction, Patient
from ketamine_clinic.patients.selectors import allergy_status
from ketamine_clinic.patients.services._common import ALREADY_IN_ERROR, REASON_REQUIRED
from ketamine_clinic.patients.services.allergies import (
    ALLERGY_ALREADY_RECORDED,
    ALLERGY_NONE_ALREADY,
    ALLERGY_NONE_BUT_RECORDED,
    ALLERGY_SEVERITY_UNKNOWN,
    ALLERGY_SUBSTANCE_REQUIRED,
    allergy_add,
    allergy_mark_entered_in_error,
    allergy_record_none,
)
from tests.patients.factories import make_patient


@pytest.fixture
def patient(db: None) -> Patient:
    return make_patient()


def status(patient: Patient) -> AllergyStatus:
    patient.refresh_from_db()
    active = list(patient.allergies.filter(entered_in_error_at__isnull=True))
    return allergy_status(patient=patient, allergies=active)


def test_a_new_patient_has_not_been_asked_which_is_not_the_same_as_none(
    patient: Patient,
) -> None:
    assert status(patient) == AllergyStatus.NOT_ASKED


def test_an_allergy_is_recorded_with_who_and_audited(
    personas: dict[str, User], patient: Patient
) -> None:
    nurse = personas["nurse"]

    allergy = allergy_add(
        patient=patient, substance=" Penicillin ", reaction="Hives", severity="moderate", by=nurse
    )

    assert (allergy.substance, allergy.reaction, allergy.severity) == (
        "Penicillin",
        "Hives",
        AllergySeverity.MODERATE,
    )
    assert allergy.recorded_by == nurse
    assert status(patient) == AllergyStatus.HAS_ALLERGIES
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="allergy")
    assert (entry.actor_id, entry.patient_id, entry.object_id) == (
        nurse.pk,
        str(patient.pk),
        str(allergy.pk),
    )
    assert entry.detail["substance"] == "Penicillin"


def test_no_known_allergies_is_recorded_explicitly_and_an_allergy_replaces_it(
    personas: dict[str, User], patient: Patient
) -> None:
    nurse = personas["nurse"]

    allergy_record_none(patient=patient, by=nurse)
    assert status(patient) == AllergyStatus.NO_KNOWN_ALLERGIES
    assert patient.no_known_allergies_by == nurse
    with pytest.raises(ValidationError) as again:
        allergy_record_none(patient=patient, by=nurse)
    assert again.value.messages == [ALLERGY_NONE_ALREADY]

    allergy_add(patient=patient, substance="Latex", severity="mild", by=nurse)

    assert status(patient) == AllergyStatus.HAS_ALLERGIES
    assert patient.no_known_allergies_at is None
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="allergy")
    assert entry.detail["cleared_no_known_allergies"] is True


def test_no_known_allergies_is_refused_while_allergies_are_recorded(
    personas: dict[str, User], patient: Patient
) -> None:
    allergy_add(patient=patient, substance="Latex", severity="mild", by=personas["nurse"])

    with pytest.raises(ValidationError) as refused:
        allergy_record_none(patient=patient, by=personas["nurse"])

    assert refused.value.messages == [ALLERGY_NONE_BUT_RECORDED]


@pytest.mark.parametrize(
    ("substance", "severity", "field", "message"),
    [
        ("  ", "mild", "substance", ALLERGY_SUBSTANCE_REQUIRED),
        ("Latex", "catastrophic", "severity", ALLERGY_SEVERITY_UNKNOWN),
        ("x" * 151, "mild", "substance", None),
    ],
)
def test_bad_allergies_are_refused_by_field_and_nothing_is_written(
    personas: dict[str, User], patient: Patient, substance: str, severity: str, field: str,
    message: str | None,
) -> None:  # fmt: skip
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationError) as refused:
        allergy_add(patient=patient, substance=substance, severity=severity, by=personas["nurse"])

    assert list(refused.value.message_dict) == [field]
    if message is not None:
        assert refused.value.message_dict[field] == [message]
    assert Allergy.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_the_same_substance_twice_is_refused_case_insensitively(
    personas: dict[str, User], patient: Patient
) -> None:
    allergy_add(patient=patient, substance="Latex", severity="mild", by=personas["nurse"])

    with pytest.raises(ValidationError) as refused:
        allergy_add(patient=patient, substance="LATEX", severity="severe", by=personas["nurse"])

    assert refused.value.message_dict == {
        "substance": [ALLERGY_ALREADY_RECORDED.format(substance="Latex")]
    }


def test_an_allergy_entered_in_error_is_kept_with_who_when_and_why(
    personas: dict[str, User], patient: Patient
) -> None:
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    allergy = allergy_add(patient=patient, substance="Latex", severity="mild", by=nurse)

    with pytest.raises(ValidationError) as no_reason:
        allergy_mark_entered_in_error(allergy=allergy, reason=" ", by=prescriber)
    assert no_reason.value.message_dict == {"reason": [REASON_REQUIRED]}

    allergy_mark_entered_in_error(allergy=allergy, reason="Wrong patient", by=prescriber)

    stored = Allergy.objects.get(pk=allergy.pk)
    assert stored.in_error and stored.entered_in_error_by == prescriber
    assert stored.entered_in_error_reason == "Wrong patient"
    assert status(patient) == AllergyStatus.NOT_ASKED
    correction = Correction.objects.get()
    assert (correction.object_type, correction.object_id, correction.by) == (
        "allergy",
        allergy.pk,
        prescriber,
    )
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="allergy")
    assert entry.reason == "Wrong patient"
    with pytest.raises(ValidationError) as twice:
        allergy_mark_entered_in_error(allergy=allergy, reason="again", by=prescriber)
    assert twice.value.messages == [ALREADY_IN_ERROR]
