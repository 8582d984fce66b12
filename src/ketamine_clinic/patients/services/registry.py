"""Writes to the registry: registering a patient, their details, pregnancy potential.

Each write is audited in its own transaction."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.enums import GenderIdentity, PregnancyPotential, SexAtBirth
from ketamine_clinic.patients.models import Patient, mrn_for_number
from ketamine_clinic.patients.services._common import (
    date_problem,
    phone_problem,
    reason_text,
    record_correction,
)

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

PATIENT_FIRST_NAME_REQUIRED = "Enter the patient's legal first name."
PATIENT_LAST_NAME_REQUIRED = "Enter the patient's legal last name."
PATIENT_DOB_IN_FUTURE = "The date of birth cannot be in the future."
PATIENT_DOB_TOO_EARLY = "The date of birth must be on or after 1900-01-01."
PATIENT_SEX_UNKNOWN = "Choose the sex recorded at birth (or Unknown / not recorded)."

PATIENT_SELF_DESCRIPTION_REQUIRED = "Write how the patient describes their gender."
PATIENT_SELF_DESCRIPTION_UNUSED = (
    "Leave the self-description empty unless 'Other, self-described' is chosen."
)
PATIENT_GENDER_UNKNOWN = "Choose a gender identity from the list, or leave it as not asked."
PATIENT_IDENTITY_REASON_REQUIRED = (
    "Changing the legal name, date of birth or sex at birth is a correction: say why."
)
CONTACT_PHONE_REQUIRED = "Enter a phone number for this person: staff must be able to call them."
CONTACT_NAME_REQUIRED = "Enter this person's name, or clear their details."
PATIENT_NOTHING_CHANGED = "Nothing was changed."
PREGNANCY_POTENTIAL_UNKNOWN = "Choose yes, no or not applicable."
PREGNANCY_ASKED_ON_REQUIRED = "Enter the date the patient was asked."

EARLIEST_DATE_OF_BIRTH = date(1900, 1, 1)

# Changing these corrects who the patient is; the service asks for a reason.
IDENTITY_FIELDS = ("legal_first_name", "legal_last_name", "date_of_birth", "sex_at_birth")


@dataclass(frozen=True)
class PatientDetails:
    """Everything the front desk keeps about a patient, as one edit submits it.

    Field names are the model's, so a service error names the form's field.
    """

    legal_first_name: str
    legal_last_name: str
    preferred_name: str
    date_of_birth: date
    sex_at_birth: str
    gender_identity: str
    gender_identity_self_described: str
    pronouns: str
    phone: str
    email: str
    address: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    escort_name: str
    escort_relationship: str
    escort_phone: str
    referrer_name: str
    referrer_practice: str
    referrer_phone: str
    referrer_email: str

    @classmethod
    def of(cls, patient: Patient) -> PatientDetails:
        """The details as they stand, to prefill the edit form."""
        return cls(**{name: getattr(patient, name) for name in cls.__dataclass_fields__})


def _date_of_birth_problem(born: date) -> str | None:
    # The clinic's calendar day, not UTC's: at 9 pm in New York it is already tomorrow in UTC.
    if born > timezone.localdate(timezone.now()):
        return PATIENT_DOB_IN_FUTURE
    if born < EARLIEST_DATE_OF_BIRTH:
        return PATIENT_DOB_TOO_EARLY
    return None


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
    dob_problem = _date_of_birth_problem(date_of_birth)
    if dob_problem is not None:
        errors["date_of_birth"] = dob_problem
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


def _details_errors(details: PatientDetails) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not details.legal_first_name:
        errors["legal_first_name"] = PATIENT_FIRST_NAME_REQUIRED
    if not details.legal_last_name:
        errors["legal_last_name"] = PATIENT_LAST_NAME_REQUIRED
    dob_problem = _date_of_birth_problem(details.date_of_birth)
    if dob_problem is not None:
        errors["date_of_birth"] = dob_problem
    if details.sex_at_birth not in SexAtBirth.values:
        errors["sex_at_birth"] = PATIENT_SEX_UNKNOWN
    if details.gender_identity not in ("", *GenderIdentity.values):
        errors["gender_identity"] = PATIENT_GENDER_UNKNOWN
    elif details.gender_identity == GenderIdentity.SELF_DESCRIBED:
        if not details.gender_identity_self_described:
            errors["gender_identity_self_described"] = PATIENT_SELF_DESCRIPTION_REQUIRED
    elif details.gender_identity_self_described:
        errors["gender_identity_self_described"] = PATIENT_SELF_DESCRIPTION_UNUSED
    for field in ("phone", "emergency_contact_phone", "escort_phone", "referrer_phone"):
        problem = phone_problem(getattr(details, field))
        if problem is not None:
            errors[field] = problem
    # A contact nobody can ring is no contact: on the day, the escort must be reachable.
    for person in ("emergency_contact", "escort"):
        name = getattr(details, f"{person}_name")
        phone = getattr(details, f"{person}_phone")
        relationship = getattr(details, f"{person}_relationship")
        if name and not phone and f"{person}_phone" not in errors:
            errors[f"{person}_phone"] = CONTACT_PHONE_REQUIRED
        if not name and (phone or relationship):
            errors[f"{person}_name"] = CONTACT_NAME_REQUIRED
    return errors


@transaction.atomic
def patient_update_details(
    *, patient: Patient, details: PatientDetails, reason: str = "", by: User | None
) -> Patient:
    """Change a patient's demographics and contacts; keep what each field was.

    A change to the legal name, date of birth or sex at birth is a correction of who the
    patient is and needs a reason. The audit entry and a `Correction` row both hold the
    fields changed with their before and after values.
    """
    stripped: dict[str, Any] = {
        name: value.strip() if isinstance(value, str) else value
        for name, value in asdict(details).items()
    }
    cleaned = PatientDetails(**stripped)
    errors = _details_errors(cleaned)
    if errors:
        raise ValidationError(errors)
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    before = PatientDetails.of(locked)
    changes = {
        name: (getattr(before, name), value)
        for name, value in asdict(cleaned).items()
        if getattr(before, name) != value
    }
    if not changes:
        raise ValidationError(PATIENT_NOTHING_CHANGED, code="unchanged")
    why = reason_text(reason, required=False)
    if any(name in changes for name in IDENTITY_FIELDS) and not why:
        raise ValidationError({"reason": PATIENT_IDENTITY_REASON_REQUIRED})
    now = timezone.now()
    for name, (_, value) in changes.items():
        setattr(locked, name, value)
    locked.updated_at = now
    locked.updated_by = by
    locked.full_clean()
    locked.save()
    correction = record_correction(
        patient=locked,
        object_type="patient",
        object_id=locked.pk,
        changes=changes,
        reason=why,
        by=by,
        at=now,
    )
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="patient",
        object_id=locked.pk,
        patient_id=locked.pk,
        reason=why,
        detail={"changes": correction.changes},
    )
    return locked


@transaction.atomic
def patient_record_pregnancy_potential(
    *, patient: Patient, potential: str, asked_on: date | None, by: User | None
) -> Patient:
    """Record whether the patient could be pregnant, and when they were asked.

    Asked again at each course; the audit entry keeps the previous answer.
    """
    errors: dict[str, str] = {}
    if potential not in PregnancyPotential.values:
        errors["pregnancy_potential"] = PREGNANCY_POTENTIAL_UNKNOWN
    if asked_on is None:
        errors["pregnancy_potential_asked_on"] = PREGNANCY_ASKED_ON_REQUIRED
    else:
        problem = date_problem(asked_on, patient)
        if problem is not None:
            errors["pregnancy_potential_asked_on"] = problem
    if errors:
        raise ValidationError(errors)
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    before = (locked.pregnancy_potential, locked.pregnancy_potential_asked_on)
    locked.pregnancy_potential = potential
    locked.pregnancy_potential_asked_on = asked_on
    locked.pregnancy_potential_recorded_by = by
    locked.pregnancy_potential_recorded_at = timezone.now()
    locked.save(
        update_fields=[
            "pregnancy_potential",
            "pregnancy_potential_asked_on",
            "pregnancy_potential_recorded_by",
            "pregnancy_potential_recorded_at",
        ]
    )
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="pregnancy_potential",
        object_id=locked.pk,
        patient_id=locked.pk,
        detail={
            "before": [before[0], before[1].isoformat() if before[1] else None],
            "after": [potential, asked_on.isoformat() if asked_on else None],
        },
    )
    return locked
