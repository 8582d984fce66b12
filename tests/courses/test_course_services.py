"""course_start / course_stop / course_complete: prescribers, one active course, audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.protocols_data import STANDARD_SIX
from ketamine_clinic.courses.services import (
    COURSE_ALREADY_ACTIVE,
    COURSE_NOT_ACTIVE,
    COURSE_PRESCRIBER_ONLY,
    COURSE_STOP_REASON_REQUIRED,
    course_complete,
    course_start,
    course_stop,
)
from ketamine_clinic.patients.models import Patient
from tests.visits.support import NOW, frozen

pytestmark = pytest.mark.django_db


def test_a_prescriber_starts_a_course_with_a_snapshot_of_the_protocol(
    patient: Patient, prescriber: User
) -> None:
    with frozen():
        course = course_start(patient=patient, by=prescriber)
    assert (course.status, course.started_at, course.protocol_key) == (
        CourseStatus.ACTIVE,
        NOW,
        "standard-6",
    )
    assert course.protocol == STANDARD_SIX.as_snapshot()
    assert course.infusions_planned == 6
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.action, entry.object_type, entry.object_id, entry.patient_id) == (
        "create",
        "course",
        str(course.pk),
        str(patient.pk),
    )


def test_only_a_prescriber_starts_or_stops_a_course(
    patient: Patient, nurse: User, prescriber: User
) -> None:
    with pytest.raises(PermissionDenied, match=COURSE_PRESCRIBER_ONLY):
        course_start(patient=patient, by=nurse)
    with frozen():
        course = course_start(patient=patient, by=prescriber)
    with pytest.raises(PermissionDenied, match=COURSE_PRESCRIBER_ONLY):
        course_stop(course=course, by=nurse, reason="Patient request")


def test_a_second_active_course_is_refused(course: Course, prescriber: User) -> None:
    with frozen(), pytest.raises(ValidationError) as refused:
        course_start(patient=course.patient, by=prescriber)
    assert refused.value.messages == [COURSE_ALREADY_ACTIVE.format(started="2026-03-03")]
    assert Course.objects.count() == 1


def test_the_database_itself_refuses_a_second_active_course(course: Course) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Course.objects.create(
            patient=course.patient,
            protocol_key=course.protocol_key,
            protocol=course.protocol,
            status=CourseStatus.ACTIVE,
            created_at=NOW,
            created_by=course.created_by,
            started_at=NOW,
        )


def test_stopping_needs_a_reason_and_then_a_new_course_may_start(
    course: Course, prescriber: User
) -> None:
    with frozen(), pytest.raises(ValidationError) as refused:
        course_stop(course=course, by=prescriber, reason=" ")
    assert refused.value.message_dict == {"reason": [COURSE_STOP_REASON_REQUIRED]}
    with frozen():
        stopped = course_stop(course=course, by=prescriber, reason="Moved out of state")
    assert (stopped.status, stopped.stop_reason, stopped.ended_by) == (
        CourseStatus.STOPPED,
        "Moved out of state",
        prescriber,
    )
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None and entry.reason == "Moved out of state"
    with frozen(), pytest.raises(ValidationError) as again:
        course_stop(course=course, by=prescriber, reason="Twice")
    assert again.value.messages == [COURSE_NOT_ACTIVE.format(verb="stopped", status="stopped")]
    with frozen():
        assert course_start(patient=course.patient, by=prescriber).status == CourseStatus.ACTIVE


def test_a_course_completes(course: Course, prescriber: User) -> None:
    with frozen():
        done = course_complete(course=course, by=prescriber)
    assert (done.status, done.stop_reason) == (CourseStatus.COMPLETED, "")


def test_an_unknown_protocol_is_refused_naming_the_field(
    patient: Patient, prescriber: User
) -> None:
    with pytest.raises(ValidationError) as refused:
        course_start(patient=patient, by=prescriber, protocol_key="weekly-12")
    assert list(refused.value.message_dict) == ["protocol_key"]
