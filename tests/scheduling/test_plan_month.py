"""plan_month and the greedy baseline on a small, tight clinic."""

from __future__ import annotations

from ketamine_clinic.scheduling.cpsat import plan_month
from ketamine_clinic.scheduling.greedy import greedy_first_fit
from ketamine_clinic.scheduling.model import PatientAvailability, WeeklyWindow
from ketamine_clinic.scheduling.validation import validate_schedule
from tests.scheduling.support import FAST, at, clinic, course


def test_greedy_places_courses_first_fit_in_order_of_earliest_start() -> None:
    c = clinic(rooms=1)
    courses = [course("B", infusions=2, window_days=3), course("A", infusions=2, window_days=3)]
    plan = greedy_first_fit(c, courses)
    # Same earliest start: by id, so A first at 08:00, B right after A's visit (09:40 -> 09:45).
    assert [(a.course_id, a.start_minute) for a in plan.appointments] == [
        ("A", at(0, 8)),
        ("A", at(1, 8)),
        ("B", at(0, 9, 45)),
        ("B", at(1, 9, 45)),
    ]
    assert validate_schedule(c, courses, plan.appointments) == []


def test_cp_sat_places_a_course_that_greedy_first_fit_blocks() -> None:
    """Greedy gives the flexible patient the only morning slots the early-bird needs.

    One room open 08:00-10:00 holds one visit a day. "A" (first by id) could come any day
    this week; "B" only on Monday and Tuesday. Greedy books A on Monday and Tuesday and
    has nothing left for B; CP-SAT books B then, and A on Wednesday and Thursday.
    """
    c = clinic(days=5, rooms=1, open_hour=8, close_hour=10)
    mon_tue = PatientAvailability(tuple(WeeklyWindow(w, 8 * 60, 10 * 60) for w in (0, 1)))
    courses = [
        course("A", infusions=2, window_days=5, max_days=3),
        course("B", infusions=2, window_days=5, max_days=3, availability=mon_tue),
    ]
    greedy = greedy_first_fit(c, courses)
    assert greedy.unplaced_course_ids == ("B",)
    month = plan_month(c, courses, settings=FAST)
    assert month.unplaced_course_ids == ()
    assert sorted((a.course_id, a.day) for a in month.appointments) == [
        ("A", 2),
        ("A", 3),
        ("B", 0),
        ("B", 1),
    ]
    for plan in (greedy, month):
        assert validate_schedule(c, courses, plan.appointments) == []


def test_a_course_that_fits_nowhere_is_left_out_whole() -> None:
    c = clinic(days=5, rooms=1)
    fridays = PatientAvailability((WeeklyWindow(4, 8 * 60, 18 * 60),))
    courses = [
        course("A", infusions=2, window_days=5),
        course("F", infusions=2, availability=fridays),
    ]
    for plan in (greedy_first_fit(c, courses), plan_month(c, courses, settings=FAST)):
        assert plan.unplaced_course_ids == ("F",)
        assert {a.course_id for a in plan.appointments} == {"A"}
