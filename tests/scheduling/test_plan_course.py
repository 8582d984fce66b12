"""plan_course: exact placements on small clinics, and the reason when none exists."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pytest

from ketamine_clinic.scheduling.cpsat import plan_course
from ketamine_clinic.scheduling.diagnosis import (
    REASON_AVAILABILITY,
    REASON_NURSES,
    REASON_PRESCRIBER,
    REASON_ROOMS,
)
from ketamine_clinic.scheduling.errors import SchedulingInputError
from ketamine_clinic.scheduling.model import (
    Appointment,
    CourseProtocol,
    MinuteInterval,
    PatientAvailability,
    WeeklyWindow,
)
from ketamine_clinic.scheduling.validation import validate_schedule
from tests.scheduling.support import FAST, MONDAY, at, booked, clinic, course


def starts(appointments: Sequence[Appointment]) -> list[tuple[str, int]]:
    return [(a.room_id, a.start_minute) for a in appointments]


def test_it_places_six_infusions_on_the_first_six_weekdays_at_opening() -> None:
    c, cr = clinic(), course("C1")
    plan = plan_course(c, cr, settings=FAST)
    assert plan.placed and plan.solver_status == "OPTIMAL"
    # Mon-Fri, then the next Monday (the clinic is closed at the weekend), 08:00, room R1.
    assert starts(plan.appointments) == [("R1", at(d, 8)) for d in (0, 1, 2, 3, 4, 7)]
    assert validate_schedule(c, [cr], plan.appointments) == []


def test_it_takes_the_next_room_when_the_first_is_booked() -> None:
    c, cr, other = clinic(), course("C1"), course("C0")
    book = [booked(f"v{d}", other, i, "R1", at(d, 8)) for i, d in enumerate((0, 1, 2, 3, 4, 7))]
    plan = plan_course(c, cr, book, settings=FAST)
    assert starts(plan.appointments) == [("R2", at(d, 8)) for d in (0, 1, 2, 3, 4, 7)]


def test_it_staggers_infusions_when_the_nurse_is_at_capacity() -> None:
    # One nurse, one infusing room at a time: the 08:00 visit in R1 infuses 08:15-09:10,
    # so the new visit's infusion may begin at 09:10 at the earliest: a 09:00 start.
    c, cr, other = clinic(max_per_nurse=1), course("C1"), course("C0")
    book = [booked(f"v{d}", other, i, "R1", at(d, 8)) for i, d in enumerate((0, 1, 2, 3, 4, 7))]
    plan = plan_course(c, cr, book, settings=FAST)
    assert starts(plan.appointments) == [("R2", at(d, 9)) for d in (0, 1, 2, 3, 4, 7)]
    assert (
        validate_schedule(c, [cr, other], [*plan.appointments, *(b.appointment for b in book)])
        == []
    )


def test_the_infusion_starts_only_once_a_prescriber_is_on_site() -> None:
    # Prescriber from 09:00: the infusion begins after 15 min of preparation, so 08:45.
    c, cr = clinic(prescriber_hours=(9, 17)), course("C1")
    plan = plan_course(c, cr, settings=FAST)
    assert starts(plan.appointments)[0] == ("R1", at(0, 8, 45))


def test_it_keeps_to_the_patients_days_and_hours_and_preferred_time() -> None:
    tue_thu_afternoons = PatientAvailability(
        (WeeklyWindow(1, 12 * 60, 18 * 60), WeeklyWindow(3, 12 * 60, 18 * 60)),
        frozenset({MONDAY + dt.timedelta(days=8)}),  # away on the second Tuesday
    )
    cr = course(
        "C1", availability=tue_thu_afternoons, infusions=4, window_days=21, preferred=14 * 60
    )
    c = clinic()
    plan = plan_course(c, cr, settings=FAST)
    # Tue 1, Thu 3, (Tue 8 away) Thu 10, Tue 15; 14:00 as preferred.
    assert starts(plan.appointments) == [("R1", at(d, 14)) for d in (1, 3, 10, 15)]
    assert validate_schedule(c, [cr], plan.appointments) == []


def test_it_says_no_room_is_free_when_every_room_is_out_of_service() -> None:
    closed = (MinuteInterval(0, at(28, 0)),)
    c = clinic(out_of_service={"R1": closed, "R2": closed})
    cr = course("C1")
    plan = plan_course(c, cr, settings=FAST)
    assert not plan.placed and plan.appointments == ()
    assert plan.infeasible_reason == REASON_ROOMS.format(window_days=21)
    assert plan.infeasible_reason == (
        "no room free within the 21-day window on the patient's available days"
    )


def test_it_says_when_the_patients_days_cannot_hold_the_course() -> None:
    mondays = PatientAvailability((WeeklyWindow(0, 8 * 60, 18 * 60),))
    cr = course("C1", availability=mondays)
    plan = plan_course(clinic(), cr, settings=FAST)
    assert plan.infeasible_reason == REASON_AVAILABILITY.format(
        infusions=6,
        min_days=1,
        max_days=7,
        window_days=21,
        first_date="2027-01-04",
        last_date="2027-01-18",
    )


def test_it_says_when_no_prescriber_covers_an_infusion() -> None:
    plan = plan_course(clinic(prescriber_hours=(8, 9)), course("C1"), settings=FAST)
    assert plan.infeasible_reason == REASON_PRESCRIBER.format(infusion_minutes=55, window_days=21)


def test_it_says_when_nurses_are_short() -> None:
    # A room is free all day, but the only nurse (one infusing room at a time) watches a
    # 9-hour infusion in R1 from 09:00 to 18:00 every day.
    c = clinic(max_per_nurse=1)
    other = course("C0")
    long_protocol = dataclasses.replace(
        other.protocol,
        infusions=1,
        visit=dataclasses.replace(
            other.protocol.visit, infusion_minutes=9 * 60, recovery_minutes=0
        ),
    )
    blockers = [
        dataclasses.replace(other, course_id=f"B{d}", protocol=long_protocol) for d in range(21)
    ]
    book = [booked(f"b{d}", blockers[d], 0, "R1", at(d, 8, 45)) for d in range(21)]
    plan = plan_course(c, course("C1"), book, settings=FAST)
    assert plan.infeasible_reason == REASON_NURSES.format(window_days=21)


def test_bad_input_names_the_field_and_the_reason() -> None:
    bad = course("C1", window_days=3)  # six infusions a day apart need six days
    with pytest.raises(SchedulingInputError) as err:
        plan_course(clinic(), bad, settings=FAST)
    assert err.value.field == "courses[0].protocol.window_days"
    assert err.value.reason == "6 infusions at least 1 day(s) apart do not fit in 3 days"

    with pytest.raises(SchedulingInputError) as err:
        plan_course(clinic(step_minutes=7), course("C1"), settings=FAST)
    assert err.value.field == "clinic.start_step_minutes"

    zero_gap = dataclasses.replace(course("C1"), protocol=CourseProtocol(min_days_between=0))
    with pytest.raises(SchedulingInputError) as err:
        plan_course(clinic(), zero_gap, settings=FAST)
    assert err.value.field == "courses[0].protocol.min_days_between"
