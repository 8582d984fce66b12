"""Medications: recording, correcting, stopping and retracting. Flags come from a table.

The flags (`MedicationFlag`) are what screening and the chart act on, so they are stored
on the row; staff may change them, and the chart says when they did.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.enums import MedicationFlag
from ketamine_clinic.patients.medication_flags import flags_for_medication_name
from ketamine_clinic.patients.models import Medication, Patient
from ketamine_clinic.patients.services._common import (
    date_problem,
    mark_entered_in_error,
    reason_text,
    record_correction,
)

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

MEDICATION_NAME_REQUIRED = "Enter the medication's name."
MEDICATION_FLAG_UNKNOWN = "Choose flags from the list only."
MEDICATION_ALREADY_STOPPED = "This medication is already stopped."
MEDICATION_STOP_DATE_REQUIRED = "Enter the date the medication was stopped."
MEDICATION_STOP_BEFORE_START = "The stop date cannot be before the start date ({started})."
MEDICATION_IN_ERROR = "This medication is marked entered in error; record it again instead."
MEDICATION_NOTHING_CHANGED = "Nothing was changed."


def _flags(flags: Iterable[str]) -> list[str]:
    """Flags as stored: known values only, each once, in the enum's order."""
    chosen = set(flags)
    if chosen - set(MedicationFlag.values):
        raise ValidationError({"flags": MEDICATION_FLAG_UNKNOWN})
    return [flag.value for flag in MedicationFlag if flag.value in chosen]


def _check(patient: Patient, name: str, started_on: date | None) -> None:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = MEDICATION_NAME_REQUIRED
    problem = date_problem(started_on, patient)
    if problem is not None:
        errors["started_on"] = problem
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def medication_add(
    *,
    patient: Patient,
    name: str,
    dose_text: str = "",
    started_on: date | None = None,
    flags: Iterable[str] | None = None,
    by: User | None,
) -> Medication:
    """Record a current medication. `flags=None` takes them from the table by name."""
    name, dose_text = name.strip(), dose_text.strip()
    _check(patient, name, started_on)
    proposed = [flag.value for flag in flags_for_medication_name(name)]
    stored = proposed if flags is None else _flags(flags)
    medication = Medication(
        patient=patient,
        name=name,
        dose_text=dose_text,
        started_on=started_on,
        flags=stored,
        flags_set_by_staff=stored != proposed,
        recorded_at=timezone.now(),
        recorded_by=by,
    )
    medication.full_clean()
    medication.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="medication",
        object_id=medication.pk,
        patient_id=patient.pk,
        detail={
            "name": name,
            "dose": dose_text,
            "started_on": started_on.isoformat() if started_on else None,
            "flags": stored,
            "flags_set_by_staff": medication.flags_set_by_staff,
        },
    )
    return medication


@transaction.atomic
def medication_correct(
    *,
    medication: Medication,
    name: str,
    dose_text: str,
    started_on: date | None,
    flags: Iterable[str],
    reason: str,
    by: User | None,
) -> Medication:
    """Correct a medication's name, dose, start date or flags, keeping what they were."""
    locked = Medication.objects.select_for_update().get(pk=medication.pk)
    if locked.in_error:
        raise ValidationError(MEDICATION_IN_ERROR, code="in_error")
    name, dose_text = name.strip(), dose_text.strip()
    _check(locked.patient, name, started_on)
    stored = _flags(flags)
    if locked.stopped_on is not None and started_on is not None and started_on > locked.stopped_on:
        raise ValidationError({"started_on": "The start date cannot be after the stop date."})
    after: dict[str, object] = {
        "name": name,
        "dose_text": dose_text,
        "started_on": started_on,
        "flags": stored,
    }
    changes = {
        field: (getattr(locked, field), value)
        for field, value in after.items()
        if getattr(locked, field) != value
    }
    if not changes:
        raise ValidationError(MEDICATION_NOTHING_CHANGED, code="unchanged")
    why = reason_text(reason)
    now = timezone.now()
    locked.name, locked.dose_text, locked.started_on, locked.flags = (
        name,
        dose_text,
        started_on,
        stored,
    )
    locked.flags_set_by_staff = stored != [f.value for f in flags_for_medication_name(name)]
    locked.full_clean()
    locked.save()
    correction = record_correction(
        patient=locked.patient,
        object_type="medication",
        object_id=locked.pk,
        changes=changes,
        reason=why,
        by=by,
        at=now,
    )
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="medication",
        object_id=locked.pk,
        patient_id=locked.patient_id,
        reason=why,
        detail={"changes": correction.changes},
    )
    return locked


@transaction.atomic
def medication_stop(
    *, medication: Medication, stopped_on: date | None, by: User | None
) -> Medication:
    """Record that the patient stopped taking a medication; the row stays, with its history."""
    locked = Medication.objects.select_for_update().get(pk=medication.pk)
    if locked.in_error:
        raise ValidationError(MEDICATION_IN_ERROR, code="in_error")
    if locked.stopped_on is not None:
        raise ValidationError(MEDICATION_ALREADY_STOPPED, code="already_stopped")
    if stopped_on is None:
        raise ValidationError({"stopped_on": MEDICATION_STOP_DATE_REQUIRED})
    problem = date_problem(stopped_on, locked.patient)
    if problem is not None:
        raise ValidationError({"stopped_on": problem})
    if locked.started_on is not None and stopped_on < locked.started_on:
        raise ValidationError(
            {"stopped_on": MEDICATION_STOP_BEFORE_START.format(started=locked.started_on)}
        )
    locked.stopped_on = stopped_on
    locked.stopped_by = by
    locked.save(update_fields=["stopped_on", "stopped_by"])
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="medication",
        object_id=locked.pk,
        patient_id=locked.patient_id,
        detail={"stopped_on": stopped_on.isoformat()},
    )
    return locked


@transaction.atomic
def medication_mark_entered_in_error(
    *, medication: Medication, reason: str, by: User | None
) -> Medication:
    """Retract a medication recorded by mistake (not one the patient stopped: stop that)."""
    mark_entered_in_error(
        item=medication, patient=medication.patient, object_type="medication", reason=reason, by=by
    )
    return medication
