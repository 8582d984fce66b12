"""The chart's course section over HTTP: progress, visits with rooms and scores, past
courses; starting (prescribers only, one active course) and stopping with a reason."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.booking.models import Room
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.services import (
    COURSE_ALREADY_ACTIVE,
    COURSE_STOP_REASON_REQUIRED,
    course_stop,
)
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits import services as visit_services
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_schedule, visit_transition
from tests.conftest import client_for
from tests.visits.support import START, frozen, make_course, make_eligible_patient

pytestmark = pytest.mark.django_db

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_ROOM = '"><img src=x onerror=alert(2)>'
HOSTILE_REASON = "<b>nausea</b> & vomiting"
# Tuesday 10, Thursday 12, Saturday 14, Tuesday 17, Thursday 19, Saturday 21 March 2026.
DAYS = [0, 2, 4, 7, 9, 11]
# PHQ-9 before the first two infusions, item 9 always 0 (no risk flag): totals 20, 14.
PHQ9 = [[3, 3, 3, 3, 2, 2, 2, 2, 0], [2, 2, 2, 2, 2, 2, 1, 1, 0]]


def _give(visit: Visit, desk: User, nurse: User) -> Visit:
    steps = [
        (VisitState.CHECKED_IN, desk, -20),
        (VisitState.CHECKS_DONE, nurse, -10),
        (VisitState.READY, nurse, -5),
        (VisitState.INFUSING, nurse, 0),
        (VisitState.RECOVERY, nurse, 55),
        (VisitState.DISCHARGED, nurse, 90),
    ]
    for state, who, minutes in steps:
        with frozen(visit.scheduled_start + timedelta(minutes=minutes)):
            visit = visit_transition(visit, state, by=who)
    return visit


def six_visits_two_given(
    course: Course, desk: User, nurse: User, monkeypatch: pytest.MonkeyPatch
) -> list[Visit]:
    """Six visits booked in two rooms (one named by a hostile lead), the first two given
    with a PHQ-9 before each. The pre-infusion checks and the syringe/discharge guards
    are stubbed to pass: they have their own tests."""
    monkeypatch.setattr(visit_services, "run_checks", lambda visit: [])
    monkeypatch.setattr(visit_services, "guard_problems", lambda visit, target, from_state: [])
    rooms = [
        Room.objects.create(name="Room 1", display_order=1),
        Room.objects.create(name=HOSTILE_ROOM, display_order=2),
    ]
    with frozen(START - timedelta(days=7)):
        visits = [
            visit_schedule(
                patient=course.patient,
                course=course,
                scheduled_start=START + timedelta(days=day),
                room=rooms[index % 2],
                by=desk,
            )
            for index, day in enumerate(DAYS)
        ]
    for index, answers in enumerate(PHQ9):
        with frozen(visits[index].scheduled_start - timedelta(minutes=25)):
            record_response(course.patient, "phq9", answers, actor=nurse, channel="staff")
        visits[index] = _give(visits[index], desk, nurse)
    return visits


def _chart(client: Client, patient: Patient) -> str:
    response = client.get(reverse("patients:chart", args=[patient.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _course_section(page: str) -> str:
    start = page.index('id="course"')
    return page[start : page.index("</section>", start)]


def _messages(response: object) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]  # type: ignore[attr-defined]


def test_the_chart_shows_the_course_progress_visits_rooms_and_scores(
    prescriber: User, desk: User, nurse: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    patient = make_eligible_patient(prescriber, last=HOSTILE_NAME)
    course = make_course(patient, prescriber)
    visits = six_visits_two_given(course, desk, nurse, monkeypatch)
    before = AuditEntry.objects.filter(action=AuditAction.READ).count()
    with frozen(START + timedelta(days=3)):
        page = _chart(client_for(nurse), patient)
    section = _course_section(page)
    assert "Six infusions in 21 days" in section
    assert "2 of 6 done" in section
    # Day 1 is Tuesday 10 March, so the 21-day window ends on Monday 30 March.
    assert "2026-03-10 to Mon 2026-03-30" in section
    assert "17 days left" in section
    for visit in visits:
        assert reverse("clinicday:visit", args=[visit.pk]) in section
    assert section.count("Discharged") == 2
    assert section.count("Scheduled") == 4
    assert "Room 1" in section
    assert "PHQ-9 <strong>20</strong>" in section
    assert "PHQ-9 <strong>14</strong>" in section
    # What people typed is shown as text, never as markup.
    assert html.escape(HOSTILE_ROOM) in section
    assert HOSTILE_ROOM not in page
    assert HOSTILE_NAME not in page
    # The chart's one READ covers the course section too.
    assert AuditEntry.objects.filter(action=AuditAction.READ).count() == before + 1


def test_a_nurse_sees_the_course_but_not_its_buttons(
    course: Course, patient: Patient, nurse: User
) -> None:
    section = _course_section(_chart(client_for(nurse), patient))
    assert "2 of 6" not in section  # nothing given yet
    assert "0 of 6 done" in section
    assert "No visits booked for this course yet." in section
    assert reverse("courses:stop", args=[course.pk]) not in section
    assert reverse("courses:start", args=[patient.pk]) not in section


def test_the_chart_offers_planning_the_visits(
    course: Course, patient: Patient, prescriber: User
) -> None:
    section = _course_section(_chart(client_for(prescriber), patient))
    assert reverse("booking:course_plan", args=[course.pk]) in section
    assert "Plan the visits" in section


def test_a_prescriber_starts_a_course_from_the_chart(patient: Patient, prescriber: User) -> None:
    client = client_for(prescriber)
    section = _course_section(_chart(client, patient))
    assert "No active course." in section
    assert reverse("courses:start", args=[patient.pk]) in section

    response = client.post(
        reverse("courses:start", args=[patient.pk]), {"protocol_key": "standard-6"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:chart", args=[patient.pk]) + "#course"
    course = Course.objects.get(patient=patient)
    assert (course.status, course.created_by) == (CourseStatus.ACTIVE, prescriber)
    assert _messages(response) == [
        "Course started: Six infusions in 21 days, 6 infusions. Plan its visits next."
    ]
    assert AuditEntry.objects.filter(
        action=AuditAction.CREATE, object_type="course", object_id=str(course.pk)
    ).exists()


def test_a_nurse_may_not_start_a_course(patient: Patient, nurse: User) -> None:
    response = client_for(nurse).post(
        reverse("courses:start", args=[patient.pk]), {"protocol_key": "standard-6"}
    )
    assert response.status_code == 403
    assert not Course.objects.filter(patient=patient).exists()


def test_starting_is_post_only(patient: Patient, prescriber: User) -> None:
    response = client_for(prescriber).get(reverse("courses:start", args=[patient.pk]))
    assert response.status_code == 405


def test_a_second_active_course_is_refused_with_the_services_message(
    course: Course, patient: Patient, prescriber: User
) -> None:
    client = client_for(prescriber)
    response = client.post(
        reverse("courses:start", args=[patient.pk]), {"protocol_key": "standard-6"}, follow=True
    )
    expected = COURSE_ALREADY_ACTIVE.format(started="2026-03-03")
    assert _messages(response) == [expected]
    # The redirect lands on the course section, so the refusal is said there too.
    assert html.escape(expected) in _course_section(response.content.decode())
    assert response.redirect_chain[-1][0].endswith("#course")
    assert Course.objects.filter(patient=patient).count() == 1


def test_an_unknown_protocol_is_refused(patient: Patient, prescriber: User) -> None:
    response = client_for(prescriber).post(
        reverse("courses:start", args=[patient.pk]), {"protocol_key": "standard-99"}
    )
    assert response.status_code == 302
    assert "standard-99" in _messages(response)[0]
    assert not Course.objects.filter(patient=patient).exists()


def test_stopping_needs_a_reason(course: Course, prescriber: User) -> None:
    response = client_for(prescriber).post(
        reverse("courses:stop", args=[course.pk]), {"reason": "   "}
    )
    assert response.status_code == 302
    assert _messages(response) == [COURSE_STOP_REASON_REQUIRED]
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_a_nurse_may_not_stop_a_course(course: Course, nurse: User) -> None:
    response = client_for(nurse).post(
        reverse("courses:stop", args=[course.pk]), {"reason": "Patient asked to stop."}
    )
    assert response.status_code == 403
    course.refresh_from_db()
    assert course.status == CourseStatus.ACTIVE


def test_a_stopped_course_is_listed_with_its_reason_escaped(
    course: Course, patient: Patient, prescriber: User
) -> None:
    client = client_for(prescriber)
    response = client.post(
        reverse("courses:stop", args=[course.pk]), {"reason": HOSTILE_REASON}, follow=True
    )
    assert _messages(response) == ["Course stopped; the reason is kept with the course."]
    course.refresh_from_db()
    assert (course.status, course.stop_reason) == (CourseStatus.STOPPED, HOSTILE_REASON)
    page = response.content.decode()
    section = _course_section(page)
    assert "Past courses" in section
    assert "Stopped" in section
    assert html.escape(HOSTILE_REASON) in section
    assert HOSTILE_REASON not in page
    # With no active course the prescriber may start a new one.
    assert reverse("courses:start", args=[patient.pk]) in section


def test_stopping_a_course_that_is_no_longer_active_says_so(
    course: Course, prescriber: User
) -> None:
    course_stop(course=course, by=prescriber, reason="Started in error.")
    response = client_for(prescriber).post(
        reverse("courses:stop", args=[course.pk]), {"reason": "Again."}
    )
    assert _messages(response) == ["Only an active course can be stopped; this one is stopped."]


def test_an_unknown_course_or_patient_is_not_found(prescriber: User) -> None:
    client = client_for(prescriber)
    assert client.post(reverse("courses:stop", args=[999_999]), {"reason": "x"}).status_code == 404
    assert client.post(reverse("courses:start", args=[999_999])).status_code == 404
