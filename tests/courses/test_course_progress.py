"""course_progress: "3 of 6", the next visit, days left in the window, each visit's scores;
the chart's timeline of courses and visits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.selectors import course_progress, timeline_entries
from ketamine_clinic.courses.services import course_stop
from ketamine_clinic.patients.chart_sources import other_apps_timeline_entries
from ketamine_clinic.visits import services as visit_services
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import (
    COURSE_FULL,
    record_check_override,
    visit_schedule,
    visit_transition,
)
from tests.visits.support import START, frozen

pytestmark = pytest.mark.django_db

# Tuesday 10, Thursday 12, Saturday 14, Tuesday 17, Thursday 19, Saturday 21 March 2026.
DAYS = [0, 2, 4, 7, 9, 11]
# Hand-built PHQ-9 answers, item 9 always 0 (no risk flag): totals 20, 14, 9.
PHQ9 = [[3, 3, 3, 3, 2, 2, 2, 2, 0], [2, 2, 2, 2, 2, 2, 1, 1, 0], [1, 1, 1, 1, 1, 1, 1, 2, 0]]


def _book_all(course: Course, desk: User) -> list[Visit]:
    with frozen(START - timedelta(days=7)):
        return [
            visit_schedule(
                patient=course.patient,
                course=course,
                scheduled_start=START + timedelta(days=day),
                by=desk,
            )
            for day in DAYS
        ]


def _give(visit: Visit, desk: User, nurse: User) -> None:
    start = visit.scheduled_start
    steps = [
        (VisitState.CHECKED_IN, desk, -20),
        (VisitState.CHECKS_DONE, nurse, -10),
        (VisitState.READY, nurse, -5),
        (VisitState.INFUSING, nurse, 0),
        (VisitState.RECOVERY, nurse, 55),
        (VisitState.DISCHARGED, nurse, 90),
    ]
    for state, who, minutes in steps:
        with frozen(start + timedelta(minutes=minutes)):
            visit = visit_transition(visit, state, by=who)


@pytest.fixture
def three_given(
    course: Course, desk: User, nurse: User, monkeypatch: pytest.MonkeyPatch
) -> list[Visit]:
    """Six visits booked; the first three given, a PHQ-9 before each, a GAD-7 on day 1.
    The checks and the syringe/discharge guards are stubbed to pass: they have their own
    tests."""
    monkeypatch.setattr(visit_services, "run_checks", lambda visit: [])
    monkeypatch.setattr(visit_services, "guard_problems", lambda visit, target, from_state: [])
    visits = _book_all(course, desk)
    for visit, answers in zip(visits[:3], PHQ9, strict=True):
        with frozen(visit.scheduled_start - timedelta(minutes=25)):
            record_response(course.patient, "phq9", answers, actor=nurse, channel="staff")
        _give(visit, desk, nurse)
    with frozen(START - timedelta(minutes=25)):
        record_response(course.patient, "gad7", [2] * 7, actor=None, channel="kiosk")
    return visits


def test_progress_reads_three_of_six_with_each_visit_s_scores(
    course: Course, three_given: list[Visit]
) -> None:
    evening_of_day_3 = START + timedelta(days=4, hours=8)
    progress = course_progress(course, now=evening_of_day_3)
    assert (progress.done, progress.planned, progress.label) == (3, 6, "3 of 6")
    assert progress.next_visit == three_given[3]
    assert (progress.window_starts_on.isoformat(), progress.window_ends_on.isoformat()) == (
        "2026-03-10",
        "2026-03-30",
    )
    assert progress.days_left == 16
    scores = [
        [(s.short_name, s.total, s.severity) for s in visit.scores] for visit in progress.visits
    ]
    assert scores == [
        [("PHQ-9", 20, "severe"), ("GAD-7", 14, "moderate")],
        [("PHQ-9", 14, "moderate")],
        [("PHQ-9", 9, "mild")],
        [],
        [],
        [],
    ]


def test_the_window_never_goes_below_zero_days(course: Course, three_given: list[Visit]) -> None:
    progress = course_progress(course, now=START + timedelta(days=40))
    assert (progress.days_left, progress.next_visit) == (0, None)


def test_a_seventh_booking_is_refused_until_one_is_cancelled(
    course: Course, desk: User, nurse: User
) -> None:
    visits = _book_all(course, desk)
    assert [visit.number_in_course for visit in visits] == [1, 2, 3, 4, 5, 6]
    later = START + timedelta(days=13)
    with frozen(START - timedelta(days=7)), pytest.raises(ValidationError) as refused:
        visit_schedule(patient=course.patient, course=course, scheduled_start=later, by=desk)
    assert refused.value.message_dict == {"course": [COURSE_FULL.format(planned=6)]}
    with frozen(START - timedelta(days=6)):
        visit_transition(visits[2], VisitState.CANCELLED, by=desk, reason="Travel")
        rebooked = visit_schedule(
            patient=course.patient, course=course, scheduled_start=later, by=desk
        )
    # The replacement takes the number the cancelled visit gave back.
    assert rebooked.number_in_course == 3
    # An abort before the pump ran gives its number back too; none was given.
    with frozen(START - timedelta(minutes=20)):
        visit = visit_transition(visits[0], VisitState.CHECKED_IN, by=desk)
        visit_transition(visit, VisitState.ABORTED, by=nurse, reason="BP 172/104 twice")
        again = visit_schedule(
            patient=course.patient,
            course=course,
            scheduled_start=later + timedelta(days=2),
            by=desk,
        )
    assert again.number_in_course == 1


def test_the_chart_timeline_shows_the_course_visits_transitions_and_overrides(
    course: Course, desk: User, nurse: User, prescriber: User
) -> None:
    (visit, *_) = _book_all(course, desk)
    with frozen(START - timedelta(minutes=20)):
        visit_transition(visit, VisitState.CHECKED_IN, by=desk)
        record_check_override(visit, "weight", by=prescriber, reason="Scale broken; weighed Monday")
    with frozen(START):
        course_stop(course=course, by=prescriber, reason="Patient moved away")
    entries = sorted(other_apps_timeline_entries(course.patient), key=lambda e: e.at)
    ours = [
        (e.kind, e.title)
        for e in entries
        if e.kind in {"course", "visit", "visit_state", "check_override"}
    ]
    assert ours[0] == ("course", "Course started: 6 infusions")
    assert ("visit", "Infusion 1 of 6 scheduled for 2026-03-10 10:00") in ours
    assert ("visit_state", "Infusion 1 of 6: checked in") in ours
    assert ("check_override", "Infusion 1 of 6: check overridden (Weight measured today)") in ours
    assert ours[-1] == ("course", "Course stopped")
    assert timeline_entries(course.patient) == [
        e
        for e in other_apps_timeline_entries(course.patient)
        if e.kind in {"course", "visit", "visit_state", "check_override"}
    ]
