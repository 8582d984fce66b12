"""What the patient services share: checks, the correction record, entered-in-error."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.models import ChartItem, Correction, Patient

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

REASON_REQUIRED = "Say why this is being corrected (it is kept with the change)."
ALREADY_IN_ERROR = "This entry is already marked as entered in error."
PHONE_INVALID = "Enter a phone number with at least 7 digits (digits, spaces and + ( ) - . only)."
DATE_IN_FUTURE = "The date cannot be in the future."
DATE_BEFORE_BIRTH = "The date cannot be before the patient's date of birth."
REASON_MAX_LENGTH = 500
REASON_TOO_LONG = f"Keep the reason under {REASON_MAX_LENGTH} characters."

_PHONE = re.compile(r"^[0-9+()\-. ]{7,40}$")


def phone_problem(phone: str) -> str | None:
    """Why `phone` cannot be dialled from the desk, or None (an empty phone is fine here)."""
    if not phone:
        return None
    if not _PHONE.match(phone) or sum(ch.isdigit() for ch in phone) < 7:
        return PHONE_INVALID
    return None


def clinic_today() -> date:
    """The clinic's calendar day (at 9 pm in New York it is already tomorrow in UTC)."""
    return timezone.localdate(timezone.now())


def date_problem(day: date | None, patient: Patient) -> str | None:
    """Why a date about this patient cannot be right: in the future or before birth."""
    if day is None:
        return None
    if day > clinic_today():
        return DATE_IN_FUTURE
    if day < patient.date_of_birth:
        return DATE_BEFORE_BIRTH
    return None


def reason_text(reason: str, *, field: str = "reason", required: bool = True) -> str:
    """The trimmed reason, or a ValidationError naming `field` when it is missing or long."""
    text = reason.strip()
    if required and not text:
        raise ValidationError({field: REASON_REQUIRED})
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError({field: REASON_TOO_LONG})
    return text


def as_text(value: object) -> str | None:
    """A value as the audit trail and the correction record store it (JSON-safe text)."""
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    return str(value)


def record_correction(
    *,
    patient: Patient,
    object_type: str,
    object_id: int,
    changes: dict[str, tuple[object, object]],
    reason: str,
    by: User | None,
    at: datetime,
) -> Correction:
    """Keep what a correction changed, with who, when and why, beside the chart."""
    return Correction.objects.create(
        patient=patient,
        object_type=object_type,
        object_id=object_id,
        changes={name: [as_text(old), as_text(new)] for name, (old, new) in changes.items()},
        reason=reason,
        at=at,
        by=by,
    )


def mark_entered_in_error(
    *, item: ChartItem, patient: Patient, object_type: str, reason: str, by: User | None
) -> None:
    """Take an item out of the summary, keeping it, with who, when and why.

    The caller holds the transaction; the item's row is locked so that two people
    retracting it at once record it once.
    """
    text = reason_text(reason)
    locked = type(item)._default_manager.select_for_update().get(pk=item.pk)
    if locked.entered_in_error_at is not None:
        raise ValidationError(ALREADY_IN_ERROR, code="already_in_error")
    now = timezone.now()
    item.entered_in_error_at = now
    item.entered_in_error_by = by
    item.entered_in_error_reason = text
    item.save(
        update_fields=["entered_in_error_at", "entered_in_error_by", "entered_in_error_reason"]
    )
    record_correction(
        patient=patient,
        object_type=object_type,
        object_id=item.pk,
        changes={"entered_in_error": (False, True)},
        reason=text,
        by=by,
        at=now,
    )
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type=object_type,
        object_id=item.pk,
        patient_id=patient.pk,
        reason=text,
        detail={"entered_in_error": True},
    )
