"""The day view: the day's visits by room and time, escaped, and the read audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.booking.models import Room
from ketamine_clinic.visits.services import visit_schedule, visit_transition
from tests.conftest import client_for
from tests.patients.factories import make_patient
from tests.visits.support import START, frozen, make_course, make_eligible_patient

pytestmark = pytest.mark.django_db
DAY = "2026-03-10"


def _book(personas: dict[str, User], first: str, room: str, minutes: int) -> int:
    patient = make_patient(first, "Daypatient")
    with frozen(START - timedelta(days=2)):
        visit = visit_schedule(
            patient=patient,
            scheduled_start=START + timedelta(minutes=minutes),
            room=Room.objects.get_or_create(name=room)[0],
            by=personas["front_desk"],
        )
    return visit.pk


def test_it_lists_the_days_visits_by_room_then_time(personas: dict[str, User]) -> None:
    _book(personas, "Later", "Room 2", 60)
    _book(personas, "Earlier", "Room 2", 0)
    _book(personas, "Roomone", "Room 1", 30)
    with frozen():
        page = client_for(personas["nurse"]).get(f"/today/?date={DAY}")
    assert page.status_code == 200
    text = page.content.decode()
    assert text.index("Room 1") < text.index("Room 2")
    assert text.index("Roomone") < text.index("Earlier") < text.index("Later")
    assert "3 visits" in text


def test_it_shows_course_progress_and_links_each_visit(personas: dict[str, User]) -> None:
    patient = make_eligible_patient(personas["prescriber"])
    course = make_course(patient, personas["prescriber"])
    with frozen(START - timedelta(days=2)):
        visit = visit_schedule(
            patient=patient, scheduled_start=START, course=course, by=personas["front_desk"]
        )
    with frozen():
        page = client_for(personas["front_desk"]).get(f"/today/?date={DAY}")
    text = page.content.decode()
    assert "0 of 6 done" in text
    assert f'href="/visits/{visit.pk}/"' in text
    assert "Scheduled" in text


def test_a_visit_on_another_day_is_not_listed(personas: dict[str, User]) -> None:
    _book(personas, "Tomorrow", "Room 1", 24 * 60)
    with frozen():
        page = client_for(personas["nurse"]).get(f"/today/?date={DAY}")
    assert "Tomorrow" not in page.content.decode()
    assert "No visits are booked on this day." in page.content.decode()


def test_it_escapes_names_the_patient_typed(personas: dict[str, User]) -> None:
    _book(personas, "<b>Bold</b>", "Room 1", 0)
    with frozen():
        page = client_for(personas["nurse"]).get(f"/today/?date={DAY}")
    text = page.content.decode()
    assert "<b>Bold</b>" not in text
    assert "&lt;b&gt;Bold&lt;/b&gt;" in text


def test_the_read_is_audited_with_the_patients_shown(personas: dict[str, User]) -> None:
    visit_id = _book(personas, "Audited", "Room 1", 0)
    with frozen():
        client_for(personas["clinic_lead"]).get(f"/today/?date={DAY}")
    entry = AuditEntry.objects.get(action="read", object_type="visit_day")
    assert entry.detail["visit_ids"] == [visit_id]
    assert entry.detail["date"] == DAY
    assert entry.actor_username == personas["clinic_lead"].username


def test_an_unreadable_date_shows_today(personas: dict[str, User]) -> None:
    with frozen():
        page = client_for(personas["nurse"]).get("/today/?date=not-a-date")
    assert page.status_code == 200
    assert "Tuesday 10 March 2026" in page.content.decode()


def test_a_cancelled_visit_shows_its_state(personas: dict[str, User]) -> None:
    visit_id = _book(personas, "Cancelled", "Room 3", 0)
    from ketamine_clinic.visits.models import Visit

    with frozen():
        visit_transition(
            Visit.objects.get(pk=visit_id), "cancelled", by=personas["front_desk"], reason="ill"
        )
        page = client_for(personas["nurse"]).get(f"/today/?date={DAY}")
    assert "badge-muted" in page.content.decode()
