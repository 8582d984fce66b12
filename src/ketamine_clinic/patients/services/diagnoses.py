"""Diagnoses: ICD-10-CM codes from the clinic's bundled list, added by prescribers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.diagnosis_codes import DIAGNOSIS_CODES, ICD10_FORMAT, normalise_code
from ketamine_clinic.patients.models import Diagnosis, Patient
from ketamine_clinic.patients.services._common import mark_entered_in_error

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

DIAGNOSIS_CODE_REQUIRED = "Enter an ICD-10-CM code, e.g. F33.1."
DIAGNOSIS_CODE_FORMAT = (
    "“{code}” is not an ICD-10-CM code: a letter, two digits, then a dot and up to four "
    "more characters, e.g. F33.1 or R45.851."
)
DIAGNOSIS_CODE_NOT_LISTED = (
    "{code} is not in this clinic's list of diagnosis codes. Use a listed code, or ask the "
    "clinic lead to add it."
)
DIAGNOSIS_ALREADY_RECORDED = "{code} is already recorded for this patient."


@transaction.atomic
def diagnosis_add(*, patient: Patient, code: str, by: User | None) -> Diagnosis:
    """Record a diagnosis by code; its title comes from the list, never from the user."""
    normalised = normalise_code(code)
    if not normalised:
        raise ValidationError({"code": DIAGNOSIS_CODE_REQUIRED})
    if not ICD10_FORMAT.match(normalised):
        raise ValidationError({"code": DIAGNOSIS_CODE_FORMAT.format(code=code.strip()[:20])})
    listed = DIAGNOSIS_CODES.get(normalised)
    if listed is None:
        raise ValidationError({"code": DIAGNOSIS_CODE_NOT_LISTED.format(code=normalised)})
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if locked.diagnoses.filter(code=normalised, entered_in_error_at__isnull=True).exists():
        raise ValidationError({"code": DIAGNOSIS_ALREADY_RECORDED.format(code=normalised)})
    diagnosis = Diagnosis(
        patient=locked,
        code=listed.code,
        title=listed.title,
        recorded_at=timezone.now(),
        recorded_by=by,
    )
    diagnosis.full_clean()
    diagnosis.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="diagnosis",
        object_id=diagnosis.pk,
        patient_id=locked.pk,
        detail={"code": listed.code, "title": listed.title},
    )
    return diagnosis


@transaction.atomic
def diagnosis_mark_entered_in_error(
    *, diagnosis: Diagnosis, reason: str, by: User | None
) -> Diagnosis:
    """Retract a diagnosis recorded by mistake; the row stays, out of the summary."""
    mark_entered_in_error(
        item=diagnosis, patient=diagnosis.patient, object_type="diagnosis", reason=reason, by=by
    )
    return diagnosis
