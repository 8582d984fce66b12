"""Property: whatever either planner returns passes the independent checker."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ketamine_clinic.scheduling.cpsat import plan_course, plan_month, replan
from ketamine_clinic.scheduling.greedy import greedy_first_fit
from ketamine_clinic.scheduling.model import (
    BookedVisit,
    Clinic,
    CourseProtocol,
    CourseRequest,
    MinuteInterval,
    PatientAvailability,
    SolverSettings,
    VisitTimes,
    WeeklyWindow,
)
from ketamine_clinic.scheduling.validation import validate_schedule
from tests.scheduling.support import MONDAY, at, clinic

TINY = SolverSettings(time_limit_seconds=1.0, num_workers=1)


@st.composite
def instances(draw: st.DrawFn) -> tuple[Clinic, list[CourseRequest]]:
    rooms = draw(st.integers(1, 3))
    oos = {}
    if draw(st.booleans()):
        day = draw(st.integers(0, 9))
        start = draw(st.integers(8, 16))
        oos["R1"] = (MinuteInterval(at(day, start), at(day, start + draw(st.integers(1, 6)))),)
    c = clinic(
        days=14,
        rooms=rooms,
        nurses=draw(st.integers(1, 2)),
        max_per_nurse=draw(st.integers(1, 2)),
        prescriber_hours=(draw(st.integers(8, 10)), draw(st.integers(14, 18))),
        out_of_service=oos,
        step_minutes=30,
    )
    courses = []
    for i in range(draw(st.integers(1, 4))):
        infusions = draw(st.integers(1, 3))
        min_days = draw(st.integers(1, 2))
        max_days = draw(st.integers(min_days, 4))
        window = draw(st.integers((infusions - 1) * min_days + 1, 10))
        weekdays = draw(st.sets(st.integers(0, 4), min_size=1))
        lo = draw(st.integers(7, 12))
        hi = draw(st.integers(lo + 2, 19))
        away = draw(st.sets(st.integers(0, 13), max_size=2))
        courses.append(
            CourseRequest(
                course_id=f"C{i}",
                patient_id=f"P{i}",
                availability=PatientAvailability(
                    tuple(WeeklyWindow(w, lo * 60, hi * 60) for w in sorted(weekdays)),
                    frozenset(MONDAY + dt.timedelta(days=d) for d in away),
                ),
                earliest_start_date=MONDAY + dt.timedelta(days=draw(st.integers(0, 4))),
                protocol=CourseProtocol(
                    infusions,
                    window,
                    min_days,
                    max_days,
                    VisitTimes(draw(st.sampled_from([0, 15])), 55, draw(st.sampled_from([20, 30]))),
                ),
                start_within_days=draw(st.integers(0, 5)),
                preferred_start_minute_of_day=draw(st.none() | st.integers(8 * 60, 16 * 60)),
            )
        )
    return c, courses


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_every_plan_of_either_planner_passes_the_checker(
    instance: tuple[Clinic, list[CourseRequest]],
) -> None:
    c, courses = instance
    greedy = greedy_first_fit(c, courses)
    assert validate_schedule(c, courses, greedy.appointments) == []
    month = plan_month(c, courses, settings=TINY)
    assert validate_schedule(c, courses, month.appointments) == []
    # CP-SAT starts from the greedy plan and maximises courses placed: never fewer.
    assert len(month.unplaced_course_ids) <= len(greedy.unplaced_course_ids)
    one = plan_course(c, courses[0], settings=TINY)
    assert validate_schedule(c, courses[:1], one.appointments) == []
    # plan_course is exact: wherever greedy places the course alone, so does plan_course.
    alone = greedy_first_fit(c, courses[:1])
    assert one.placed or alone.unplaced_course_ids == ("C0",)
    assert one.placed == (one.infeasible_reason is None)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(), st.integers(0, 9), st.integers(8, 15))
def test_every_replan_passes_the_checker_and_reports_every_change(
    instance: tuple[Clinic, list[CourseRequest]], day: int, hour: int
) -> None:
    c, courses = instance
    book_plan = greedy_first_fit(c, courses)
    placed = {a.course_id for a in book_plan.appointments}
    active = [x for x in courses if x.course_id in placed]
    booked = [BookedVisit(f"v{i}", a) for i, a in enumerate(book_plan.appointments)]
    rooms = list(c.rooms)
    broken = MinuteInterval(at(day, hour), at(day, hour + 2))
    rooms[0] = dataclasses.replace(rooms[0], out_of_service=(*rooms[0].out_of_service, broken))
    event = dataclasses.replace(c, rooms=tuple(rooms))
    result = replan(event, active, booked, settings=TINY)
    if result.infeasible_reason is not None:
        assert result.visits == tuple(booked) and result.changes == ()
        return
    assert validate_schedule(event, active, [v.appointment for v in result.visits]) == []
    changed = {ch.visit_id: ch for ch in result.changes}
    for old, new in zip(booked, result.visits, strict=True):
        assert old.visit_id == new.visit_id
        if old.visit_id in changed:
            assert changed[old.visit_id].old == old.appointment
            assert changed[old.visit_id].new == new.appointment != old.appointment
        else:
            assert new.appointment == old.appointment
