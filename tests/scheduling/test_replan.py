"""replan: re-place what an event broke, moving as few other patients' visits as possible."""

from __future__ import annotations

import pytest

from ketamine_clinic.scheduling.cpsat import replan
from ketamine_clinic.scheduling.errors import SchedulingInputError
from ketamine_clinic.scheduling.model import (
    BookedVisit,
    MinuteInterval,
    PatientAvailability,
    WeeklyWindow,
)
from ketamine_clinic.scheduling.validation import validate_schedule
from tests.scheduling.support import FAST, at, booked, clinic, course, every_weekday

MONDAY_ONLY = PatientAvailability((WeeklyWindow(0, 8 * 60, 18 * 60),))
SLOTS = [(8, 0), (9, 45), (11, 30), (13, 15), (15, 0)]  # five 100-min visits fill 08:00-16:40


def full_monday() -> tuple[list, list[BookedVisit]]:  # type: ignore[type-arg]
    """Two rooms, five single-visit courses each, all on Monday; only patient D can move days.

    R1: A B C D E, R2: F G H I J at 08:00, 09:45, 11:30, 13:15, 15:00.
    """
    courses = []
    visits = []
    for room, names in (("R1", "ABCDE"), ("R2", "FGHIJ")):
        for (h, m), name in zip(SLOTS, names, strict=True):
            avail = every_weekday() if name == "D" else MONDAY_ONLY
            cr = course(name, availability=avail, infusions=1, window_days=1)
            courses.append(cr)
            visits.append(booked(f"v{name}", cr, 0, room, at(0, h, m)))
    return courses, visits


def test_a_room_out_of_service_moves_only_the_one_patient_who_can_move() -> None:
    """R2 goes out of service 09:45-11:25, so G's visit must go.

    The week has one Monday; it now has nine slots for ten patients: one must leave the day,
    and only D can. A naive replan that puts G back at 09:45 in R1 and pushes R1's later visits down
    would move B, C, D and E (and E would no longer fit); the fewest-changes plan moves one
    other patient, D, to Tuesday, and gives G D's old slot.
    """
    courses, visits = full_monday()
    c = clinic(
        days=7, rooms=2, out_of_service={"R2": (MinuteInterval(at(0, 9, 45), at(0, 11, 25)),)}
    )
    result = replan(c, courses, visits, settings=FAST)
    assert result.infeasible_reason is None
    changed = {ch.visit_id: ch for ch in result.changes}
    assert set(changed) == {"vG", "vD"}
    assert result.other_patients_moved == 1
    assert changed["vG"].affected and not changed["vD"].affected
    assert (changed["vG"].new.room_id, changed["vG"].new.start_minute) == ("R1", at(0, 13, 15))
    # Tuesday 08:00 is the start nearest D's old one (1125 min later) on any other day.
    assert changed["vD"].new.start_minute == at(1, 8)
    assert changed["vD"].old.start_minute == at(0, 13, 15)
    assert result.total_displacement_minutes == (13 * 60 + 15 - (9 * 60 + 45)) + (
        at(1, 8) - at(0, 13, 15)
    )
    new = [v.appointment for v in result.visits]
    assert validate_schedule(c, courses, new) == []
    # The naive replan (G at its old time in R1, everything after it there pushed later)
    # would change B, C, D and E: four other patients against one.
    naive_moved = [
        v
        for v in visits
        if v.appointment.room_id == "R1" and v.appointment.start_minute >= at(0, 9, 45)
    ]
    assert len(naive_moved) == 4 > result.other_patients_moved


def test_a_cancelled_infusion_moves_to_another_day_and_keeps_the_spacing() -> None:
    # One room; a course of three infusions Mon, Tue, Wed at 08:00. The patient cannot come
    # on Tuesday: infusion 1 goes to Wednesday and infusion 2, to keep one a day, to Thursday.
    cr = course("K", infusions=3, window_days=7, max_days=3)
    visits = [booked(f"k{i}", cr, i, "R1", at(i, 8)) for i in range(3)]
    c = clinic(rooms=1)
    result = replan(c, [cr], visits, cancelled_visit_ids=["k1"], settings=FAST)
    assert [(ch.visit_id, ch.old.start_minute, ch.new.start_minute) for ch in result.changes] == [
        ("k1", at(1, 8), at(2, 8)),
        ("k2", at(2, 8), at(3, 8)),
    ]
    assert result.other_patients_moved == 0
    assert validate_schedule(c, [cr], [v.appointment for v in result.visits]) == []


def test_pinned_visits_never_move_and_that_can_make_a_replan_infeasible() -> None:
    courses, visits = full_monday()
    pinned = [BookedVisit(v.visit_id, v.appointment, movable=False) for v in visits]
    c = clinic(
        days=7, rooms=2, out_of_service={"R2": (MinuteInterval(at(0, 9, 45), at(0, 11, 25)),)}
    )
    with pytest.raises(SchedulingInputError):
        replan(c, courses, pinned, cancelled_visit_ids=["vD"], settings=FAST)
    # G is pinned in a room now out of service: there is no way out.
    result = replan(c, courses, pinned, settings=FAST)
    assert result.infeasible_reason == "no re-placement satisfies every rule"
    assert result.changes == ()


def test_an_unknown_cancelled_visit_is_refused_by_name() -> None:
    courses, visits = full_monday()
    with pytest.raises(SchedulingInputError) as err:
        replan(clinic(), courses, visits, cancelled_visit_ids=["nope"], settings=FAST)
    assert err.value.field == "cancelled_visit_ids[0]"


def test_only_the_affected_courses_move_when_others_may_not() -> None:
    """The same event with everyone else fixed: G has nowhere to go that day (only D could
    make room), so the narrow replan finds nothing and the caller must widen it."""
    courses, visits = full_monday()
    c = clinic(
        days=7, rooms=2, out_of_service={"R2": (MinuteInterval(at(0, 9, 45), at(0, 11, 25)),)}
    )
    narrow = replan(c, courses, visits, others_may_move=False, settings=FAST)
    assert narrow.infeasible_reason is not None
    assert narrow.changes == ()
    wide = replan(c, courses, visits, settings=FAST)
    assert {ch.visit_id for ch in wide.changes} == {"vG", "vD"}
