"""Planning a course from the clinic's records with CP-SAT, and checking one placement."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.course_rules import course_rule_problems
from ketamine_clinic.booking.models import AvailabilityWindow, Room, RoomOutage, UnavailableDate
from ketamine_clinic.booking.planning import Placement, placement_problems, propose_course_plan
from ketamine_clinic.booking.services import course_plan_book
from ketamine_clinic.visits.services import visit_schedule
from tests.booking.support import local, make_clinic
from tests.visits.support import NOW, frozen, make_course, make_eligible_patient

pytestmark = pytest.mark.django_db
TUESDAY = date(2026, 3, 10)


def _day(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def test_a_new_course_is_planned_whole_within_its_rules(personas: dict[str, User]) -> None:
    make_clinic(personas)
    patient = make_eligible_patient(personas["prescriber"])
    course = make_course(patient, personas["prescriber"])
    with frozen():
        plan = propose_course_plan(course, earliest=TUESDAY + timedelta(days=1))
    assert plan.problem is None, plan.problem
    assert [v.number for v in plan.visits] == [1, 2, 3, 4, 5, 6]
    days = [_day(v.start) for v in plan.visits]
    # The earliest last infusion: every second weekday from Wednesday 11 March.
    assert days[0] == date(2026, 3, 11)
    gaps = [(b - a).days for a, b in itertools.pairwise(days)]
    assert all(2 <= gap <= 5 for gap in gaps)
    assert (days[-1] - days[0]).days <= 20
    assert all(day.weekday() < 5 for day in days)
    for v in plan.visits:
        local_start = timezone.localtime(v.start, timezone.get_default_timezone())
        assert time(8) <= local_start.time()
        assert (local_start + timedelta(minutes=v.times.total_minutes)).time() <= time(18)
    assert (
        course_rule_problems(course, {v.number: _day(v.start) for v in plan.visits if v.number})
        == []
    )


def test_the_plan_keeps_to_the_patients_availability(personas: dict[str, User]) -> None:
    make_clinic(personas)
    patient = make_eligible_patient(personas["prescriber"])
    course = make_course(patient, personas["prescriber"])
    # Mondays and Thursdays after 13:00 only, and not Thursday 12 March.
    for weekday in (0, 3):
        AvailabilityWindow.objects.create(
            patient=patient, weekday=weekday, starts_at=time(13), ends_at=time(18)
        )
    UnavailableDate.objects.create(patient=patient, date=date(2026, 3, 12))
    with frozen():
        plan = propose_course_plan(course, earliest=TUESDAY)
    assert plan.problem is None, plan.problem
    for v in plan.visits:
        start = timezone.localtime(v.start, timezone.get_default_timezone())
        assert start.weekday() in (0, 3) and start.time() >= time(13)
        assert start.date() != date(2026, 3, 12)


def test_a_course_that_cannot_fit_says_why(personas: dict[str, User]) -> None:
    make_clinic(personas)
    patient = make_eligible_patient(personas["prescriber"])
    course = make_course(patient, personas["prescriber"])
    # Fridays only: six infusions a week apart cannot fit 21 days with at most 5 between.
    AvailabilityWindow.objects.create(
        patient=patient, weekday=4, starts_at=time(8), ends_at=time(18)
    )
    with frozen():
        plan = propose_course_plan(course, earliest=TUESDAY)
    assert plan.visits == []
    assert plan.problem


def test_the_rest_of_a_course_follows_its_booked_visits(personas: dict[str, User]) -> None:
    rooms = make_clinic(personas)
    patient = make_eligible_patient(personas["prescriber"])
    course = make_course(patient, personas["prescriber"])
    with frozen(NOW - timedelta(days=1)):
        for number, day in ((1, 10), (2, 12)):
            visit_schedule(
                patient=patient, scheduled_start=local(date(2026, 3, day), 9), course=course,
                room=rooms[0], number=number, by=personas["front_desk"],
            )  # fmt: skip
    with frozen():
        plan = propose_course_plan(course, earliest=TUESDAY)
    assert plan.problem is None, plan.problem
    assert [v.number for v in plan.visits] == [3, 4, 5, 6]
    assert _day(plan.visits[0].start) == date(2026, 3, 16)  # Thu 12 + 2 days is Saturday: closed


def test_planning_works_around_other_patients_visits(personas: dict[str, User]) -> None:
    rooms = make_clinic(personas, rooms=1, nurses=1)
    other = make_eligible_patient(personas["prescriber"], "Other", "Patientone")
    # Room 1 taken 08:00-18:00 on Wednesday 11 March by back-to-back visits of another patient.
    with frozen(NOW - timedelta(days=1)):
        for hour in (8, 10, 12, 14):
            visit_schedule(
                patient=other, scheduled_start=local(date(2026, 3, 11), hour, 0),
                room=rooms[0], by=personas["front_desk"],
            )  # fmt: skip
    patient = make_eligible_patient(personas["prescriber"])
    course = make_course(patient, personas["prescriber"])
    with frozen():
        plan = propose_course_plan(course, earliest=date(2026, 3, 11))
    assert plan.problem is None, plan.problem
    first = timezone.localtime(plan.visits[0].start, timezone.get_default_timezone())
    # 08:00 + 4 visits x 105 min = 15:00: the first free start that day.
    assert first.date() == date(2026, 3, 11) and first.time() >= time(15)


def test_a_proposal_is_booked_and_refused_when_it_went_stale(personas: dict[str, User]) -> None:
    rooms = make_clinic(personas, rooms=1)
    patient = make_eligible_patient(personas["prescriber"])
    course = make_course(patient, personas["prescriber"])
    with frozen():
        plan = propose_course_plan(course, earliest=TUESDAY + timedelta(days=1))
        # Someone takes Room 1 for the whole first day before the desk clicks "Book".
        first_day = _day(plan.visits[0].start)
        RoomOutage.objects.create(
            room=rooms[0], starts_at=local(first_day, 7), ends_at=local(first_day, 19),
            reason="Pump recall", recorded_at=timezone.now(), recorded_by=personas["clinic_lead"],
        )  # fmt: skip
        with pytest.raises(Exception, match="out of service"):
            course_plan_book(course=course, visits=plan.visits, by=personas["front_desk"])
        assert course.visits.count() == 0
        fresh = propose_course_plan(course, earliest=TUESDAY + timedelta(days=1))
        booked = course_plan_book(course=course, visits=fresh.visits, by=personas["front_desk"])
    assert [v.number_in_course for v in booked] == [1, 2, 3, 4, 5, 6]
    assert all(v.room == rooms[0] for v in booked)


@pytest.mark.parametrize(
    ("hour", "minute", "room_index", "expected"),
    [
        (7, 0, 0, "opening hours"),
        (17, 0, 0, "opening hours"),  # 17:00 + 105 min ends after 18:00
        (10, 5, 0, "grid"),
        (10, 0, 0, "room is taken"),
        (10, 0, 1, None),
    ],
)
def test_one_placement_is_checked_against_every_rule(
    personas: dict[str, User], hour: int, minute: int, room_index: int, expected: str | None
) -> None:
    rooms = make_clinic(personas, rooms=2)
    other = make_eligible_patient(personas["prescriber"], "Other", "Patientone")
    with frozen(NOW - timedelta(days=1)):
        taken = visit_schedule(
            patient=other, scheduled_start=local(date(2026, 3, 11), 10), room=rooms[0],
            by=personas["front_desk"],
        )  # fmt: skip
    patient = make_eligible_patient(personas["prescriber"])
    from ketamine_clinic.booking.frame import visit_times

    placement = Placement(
        patient.pk, visit_times(taken), local(date(2026, 3, 11), hour, minute), rooms[room_index]
    )
    with frozen():
        problems = placement_problems([placement]).get(0, [])
    if expected is None:
        assert problems == []
    else:
        assert any(expected in text for text in problems), problems


def test_no_nurse_or_prescriber_on_the_rota_refuses_the_day(personas: dict[str, User]) -> None:
    rooms = make_clinic(personas)
    from ketamine_clinic.booking.models import StaffShift

    StaffShift.objects.filter(starts_at__date=date(2026, 3, 11), role="prescriber").delete()
    patient = make_eligible_patient(personas["prescriber"])
    from ketamine_clinic.scheduling.model import VisitTimes

    placement = Placement(
        patient.pk, VisitTimes(20, 55, 30), local(date(2026, 3, 11), 10), rooms[0]
    )
    with frozen():
        problems = placement_problems([placement])[0]
    assert any("prescriber" in text for text in problems)


def test_a_time_in_the_past_is_refused(personas: dict[str, User]) -> None:
    rooms: list[Room] = make_clinic(personas)
    patient = make_eligible_patient(personas["prescriber"])
    from ketamine_clinic.scheduling.model import VisitTimes

    placement = Placement(patient.pk, VisitTimes(20, 55, 30), local(TUESDAY, 8), rooms[0])
    with frozen():
        assert placement_problems([placement]) == {0: ["That time has passed."]}
