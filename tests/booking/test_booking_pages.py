"""The booking pages: plan a course and book it, move, cancel and re-place, a room out of
service. What the page shows is what gets booked; a tampered proposal is refused."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.models import RoomOutage, VisitMove
from ketamine_clinic.booking.planning import propose_course_plan
from ketamine_clinic.booking.services import course_plan_book
from ketamine_clinic.courses.models import Course
from ketamine_clinic.visits.models import Visit
from tests.booking.support import make_clinic
from tests.conftest import client_for
from tests.patients.factories import make_patient
from tests.visits.support import frozen, make_course, make_eligible_patient

pytestmark = pytest.mark.django_db
WEDNESDAY = date(2026, 3, 11)


def _proposal(html: str) -> str:
    found = re.search(r'name="proposal" value="([^"]+)"', html)
    assert found, "no proposal on the page"
    return found.group(1)


def _course(personas: dict[str, User], first: str = "Avery") -> Course:
    patient = make_eligible_patient(personas["prescriber"], first, "Testpatient")
    return make_course(patient, personas["prescriber"])


def _booked_course(personas: dict[str, User]) -> Course:
    course = _course(personas)
    with frozen():
        plan = propose_course_plan(course, earliest=WEDNESDAY)
        course_plan_book(course=course, visits=plan.visits, by=personas["front_desk"])
    return course


def test_the_plan_page_shows_times_and_books_them(personas: dict[str, User]) -> None:
    make_clinic(personas)
    course = _course(personas)
    client = client_for(personas["front_desk"])
    with frozen():
        page = client.get(f"/schedule/courses/{course.pk}/plan?earliest=2026-03-11")
        html = page.content.decode()
        assert page.status_code == 200
        assert "Wed 11 Mar 2026" in html and "6 of 6" in html
        response = client.post(f"/schedule/courses/{course.pk}/plan", {"proposal": _proposal(html)})
    assert response.status_code == 302
    assert course.visits.count() == 6


def test_a_tampered_proposal_books_nothing(personas: dict[str, User]) -> None:
    make_clinic(personas)
    course = _course(personas)
    with frozen():
        page = client_for(personas["nurse"]).get(
            f"/schedule/courses/{course.pk}/plan?earliest=2026-03-11"
        )
        signed = _proposal(page.content.decode())
        response = client_for(personas["nurse"]).post(
            f"/schedule/courses/{course.pk}/plan", {"proposal": signed[:-3] + "abc"}
        )
    assert response.status_code == 422
    assert "too old or was altered" in response.content.decode()
    assert course.visits.count() == 0


def test_the_move_page_moves_and_shows_the_services_refusal(personas: dict[str, User]) -> None:
    rooms = make_clinic(personas)
    course = _booked_course(personas)
    visit = course.visits.get(number_in_course=2)
    local = timezone.localtime(visit.scheduled_start)
    client = client_for(personas["front_desk"])
    with frozen():
        refused = client.post(
            f"/schedule/visits/{visit.pk}/move",
            {
                "start": (local.replace(hour=6)).strftime("%Y-%m-%dT%H:%M"),
                "room": rooms[1].pk,
                "reason": "Earlier",
            },
        )
        assert refused.status_code == 422
        assert "opening hours" in refused.content.decode()
        moved = client.post(
            f"/schedule/visits/{visit.pk}/move",
            {
                "start": (local + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
                "room": rooms[1].pk,
                "reason": "School run",
            },
        )
    assert moved.status_code == 302
    visit.refresh_from_db()
    assert visit.room == rooms[1]
    assert VisitMove.objects.filter(visit=visit).count() == 1


def test_the_cancel_page_offers_a_new_time_and_books_it(personas: dict[str, User]) -> None:
    make_clinic(personas)
    course = _booked_course(personas)
    visit = course.visits.get(number_in_course=4)
    client = client_for(personas["front_desk"])
    with frozen():
        page = client.get(f"/schedule/visits/{visit.pk}/cancel")
        html = page.content.decode()
        assert "Cancel and book the new time" in html
        response = client.post(
            f"/schedule/visits/{visit.pk}/cancel",
            {"reason": "Car broke down", "proposal": _proposal(html), "replace": "1"},
        )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.state == "cancelled"
    replacement = course.visits.exclude(pk=visit.pk).get(number_in_course=4)
    assert replacement.state == "scheduled"


def test_cancel_only_needs_a_reason(personas: dict[str, User]) -> None:
    make_clinic(personas)
    visit = _booked_course(personas).visits.get(number_in_course=1)
    with frozen():
        response = client_for(personas["nurse"]).post(
            f"/schedule/visits/{visit.pk}/cancel", {"reason": ""}
        )
    assert response.status_code == 422
    visit.refresh_from_db()
    assert visit.state == "scheduled"


def test_the_outage_page_lists_who_to_tell_escaped(personas: dict[str, User]) -> None:
    rooms = make_clinic(personas, rooms=2)
    patient = make_eligible_patient(personas["prescriber"], "<i>Ital</i>", "Testpatient")
    course = make_course(patient, personas["prescriber"])
    with frozen():
        plan = propose_course_plan(course, earliest=WEDNESDAY)
        course_plan_book(course=course, visits=plan.visits, by=personas["front_desk"])
    first = course.visits.get(number_in_course=1)
    assert first.room == rooms[0]
    day = timezone.localtime(first.scheduled_start).strftime("%Y-%m-%d")
    with frozen():
        response = client_for(personas["clinic_lead"]).post(
            f"/schedule/rooms/{rooms[0].pk}/outage",
            {"starts_at": f"{day}T07:00", "ends_at": f"{day}T19:00", "reason": "<b>Leak</b>"},
        )
    html = response.content.decode()
    assert response.status_code == 200
    assert "tell these patients" in html
    assert "<i>Ital</i>" not in html and "&lt;i&gt;Ital&lt;/i&gt;" in html
    assert RoomOutage.objects.get().reason == "<b>Leak</b>"
    first.refresh_from_db()
    assert first.room == rooms[1]


def test_a_booster_visit_can_be_cancelled_without_a_proposal(personas: dict[str, User]) -> None:
    make_clinic(personas)
    from ketamine_clinic.visits.services import visit_schedule
    from tests.booking.support import local

    patient = make_patient("Boost", "Testpatient")
    with frozen():
        visit = visit_schedule(
            patient=patient, scheduled_start=local(WEDNESDAY, 10), by=personas["front_desk"]
        )
        page = client_for(personas["front_desk"]).get(f"/schedule/visits/{visit.pk}/cancel")
    assert page.status_code == 200
    assert "Cancel only" in page.content.decode()
    assert not Visit.objects.filter(state="cancelled").exists()
