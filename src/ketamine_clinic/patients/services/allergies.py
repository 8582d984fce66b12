"""Allergies: recording one, recording that there are none, and retracting one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.enums import AllergySeverity
from ketamine_clinic.patients.models import Allergy, Patient
from ketamine_clinic.patients.services._common import mark_entered_in_error

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

ALLERGY_SUBSTANCE_REQUIRED = "Enter the substance the patient is allergic to."
ALLERGY_SEVERITY_UNKNOWN = "Choose how severe the reaction was (or Unknown)."
ALLERGY_ALREADY_RECORDED = (
    "This patient is already recorded as allergic to {substance}; correct that entry instead."
)
ALLERGY_NONE_BUT_RECORDED = (
    "Allergies are recorded for this patient. If they are wrong, mark each one entered in "
    "error first, then record no known allergies."
)
ALLERGY_NONE_ALREADY = "No known allergies is already recorded."


def _active(patient: Patient) -> list[Allergy]:
    return list(patient.allergies.filter(entered_in_error_at__isnull=True))


@transaction.atomic
def allergy_add(
    *,
    patient: Patient,
    substance: str,
    reaction: str = "",
    severity: str,
    by: User | None,
) -> Allergy:
    """Record an allergy. It replaces a "no known allergies" answer, which is then stale."""
    substance, reaction = substance.strip(), reaction.strip()
    errors: dict[str, str] = {}
    if not substance:
        errors["substance"] = ALLERGY_SUBSTANCE_REQUIRED
    if severity not in AllergySeverity.values:
        errors["severity"] = ALLERGY_SEVERITY_UNKNOWN
    if errors:
        raise ValidationError(errors)
    # Lock the patient: "no known allergies" and a new allergy must not both stand.
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    duplicate = next(
        (a for a in _active(locked) if a.substance.casefold() == substance.casefold()), None
    )
    if duplicate is not None:
        raise ValidationError(
            {"substance": ALLERGY_ALREADY_RECORDED.format(substance=duplicate.substance)}
        )
    now = timezone.now()
    allergy = Allergy(
        patient=locked,
        substance=substance,
        reaction=reaction,
        severity=severity,
        recorded_at=now,
        recorded_by=by,
    )
    allergy.full_clean()
    allergy.save()
    cleared_none = locked.no_known_allergies_at is not None
    if cleared_none:
        locked.no_known_allergies_at = None
        locked.no_known_allergies_by = None
        locked.save(update_fields=["no_known_allergies_at", "no_known_allergies_by"])
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="allergy",
        object_id=allergy.pk,
        patient_id=locked.pk,
        detail={
            "substance": substance,
            "reaction": reaction,
            "severity": severity,
            "cleared_no_known_allergies": cleared_none,
        },
    )
    return allergy


@transaction.atomic
def allergy_record_none(*, patient: Patient, by: User | None) -> Patient:
    """Record that the patient was asked and has no known allergies (never assumed)."""
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    if _active(locked):
        raise ValidationError(ALLERGY_NONE_BUT_RECORDED, code="has_allergies")
    if locked.no_known_allergies_at is not None:
        raise ValidationError(ALLERGY_NONE_ALREADY, code="already")
    locked.no_known_allergies_at = timezone.now()
    locked.no_known_allergies_by = by
    locked.save(update_fields=["no_known_allergies_at", "no_known_allergies_by"])
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="no_known_allergies",
        object_id=locked.pk,
        patient_id=locked.pk,
        detail={"no_known_allergies": True},
    )
    return locked


@transaction.atomic
def allergy_mark_entered_in_error(*, allergy: Allergy, reason: str, by: User | None) -> Allergy:
    """Retract an allergy recorded by mistake; the row stays, out of the summary."""
    mark_entered_in_error(
        item=allergy, patient=allergy.patient, object_type="allergy", reason=reason, by=by
    )
    return allergy
