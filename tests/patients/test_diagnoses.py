"""Diagnoses: ICD-10-CM codes checked by format and against the clinic's bundled list."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.diagnosis_codes import DIAGNOSIS_CODES, ICD10_FORMAT, normalise_code
from ketamine_clinic.patients.models import Diagnosis, Patient
from ketamine_clinic.patients.services.diagnoses import (
    DIAGNOSIS_ALREADY_RECORDED,
    DIAGNOSIS_CODE_FORMAT,
    DIAGNOSIS_CODE_NOT_LISTED,
    DIAGNOSIS_CODE_REQUIRED,
    diagnosis_add,
    diagnosis_mark_entered_in_error,
)
from tests.patients.factories import make_patient


@pytest.fixture
def patient(db: None) -> Patient:
    return make_patient()


def test_every_bundled_code_is_well_formed_and_titled() -> None:
    assert all(ICD10_FORMAT.match(code) for code in DIAGNOSIS_CODES)
    assert all(entry.code == code and entry.title for code, entry in DIAGNOSIS_CODES.items())
    for family in ("F32.", "F33.", "F41.", "F43.1", "F31.", "R45.851"):
        assert any(code.startswith(family) for code in DIAGNOSIS_CODES), family
    assert "Bipolar" in DIAGNOSIS_CODES["F31.81"].concern


@pytest.mark.parametrize(
    ("typed", "code"), [(" f33.1 ", "F33.1"), ("F331", "F33.1"), ("r45851", "R45.851")]
)
def test_a_code_is_read_however_it_is_typed(typed: str, code: str) -> None:
    assert normalise_code(typed) == code


def test_a_listed_code_is_recorded_with_the_lists_title_and_audited(
    personas: dict[str, User], patient: Patient
) -> None:
    prescriber = personas["prescriber"]

    diagnosis = diagnosis_add(patient=patient, code="f331", by=prescriber)

    assert (diagnosis.code, diagnosis.title) == (
        "F33.1",
        "Major depressive disorder, recurrent, moderate",
    )
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="diagnosis")
    assert entry.detail == {"code": "F33.1", "title": diagnosis.title}
    assert (entry.actor_id, entry.patient_id) == (prescriber.pk, str(patient.pk))


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", DIAGNOSIS_CODE_REQUIRED),
        ("depression", DIAGNOSIS_CODE_FORMAT.format(code="depression")),
        ("<script>", DIAGNOSIS_CODE_FORMAT.format(code="<script>")),
        ("F99", DIAGNOSIS_CODE_NOT_LISTED.format(code="F99")),
        ("F32.89", DIAGNOSIS_CODE_NOT_LISTED.format(code="F32.89")),
    ],
)
def test_a_code_that_is_malformed_or_not_listed_is_refused_with_a_clear_message(
    personas: dict[str, User], patient: Patient, typed: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        diagnosis_add(patient=patient, code=typed, by=personas["prescriber"])

    assert refused.value.message_dict == {"code": [message]}
    assert Diagnosis.objects.count() == 0


def test_a_code_already_recorded_is_refused_until_it_is_retracted(
    personas: dict[str, User], patient: Patient
) -> None:
    prescriber = personas["prescriber"]
    first = diagnosis_add(patient=patient, code="F41.1", by=prescriber)

    with pytest.raises(ValidationError) as refused:
        diagnosis_add(patient=patient, code="F41.1", by=prescriber)
    assert refused.value.message_dict == {"code": [DIAGNOSIS_ALREADY_RECORDED.format(code="F41.1")]}

    diagnosis_mark_entered_in_error(diagnosis=first, reason="Coded in error", by=prescriber)
    again = diagnosis_add(patient=patient, code="F41.1", by=prescriber)

    assert Diagnosis.objects.count() == 2
    assert again.pk != first.pk
