"""Writes of questionnaire responses and risk assessments. Each is audited in its transaction.

Scoring is the pure engine's (``ketamine_clinic.instruments``); this module stores what
it says, raises the risk flags it names and records who did it. Answers the engine
refuses raise its own named errors (``InvalidAnswers`` with ``.item`` and ``.reason``,
``UnknownInstrument``), before anything is written; a problem with the other fields
raises ``ValidationError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.assessments.enums import ResponseChannel, RiskFlagStatus
from ketamine_clinic.assessments.models import QuestionnaireResponse, RiskFlag
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.instruments.scoring import Score, score

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User
    from ketamine_clinic.patients.models import Patient

RESPONSE_CHANNEL_UNKNOWN = "Choose where the answers were entered: kiosk, staff or API."
RESPONSE_NEEDS_STAFF = "Answers entered by staff or through the API must say who entered them."
RESPONSE_TAKEN_AT_NAIVE = "The time the questionnaire was taken needs a time zone."
RESPONSE_TAKEN_AT_FUTURE = "The time the questionnaire was taken cannot be in the future."
RESPONSE_CORRECTS_OTHER = "A correction must replace a response of the same patient and instrument."
RESPONSE_ALREADY_CORRECTED = "That response has already been corrected; correct the newer one."
RESPONSE_CORRECTION_REASON_REQUIRED = "Say why the earlier response is being corrected."
COMMENT_TOO_LONG = "Keep the comment under {limit} characters."

RISK_ASSESSMENT_NEEDS_PRESCRIBER = "Only a prescriber may record a risk assessment."
RISK_ASSESSMENT_NOTE_REQUIRED = "Write the assessment: what was found and what was decided."
RISK_ASSESSMENT_NOTE_TOO_LONG = "Keep the assessment note under {limit} characters."
RISK_FLAG_ALREADY_ASSESSED = "This risk flag has already been assessed."

COMMENT_MAX_CHARS = 2000
NOTE_MAX_CHARS = 5000
# A tablet's clock may run a little ahead of the server's.
FUTURE_TOLERANCE_S = 300


def _check_fields(
    *,
    actor: User | None,
    channel: str,
    taken_at: datetime,
    now: datetime,
    comment: str,
    corrects: QuestionnaireResponse | None,
    correction_reason: str,
    patient: Patient,
    instrument_key: str,
) -> None:
    errors: dict[str, str] = {}
    if channel not in ResponseChannel.values:
        errors["channel"] = RESPONSE_CHANNEL_UNKNOWN
    elif channel != ResponseChannel.KIOSK and actor is None:
        errors["actor"] = RESPONSE_NEEDS_STAFF
    if timezone.is_naive(taken_at):
        errors["taken_at"] = RESPONSE_TAKEN_AT_NAIVE
    elif (taken_at - now).total_seconds() > FUTURE_TOLERANCE_S:
        errors["taken_at"] = RESPONSE_TAKEN_AT_FUTURE
    if len(comment) > COMMENT_MAX_CHARS:
        errors["comment"] = COMMENT_TOO_LONG.format(limit=COMMENT_MAX_CHARS)
    if corrects is not None:
        if corrects.patient_id != patient.pk or corrects.instrument_key != instrument_key:
            errors["corrects"] = RESPONSE_CORRECTS_OTHER
        elif QuestionnaireResponse.objects.filter(corrects=corrects).exists():
            errors["corrects"] = RESPONSE_ALREADY_CORRECTED
        if not correction_reason.strip():
            errors["correction_reason"] = RESPONSE_CORRECTION_REASON_REQUIRED
    if errors:
        raise ValidationError(errors)


def scored_fields(result: Score, answers: Sequence[int | None]) -> dict[str, Any]:
    """A response's fields that come from the scoring engine, as every writer stores them
    (this service, and `generate` writing a synthetic clinic in bulk)."""
    return {
        "instrument_key": result.instrument,
        "instrument_version": result.version,
        "answers": list(answers),
        "total": result.total,
        "severity": result.severity or "",
        "flags": list(result.flag_keys),
        "triage": result.triage or "",
        "valid": result.valid,
        "result": result.as_dict(),
    }


@transaction.atomic
def record_response(
    patient: Patient,
    instrument_key: str,
    answers: Sequence[int | None],
    *,
    actor: User | None,
    channel: ResponseChannel | str,
    taken_at: datetime | None = None,
    comment: str = "",
    corrects: QuestionnaireResponse | None = None,
    correction_reason: str = "",
) -> QuestionnaireResponse:
    """Score ``answers`` with the instrument, store the response, raise its risk flags.

    ``actor`` is None only when the patient entered the answers on the kiosk. The
    response, its flags and their audit entries are one transaction: a flag is never
    stored without the response that raised it, nor a response without its flags.
    A correction is a new response naming the one it replaces (``corrects``) and why;
    the flags the earlier one raised stay until a prescriber assesses them.

    Raises InvalidAnswers / UnknownInstrument (from the scoring engine) for answers that
    cannot be scored, ValidationError naming the field for the rest; nothing is written.
    """
    now = timezone.now()
    moment = now if taken_at is None else taken_at
    _check_fields(
        actor=actor,
        channel=str(channel),
        taken_at=moment,
        now=now,
        comment=comment,
        corrects=corrects,
        correction_reason=correction_reason,
        patient=patient,
        instrument_key=instrument_key,
    )
    result = score(instrument_key, answers)
    response = QuestionnaireResponse.objects.create(
        patient=patient,
        **scored_fields(result, answers),
        # Verbatim: what the patient wrote is theirs, spacing included.
        comment=comment,
        taken_at=moment,
        entered_by=actor,
        channel=ResponseChannel(str(channel)),
        corrects=corrects,
        correction_reason=correction_reason.strip(),
        created_at=now,
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=actor,
        object_type="questionnaire_response",
        object_id=response.pk,
        patient_id=patient.pk,
        reason=response.correction_reason,
        detail={
            "instrument": result.instrument,
            "version": result.version,
            "answers": list(answers),
            "total": result.total,
            "severity": result.severity,
            "triage": result.triage,
            "flags": list(result.flag_keys),
            "entered_on": str(channel),
            "corrects": None if corrects is None else corrects.pk,
        },
    )
    for flag in result.flags:
        risk = RiskFlag.objects.create(
            patient=patient,
            response=response,
            kind=flag.kind,
            level=flag.level,
            reason=flag.reason[:200],
            raised_at=now,
        )
        audit_record(
            action=AuditAction.CREATE,
            actor=actor,
            object_type="risk_flag",
            object_id=risk.pk,
            patient_id=patient.pk,
            detail={"kind": risk.kind, "level": risk.level, "response": response.pk},
        )
    return response


@transaction.atomic
def record_risk_assessment(flag: RiskFlag, *, actor: User, note: str) -> RiskFlag:
    """A prescriber's assessment of an open risk flag, which lifts its block on infusions.

    Only a prescriber may (PermissionDenied otherwise, before anything is read or
    written); the note is required and kept as written. The flag row is locked, so two
    prescribers assessing at once cannot both succeed.
    """
    if Role.PRESCRIBER not in actor.roles or not actor.is_active:
        raise PermissionDenied(RISK_ASSESSMENT_NEEDS_PRESCRIBER)
    if not note.strip():
        raise ValidationError({"note": RISK_ASSESSMENT_NOTE_REQUIRED})
    if len(note) > NOTE_MAX_CHARS:
        raise ValidationError({"note": RISK_ASSESSMENT_NOTE_TOO_LONG.format(limit=NOTE_MAX_CHARS)})
    locked = RiskFlag.objects.select_for_update().get(pk=flag.pk)
    if locked.status != RiskFlagStatus.OPEN:
        raise ValidationError(RISK_FLAG_ALREADY_ASSESSED, code="already_assessed")
    now = timezone.now()
    locked.status = RiskFlagStatus.ASSESSED
    locked.assessed_by = actor
    locked.assessed_at = now
    locked.assessment_note = note
    locked.save(update_fields=["status", "assessed_by", "assessed_at", "assessment_note"])
    audit_record(
        action=AuditAction.UPDATE,
        actor=actor,
        object_type="risk_flag",
        object_id=locked.pk,
        patient_id=locked.patient_id,
        reason=note,
        detail={"status": str(RiskFlagStatus.ASSESSED), "kind": locked.kind, "level": locked.level},
    )
    return locked
