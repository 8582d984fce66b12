"""A course completes itself when the discharge of its last planned infusion commits: in
the discharge's transaction, audited with the nurse as actor and marked automatic. A
course that is not active, or one with an infusion not given, is left to the prescriber."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.selectors import course_progress
from ketamine_clinic.courses.services import course_complete_if_all_given, course_stop
from ketamine_clinic.recovery import services as recovery_services
from ketamine_clinic.recovery.services import visit_discharge
from ketamine_clinic.visits import services as visit_services
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_schedule, visit_transition
from tests.visits.support import START, frozen

pytestmark = pytest.mark.django_db

# Tuesday 10, Thursday 12, Saturday 14, Tuesday 17, Thursday 19, Saturday 21 March 2026.
DAYS = [0, 2, 4, 7, 9, 11]


@pytest.fixture(autouse=True)
def _guards_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pre-infusion checks and the syringe/discharge guards have their own tests."""
    monkeypatch.setattr(visit_services, "run_checks", lambda visit: [])
    monkeypatch.setattr(visit_services, "guard_problems", lambda visit, target, from_state: [])


def _book(course: Course, desk: User, days: list[int] = DAYS) -> list[Visit]:
    with frozen(START - timedelta(days=7)):
        return [
            visit_schedule(
                patient=course.patient,
                course=course,
                scheduled_start=START + timedelta(days=day),
                by=desk,
            )
            for day in days
        ]


def _infuse(visit: Visit, desk: User, nurse: User) -> Visit:
    """Checked in, checked, ready, infused for 55 min: in recovery."""
    start = visit.scheduled_start
    for state, who, minutes in [
        (VisitState.CHECKED_IN, desk, -20),
        (VisitState.CHECKS_DONE, nurse, -10),
        (VisitState.READY, nurse, -5),
        (VisitState.INFUSING, nurse, 0),
        (VisitState.RECOVERY, nurse, 55),
    ]:
        with frozen(start + timedelta(minutes=minutes)):
            visit = visit_transition(visit, state, by=who)
    return visit


def _give(visit: Visit, desk: User, nurse: User) -> Visit:
    visit = _infuse(visit, desk, nurse)
    with frozen(visit.scheduled_start + timedelta(minutes=90)):
        return visit_discharge(visit, by=nurse)


def _completions(course: Course) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(
            object_type="course", object_id=str(course.pk), detail__status="completed"
        )
    )


def test_the_sixth_discharge_completes_the_course(course: Course, desk: User, nurse: User) -> None:
    visits = _book(course, desk)
    for visit in visits[:5]:
        _give(visit, desk, nurse)
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE
    assert course_progress(course).done == 5

    last = _give(visits[5], desk, nurse)

    course.refresh_from_db()
    assert (course.status, course.ended_by, course.stop_reason) == (
        CourseStatus.COMPLETED,
        nurse,
        "",
    )
    assert course.ended_at == last.scheduled_start + timedelta(minutes=90)
    assert course_progress(course).done == 6


def test_the_automatic_completion_is_audited_with_the_nurse_as_actor(
    course: Course, desk: User, nurse: User
) -> None:
    visits = _book(course, desk)
    for visit in visits:
        _give(visit, desk, nurse)
    [entry] = _completions(course)
    assert entry.actor == nurse
    assert entry.patient_id == str(course.patient_id)
    assert entry.detail == {"status": "completed", "automatic": True, "after_visit": visits[5].pk}


def test_the_fifth_discharge_leaves_the_course_active(
    course: Course, desk: User, nurse: User
) -> None:
    visits = _book(course, desk)
    for visit in visits[:5]:
        _give(visit, desk, nurse)
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE
    assert _completions(course) == []


def test_a_stopped_course_is_left_alone(
    course: Course, desk: User, nurse: User, prescriber: User
) -> None:
    visits = _book(course, desk)
    for visit in visits[:5]:
        _give(visit, desk, nurse)
    # The sixth is under way when the prescriber stops the course; it still ends.
    sixth = _infuse(visits[5], desk, nurse)
    with frozen(sixth.scheduled_start + timedelta(minutes=60)):
        course_stop(course=course, by=prescriber, reason="Patient asked to stop")
    with frozen(sixth.scheduled_start + timedelta(minutes=90)):
        discharged = visit_discharge(sixth, by=nurse)
    assert discharged.state == VisitState.DISCHARGED
    course.refresh_from_db()
    assert (course.status, course.ended_by) == (CourseStatus.STOPPED, prescriber)
    assert _completions(course) == []


def test_a_visit_booked_in_place_of_a_cancelled_one_is_the_one_that_counts(
    course: Course, desk: User, nurse: User
) -> None:
    visits = _book(course, desk)
    with frozen(START - timedelta(days=6)):
        visit_transition(visits[2], VisitState.CANCELLED, by=desk, reason="Travel")
    [rebooked] = _book(course, desk, [13])
    assert rebooked.number_in_course == 3
    for visit in visits[:2] + visits[3:]:
        _give(visit, desk, nurse)
    # Numbers 1, 2, 4, 5 and 6 given; the cancelled visit does not stand in for 3.
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE

    _give(rebooked, desk, nurse)

    course.refresh_from_db()
    assert course.status == CourseStatus.COMPLETED
    assert _completions(course)[0].detail["after_visit"] == rebooked.pk


def test_an_infusion_aborted_on_the_pump_leaves_the_course_to_the_prescriber(
    course: Course, desk: User, nurse: User
) -> None:
    """It keeps its number but was not given in full, as ``course_progress`` counts it:
    five discharges and one abort are not a completed course."""
    visits = _book(course, desk)
    infusing = visits[0]
    for state, who, minutes in [
        (VisitState.CHECKED_IN, desk, -20),
        (VisitState.CHECKS_DONE, nurse, -10),
        (VisitState.READY, nurse, -5),
        (VisitState.INFUSING, nurse, 0),
    ]:
        with frozen(infusing.scheduled_start + timedelta(minutes=minutes)):
            infusing = visit_transition(infusing, state, by=who)
    with frozen(infusing.scheduled_start + timedelta(minutes=15)):
        visit_transition(
            infusing, VisitState.ABORTED, by=nurse, reason="BP 190/115", dose_given_mg="10"
        )
    for visit in visits[1:]:
        _give(visit, desk, nurse)
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE
    assert course_progress(course).done == 5


def test_calling_it_on_an_unfinished_course_changes_nothing(course: Course, nurse: User) -> None:
    assert course_complete_if_all_given(course=course, by=nurse, after_visit_id=0) is False
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_a_booster_discharge_touches_no_course(course: Course, desk: User, nurse: User) -> None:
    with frozen(START - timedelta(days=7)):
        booster = visit_schedule(patient=course.patient, scheduled_start=START, by=desk)
    discharged = _give(booster, desk, nurse)
    assert (discharged.state, discharged.course) == (VisitState.DISCHARGED, None)
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_the_discharge_and_the_completion_commit_together(
    course: Course, desk: User, nurse: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    visits = _book(course, desk)
    for visit in visits[:5]:
        _give(visit, desk, nurse)
    sixth = _infuse(visits[5], desk, nurse)

    def fails(**kwargs: object) -> bool:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(recovery_services, "course_complete_if_all_given", fails)
    with (
        frozen(sixth.scheduled_start + timedelta(minutes=90)),
        pytest.raises(RuntimeError),
    ):
        visit_discharge(sixth, by=nurse)
    sixth.refresh_from_db()
    assert sixth.state == VisitState.RECOVERY
