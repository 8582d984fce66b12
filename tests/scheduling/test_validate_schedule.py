"""validate_schedule: it finds each kind of broken rule on its own."""

from __future__ import annotations

import dataclasses

import pytest

from ketamine_clinic.scheduling.cpsat import plan_course
from ketamine_clinic.scheduling.model import Appointment, Clinic, CourseRequest, MinuteInterval
from ketamine_clinic.scheduling.validation import validate_schedule
from tests.scheduling.support import FAST, at, clinic, course


def valid_plan() -> tuple[list[Appointment], Clinic, CourseRequest]:
    c, cr = clinic(), course("C1")
    return list(plan_course(c, cr, settings=FAST).appointments), c, cr


def rules(
    c: Clinic, cr: CourseRequest, appointments: list[Appointment], *, require_complete: bool = True
) -> set[str]:
    found = validate_schedule(c, [cr], appointments, require_complete=require_complete)
    return {v.rule for v in found}


def moved(a: Appointment, **changes: object) -> Appointment:
    return dataclasses.replace(a, **changes)  # type: ignore[arg-type]


def test_a_planned_course_is_valid() -> None:
    appts, c, cr = valid_plan()
    assert rules(c, cr, appts) == set()


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"start_minute": at(0, 17)}, "clinic hours"),  # ends 18:40
        ({"start_minute": at(5, 8)}, "clinic hours"),  # a Saturday
        ({"start_minute": at(0, 8, 5)}, "grid"),
        ({"room_id": "R9"}, "unknown room"),
        ({"patient_id": "someone-else"}, "patient"),
    ],
)
def test_it_finds_a_visit_outside_the_rules(change: dict[str, object], rule: str) -> None:
    appts, c, cr = valid_plan()
    appts[0] = moved(appts[0], **change)
    assert rule in rules(c, cr, appts)


def test_it_finds_spacing_window_and_completeness_faults() -> None:
    appts, c, cr = valid_plan()
    assert "incomplete" in rules(c, cr, appts[:5])
    assert rules(c, cr, appts[:5], require_complete=False) == set()
    late = [*appts[:5], moved(appts[5], start_minute=at(21, 8))]  # 21 days after the 4th
    assert {"spacing", "window"} <= rules(c, cr, late)
    same_day = [appts[0], moved(appts[1], start_minute=at(0, 10)), *appts[2:]]
    assert "spacing" in rules(c, cr, same_day)


def test_it_finds_room_overlap_nurse_overload_prescriber_absence_and_out_of_service() -> None:
    appts, c, cr = valid_plan()
    other = course("C2", infusions=1, window_days=1)
    clash = Appointment("C2", other.patient_id, 0, "R1", at(0, 8, 30))
    assert "room overlap" in {v.rule for v in validate_schedule(c, [cr, other], [*appts, clash])}
    one_nurse_one_room = dataclasses.replace(c, max_infusing_rooms_per_nurse=1)
    side_by_side = dataclasses.replace(clash, room_id="R2")
    found = {
        v.rule for v in validate_schedule(one_nurse_one_room, [cr, other], [*appts, side_by_side])
    }
    assert found == {"nurse capacity"}
    no_prescriber = clinic(prescriber_hours=(9, 18))
    assert "prescriber" in rules(no_prescriber, cr, appts)
    broken_room = clinic(out_of_service={"R1": (MinuteInterval(at(0, 9), at(0, 10)),)})
    assert "room out of service" in rules(broken_room, cr, appts)


def test_it_finds_a_visit_on_a_day_the_patient_is_away() -> None:
    appts, c, cr = valid_plan()
    away = dataclasses.replace(
        cr,
        availability=dataclasses.replace(
            cr.availability, unavailable_dates=frozenset({c.horizon.date_of(0)})
        ),
    )
    assert rules(c, away, appts) == {"availability"}
