"""Writes to treatment courses: start, stop, complete (by the prescriber, or by itself once
its last planned infusion is discharged). Each audited in its transaction."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.protocols import InvalidProtocol
from ketamine_clinic.courses.protocols_data import DEFAULT_PROTOCOL_KEY, protocol_for
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.selectors import visits_holding_a_number

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

# A course is a treatment decision: the prescriber starts and stops it.
COURSE_ROLES: Final = frozenset({Role.PRESCRIBER})

COURSE_PRESCRIBER_ONLY: Final = "Only a prescriber may start or stop a course."
COURSE_ALREADY_ACTIVE: Final = (
    "This patient already has an active course (started {started}); stop or complete it first."
)
COURSE_NOT_ACTIVE: Final = "Only an active course can be {verb}; this one is {status}."
COURSE_STOP_REASON_REQUIRED: Final = "Say why the course is stopped (it is kept with the course)."
COURSE_REASON_MAX_LENGTH: Final = 500
COURSE_REASON_TOO_LONG: Final = f"Keep the reason under {COURSE_REASON_MAX_LENGTH} characters."


def _require_prescriber(by: User) -> None:
    if not (by.is_active and by.roles & COURSE_ROLES):
        raise PermissionDenied(COURSE_PRESCRIBER_ONLY)


def _already_active(patient: Patient) -> ValidationError:
    active = Course.objects.filter(patient=patient, status=CourseStatus.ACTIVE).first()
    started = (
        timezone.localdate(active.started_at).isoformat()
        if active is not None and active.started_at is not None
        else "earlier"
    )
    return ValidationError(COURSE_ALREADY_ACTIVE.format(started=started), code="already_active")


def course_start(
    *,
    patient: Patient,
    by: User,
    protocol_key: str = DEFAULT_PROTOCOL_KEY,
    at: datetime | None = None,
) -> Course:
    """Start a course under ``protocol_key``, refusing a second active one for the patient.

    The protocol's numbers are copied into the course. The unique constraint on active
    courses is the real guard against two starts at once; the check before it only
    gives the usual case a clear message.
    """
    _require_prescriber(by)
    try:
        protocol = protocol_for(protocol_key)
    except InvalidProtocol as error:
        raise ValidationError({"protocol_key": str(error)}) from None
    now = at if at is not None else timezone.now()
    if Course.objects.filter(patient=patient, status=CourseStatus.ACTIVE).exists():
        raise _already_active(patient)
    try:
        with transaction.atomic():
            course = Course.objects.create(
                patient=patient,
                protocol_key=protocol.key,
                protocol=protocol.as_snapshot(),
                status=CourseStatus.ACTIVE,
                created_at=now,
                created_by=by,
                started_at=now,
            )
            audit_record(
                action=AuditAction.CREATE,
                actor=by,
                object_type="course",
                object_id=course.pk,
                patient_id=patient.pk,
                detail={"protocol": protocol.key, "infusions": protocol.infusions},
            )
    except IntegrityError:
        raise _already_active(patient) from None
    return course


def _clean_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise ValidationError({"reason": COURSE_STOP_REASON_REQUIRED})
    if len(text) > COURSE_REASON_MAX_LENGTH:
        raise ValidationError({"reason": COURSE_REASON_TOO_LONG})
    return text


def _lock(course: Course) -> Course:
    # Lock the course: a stop and a completion at once must not both end it, and two
    # discharges at once must not both miss (or both write) the completion.
    return Course.objects.select_for_update().get(pk=course.pk)


def _end(
    course: Course,
    *,
    by: User,
    status: CourseStatus,
    reason: str,
    verb: str,
    detail: dict[str, object] | None = None,
) -> Course:
    locked = _lock(course)
    if locked.status != CourseStatus.ACTIVE:
        raise ValidationError(
            COURSE_NOT_ACTIVE.format(verb=verb, status=locked.get_status_display().lower()),
            code="not_active",
        )
    locked.status = status
    locked.ended_at = timezone.now()
    locked.ended_by = by
    locked.stop_reason = reason
    locked.save(update_fields=["status", "ended_at", "ended_by", "stop_reason"])
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="course",
        object_id=locked.pk,
        patient_id=locked.patient_id,
        reason=reason,
        detail={"status": str(status), **(detail or {})},
    )
    return locked


@transaction.atomic
def course_stop(*, course: Course, by: User, reason: str) -> Course:
    """End an active course early, with the prescriber's reason."""
    _require_prescriber(by)
    return _end(
        course, by=by, status=CourseStatus.STOPPED, reason=_clean_reason(reason), verb="stopped"
    )


@transaction.atomic
def course_complete(*, course: Course, by: User) -> Course:
    """Mark an active course completed (its planned infusions are given or no more are due)."""
    _require_prescriber(by)
    return _end(course, by=by, status=CourseStatus.COMPLETED, reason="", verb="completed")


def all_infusions_given(course: Course) -> bool:
    """Whether every planned infusion number of ``course`` has a discharged visit.

    Counted as ``selectors.course_progress`` counts "done": a discharged visit among
    those holding a number (``visits_holding_a_number``). A cancelled or missed visit
    gives its number back, so the visit booked in its place is the one that counts. A
    visit aborted during the infusion keeps its number but is not given: the course
    then never completes by itself, and the prescriber decides (complete or stop).
    """
    given = set(
        visits_holding_a_number(course)
        .filter(state=VisitState.DISCHARGED)
        .values_list("number_in_course", flat=True)
    )
    return given >= set(range(1, course.infusions_planned + 1))


@transaction.atomic
def course_complete_if_all_given(*, course: Course, by: User, after_visit_id: int) -> bool:
    """Complete an active course whose planned infusions have all been given.

    Called by ``recovery.services.visit_discharge`` inside the discharge's transaction,
    so the discharge and the completion commit together. No prescriber is needed: the
    completion is a consequence of the nurse's discharge, not a treatment decision, and
    ``by`` (the discharging user) is the audit entry's actor, with ``automatic`` and the
    visit in its detail. A course that is not active (stopped, already completed) is
    left alone. Returns whether the course was completed now.
    """
    locked = _lock(course)
    if locked.status != CourseStatus.ACTIVE or not all_infusions_given(locked):
        return False
    _end(
        locked,
        by=by,
        status=CourseStatus.COMPLETED,
        reason="",
        verb="completed",
        detail={"automatic": True, "after_visit": after_visit_id},
    )
    return True
