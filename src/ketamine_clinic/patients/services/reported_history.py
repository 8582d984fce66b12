"""Recording the history a patient reports (intake tablet or staff on their behalf)."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.models import Patient, ReportedHistory
from ketamine_clinic.patients.reported_history import QUESTIONS, TEXT_MAX_LENGTH, YES_NO_UNSURE

HISTORY_UNKNOWN_QUESTION = "there is no such question in the history"
HISTORY_NOT_YES_NO = "answer yes, no or not sure"
HISTORY_TEXT_TOO_LONG = f"keep the answer under {TEXT_MAX_LENGTH} characters"
HISTORY_TEXT_UNSTORABLE = "the answer contains a character that cannot be stored"
HISTORY_EMPTY = "answer at least one question"
HISTORY_CHANNEL_UNKNOWN = "must be kiosk or staff"
HISTORY_WHO = "a staff entry names who entered it; a tablet entry names nobody"


def _clean(answers: Mapping[str, object]) -> dict[str, str]:
    by_key = {question.key: question for question in QUESTIONS}
    errors: dict[str, str] = {}
    clean: dict[str, str] = {}
    for key, value in answers.items():
        question = by_key.get(key)
        if question is None:
            errors[str(key)] = HISTORY_UNKNOWN_QUESTION
            continue
        if not isinstance(value, str) or not value.strip():
            continue  # not answered
        if question.kind == "yes_no_unsure":
            if value not in YES_NO_UNSURE:
                errors[key] = HISTORY_NOT_YES_NO
                continue
        elif len(value) > TEXT_MAX_LENGTH:
            errors[key] = HISTORY_TEXT_TOO_LONG
            continue
        elif any(ch == "\x00" or unicodedata.category(ch) == "Cs" for ch in value):
            errors[key] = HISTORY_TEXT_UNSTORABLE
            continue
        clean[key] = value
    if errors:
        raise ValidationError(errors)
    if not clean:
        raise ValidationError({"answers": HISTORY_EMPTY})
    return clean


@transaction.atomic
def reported_history_record(
    *, patient: Patient, answers: Mapping[str, object], by: User | None, channel: str
) -> ReportedHistory:
    """Store the patient's account as given (free text verbatim), audited.

    ``by`` is None on the tablet (the patient typed it) and names the staff member who
    typed it for the patient otherwise. Bad answers raise ValidationError naming the
    question and store nothing.
    """
    if channel not in ("kiosk", "staff"):
        raise ValidationError({"channel": HISTORY_CHANNEL_UNKNOWN})
    if (channel == "kiosk") != (by is None):
        raise ValidationError({"by": HISTORY_WHO})
    clean = _clean(answers)
    history = ReportedHistory.objects.create(
        patient=patient,
        answers=clean,
        reported_at=timezone.now(),
        channel=channel,
        entered_by=by,
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        actor_username="patient (kiosk)" if by is None else None,
        object_type="reported_history",
        object_id=history.pk,
        patient_id=patient.pk,
        # The answers stay in the row; the trail says which questions were answered.
        detail={"channel": channel, "answered": sorted(clean)},
    )
    return history
