"""Writes to the patient registry. Each write is audited in its own transaction."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.enums import SexAtBirth
from ketamine_clinic.patients.models import Patient, mrn_for_number

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

PATIENT_FIRST_NAME_REQUIRED = "Enter the patient's legal first name."
PATIENT_LAST_NAME_REQUIRED = "Enter the patient's legal last name."
PATIENT_DOB_IN_FUTURE = "The date of birth cannot be in the future."
PATIENT_DOB_TOO_EARLY = "The date of birth must be on or after 1900-01-01."
PATIENT_SEX_UNKNOWN = "Choose the sex recorded at birth (or Unknown / not recorded)."

EARLIEST_DATE_OF_BIRTH = date(1900, 1, 1)


@transaction.atomic
def patient_create(
    *,
    legal_first_name: str,
    legal_last_name: str,
    date_of_birth: date,
    sex_at_birth: SexAtBirth,
    preferred_name: str = "",
    by: User | None,
) -> Patient:
    """Register a patient and give them the next MRN.

    `by` is None only for system work (the demo seed, an import), which the audit entry
    shows by its channel. The MRN is derived from the row's id, set in the same
    transaction, so two desks registering at once can never be given the same number.
    """
    now = timezone.now()
    errors: dict[str, str] = {}
    first, last, preferred = (
        legal_first_name.strip(),
        legal_last_name.strip(),
        preferred_name.strip(),
    )
    if not first:
        errors["legal_first_name"] = PATIENT_FIRST_NAME_REQUIRED
    if not last:
        errors["legal_last_name"] = PATIENT_LAST_NAME_REQUIRED
    # The clinic's calendar day, not UTC's: at 9 pm in New York it is already tomorrow in UTC.
    if date_of_birth > timezone.localdate(now):
        errors["date_of_birth"] = PATIENT_DOB_IN_FUTURE
    elif date_of_birth < EARLIEST_DATE_OF_BIRTH:
        errors["date_of_birth"] = PATIENT_DOB_TOO_EARLY
    if sex_at_birth not in SexAtBirth.values:
        errors["sex_at_birth"] = PATIENT_SEX_UNKNOWN
    if errors:
        raise ValidationError(errors)

    patient = Patient(
        # A placeholder unique to this transaction until the id is known.
        mrn=f"new-{uuid.uuid4().hex[:12]}",
        legal_first_name=first,
        legal_last_name=last,
        preferred_name=preferred,
        date_of_birth=date_of_birth,
        sex_at_birth=SexAtBirth(sex_at_birth),
        created_at=now,
        created_by=by,
    )
    patient.full_clean(exclude=["mrn"])
    patient.save()
    patient.mrn = mrn_for_number(patient.pk)
    patient.save(update_fields=["mrn"])
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"mrn": patient.mrn},
    )
    return patient
