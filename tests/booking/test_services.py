"""Booking writes: move, cancel and re-place, a room out of service. Audited, checked,
and refused whole when a rule would break."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.booking.models import Room, VisitMove
from ketamine_clinic.booking.planning import propose_course_plan, propose_replan
from ketamine_clinic.booking.services import (
    course_plan_book,
    room_outage_record,
    visit_cancel_and_replace,
    visit_move,
)
from ketamine_clinic.courses.models import Course
from ketamine_clinic.visits.models import Visit
from tests.booking.support import local, make_clinic
from tests.visits.support import frozen, make_course, make_eligible_patient

pytestmark = pytest.mark.django_db
WEDNESDAY = date(2026, 3, 11)


def _planned_course(personas: dict[str, User], first: str = "Avery") -> Course:
    patient = make_eligible_patient(personas["prescriber"], first, "Testpatient")
    course = make_course(patient, personas["prescriber"])
    with frozen():
        plan = propose_course_plan(course, earliest=WEDNESDAY)
        course_plan_book(course=course, visits=plan.visits, by=personas["front_desk"])
    return course


def _visits(course: Course) -> list[Visit]:
    return list(course.visits.order_by("number_in_course"))


def test_a_move_is_recorded_audited_and_checked(personas: dict[str, User]) -> None:
    rooms = make_clinic(personas)
    course = _planned_course(personas)
    visit = _visits(course)[1]
    old_start = visit.scheduled_start
    new_start = old_start + timedelta(hours=2)
    with frozen():
        visit_move(
            visit=visit,
            start=new_start,
            room=rooms[2],
            reason="Patient asked",
            by=personas["front_desk"],
        )
    visit.refresh_from_db()
    assert (visit.scheduled_start, visit.room) == (new_start, rooms[2])
    move = VisitMove.objects.get(visit=visit)
    assert (move.from_start, move.to_start, move.reason) == (old_start, new_start, "Patient asked")
    entry = AuditEntry.objects.filter(
        object_type="visit", object_id=str(visit.pk), action="update"
    ).get()
    assert entry.reason == "Patient asked"


def test_a_move_breaking_the_courses_spacing_changes_nothing(personas: dict[str, User]) -> None:
    make_clinic(personas)
    course = _planned_course(personas)
    first, second = _visits(course)[:2]
    assert second.room is not None
    # The day after the first infusion: closer than the protocol's 2 days.
    with frozen(), pytest.raises(ValidationError, match="at least 2"):
        visit_move(
            visit=second, start=first.scheduled_start + timedelta(days=1), room=second.room,
            reason="Sooner", by=personas["front_desk"],
        )  # fmt: skip
    assert not VisitMove.objects.exists()


def test_a_move_into_a_taken_room_is_refused(personas: dict[str, User]) -> None:
    make_clinic(personas, rooms=1)
    one = _planned_course(personas)
    two = _planned_course(personas, "Blake")
    theirs = _visits(one)[0]
    mine = _visits(two)[0]
    assert theirs.room is not None
    with frozen(), pytest.raises(ValidationError, match="room is taken"):
        visit_move(
            visit=mine,
            start=theirs.scheduled_start,
            room=theirs.room,
            reason="x",
            by=personas["nurse"],
        )


@pytest.mark.parametrize("persona", ["custodian", "clinic_lead", "administrator", "no_role"])
def test_only_the_desk_and_clinicians_move_visits(personas: dict[str, User], persona: str) -> None:
    rooms = make_clinic(personas)
    visit = _visits(_planned_course(personas))[0]
    with frozen(), pytest.raises(PermissionDenied):
        visit_move(
            visit=visit,
            start=visit.scheduled_start + timedelta(hours=1),
            room=rooms[0],
            reason="x",
            by=personas[persona],
        )


def test_a_cancelled_visit_is_replaced_keeping_its_number(personas: dict[str, User]) -> None:
    make_clinic(personas)
    course = _planned_course(personas)
    third = _visits(course)[2]
    with frozen():
        proposal = propose_replan(cancelled=third)
        assert proposal.problem is None, proposal.problem
        assert proposal.other_patients_moved == 0
        applied = visit_cancel_and_replace(
            visit=third,
            reason="Patient has a fever",
            moves=proposal.moves,
            by=personas["front_desk"],
        )
    third.refresh_from_db()
    assert third.state == "cancelled" and third.end_reason == "Patient has a fever"
    assert applied.replacement is not None
    assert applied.replacement.number_in_course == 3
    tz = timezone.get_default_timezone()
    assert (
        timezone.localtime(applied.replacement.scheduled_start, tz).date()
        != timezone.localtime(third.scheduled_start, tz).date()
    )
    held = course.visits.exclude(state="cancelled").order_by("number_in_course")
    assert [v.number_in_course for v in held] == [1, 2, 3, 4, 5, 6]


def test_a_room_out_of_service_moves_its_visits_elsewhere(personas: dict[str, User]) -> None:
    rooms = make_clinic(personas, rooms=2)
    course = _planned_course(personas)
    first = _visits(course)[0]
    room = first.room
    assert room is not None
    day = timezone.localtime(first.scheduled_start, timezone.get_default_timezone()).date()
    with frozen():
        outage, applied, problem = room_outage_record(
            room=room, starts_at=local(day, 7), ends_at=local(day, 19), reason="Monitor broken",
            by=personas["clinic_lead"],
        )  # fmt: skip
    assert problem is None
    first.refresh_from_db()
    assert first.room != room and first.room in rooms
    assert [v.pk for v in applied.moved] == [first.pk]
    assert (
        VisitMove.objects.get(visit=first).reason == f"{room.name} out of service: Monitor broken"
    )
    assert AuditEntry.objects.filter(object_type="room_outage", object_id=str(outage.pk)).exists()


def test_a_room_out_of_service_with_nowhere_to_go_names_the_visits(
    personas: dict[str, User],
) -> None:
    make_clinic(personas, rooms=1)
    course = _planned_course(personas)
    first = _visits(course)[0]
    assert first.room is not None
    with frozen():
        start = timezone.now() + timedelta(hours=1)
        _, applied, problem = room_outage_record(
            room=first.room, starts_at=start, ends_at=start + timedelta(days=40), reason="Rebuild",
            by=personas["clinic_lead"],
        )  # fmt: skip
    assert applied.moved == []
    assert problem is not None and "Avery" in problem
    first.refresh_from_db()
    assert first.state == "scheduled"


def test_an_outage_ending_before_it_starts_is_refused(personas: dict[str, User]) -> None:
    make_clinic(personas)
    room = Room.objects.first()
    assert room is not None
    with frozen(), pytest.raises(ValidationError, match="after the start"):
        now = timezone.now()
        room_outage_record(
            room=room,
            starts_at=now + timedelta(hours=2),
            ends_at=now + timedelta(hours=1),
            reason="x",
            by=personas["clinic_lead"],
        )
