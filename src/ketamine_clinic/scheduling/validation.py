"""Input validation and an independent checker of any schedule.

``validate_inputs`` refuses bad input before anything is planned, naming the field and the
reason. ``validate_schedule`` re-checks a finished schedule against every rule from the
definitions alone (it shares no code with the planners' search), so tests can run any
planner's output through it.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ketamine_clinic.scheduling.errors import SchedulingInputError
from ketamine_clinic.scheduling.model import (
    MINUTES_PER_DAY,
    Appointment,
    BookedVisit,
    Clinic,
    CourseRequest,
)


def _require(ok: bool, field: str, reason: str) -> None:
    if not ok:
        raise SchedulingInputError(field, reason)


def validate_clinic(clinic: Clinic) -> None:
    """Raise ``SchedulingInputError`` for the first bad field of ``clinic``."""
    _require(clinic.horizon.days >= 1, "clinic.horizon.days", "must be at least 1")
    step = clinic.start_step_minutes
    _require(
        step >= 1 and MINUTES_PER_DAY % step == 0,
        "clinic.start_step_minutes",
        f"must be a positive divisor of {MINUTES_PER_DAY}, got {step}",
    )
    _require(
        clinic.max_infusing_rooms_per_nurse >= 1,
        "clinic.max_infusing_rooms_per_nurse",
        "must be at least 1",
    )
    seen_weekdays: set[int] = set()
    for i, h in enumerate(clinic.hours):
        f = f"clinic.hours[{i}]"
        _require(0 <= h.weekday <= 6, f"{f}.weekday", "must be 0 (Monday) to 6 (Sunday)")
        _require(h.weekday not in seen_weekdays, f"{f}.weekday", "weekday listed twice")
        seen_weekdays.add(h.weekday)
        _require(
            0 <= h.open_minute_of_day < h.close_minute_of_day <= MINUTES_PER_DAY,
            f"{f}.close_minute_of_day",
            "opening must be before closing, both within the day",
        )
    _require(len(clinic.rooms) >= 1, "clinic.rooms", "the clinic needs at least one room")
    room_ids: set[str] = set()
    for i, room in enumerate(clinic.rooms):
        _require(bool(room.room_id), f"clinic.rooms[{i}].room_id", "must not be empty")
        _require(room.room_id not in room_ids, f"clinic.rooms[{i}].room_id", "duplicate room")
        room_ids.add(room.room_id)
        for j, period in enumerate(room.out_of_service):
            _require(
                period.start_minute < period.end_minute,
                f"clinic.rooms[{i}].out_of_service[{j}]",
                "start must be before end",
            )
    for i, shift in enumerate(clinic.nurse_shifts):
        _require(
            shift.start_minute < shift.end_minute,
            f"clinic.nurse_shifts[{i}]",
            "start must be before end",
        )
    for i, p in enumerate(clinic.prescribers_on_site):
        _require(
            p.start_minute < p.end_minute,
            f"clinic.prescribers_on_site[{i}]",
            "start must be before end",
        )


def validate_course(course: CourseRequest, field: str) -> None:
    """Raise ``SchedulingInputError`` for the first bad field of one course request."""
    _require(bool(course.course_id), f"{field}.course_id", "must not be empty")
    _require(bool(course.patient_id), f"{field}.patient_id", "must not be empty")
    p = course.protocol
    pf = f"{field}.protocol"
    _require(p.infusions >= 1, f"{pf}.infusions", "must be at least 1")
    _require(p.window_days >= 1, f"{pf}.window_days", "must be at least 1")
    _require(
        p.min_days_between >= 1,
        f"{pf}.min_days_between",
        "must be at least 1 (one infusion a day at most)",
    )
    _require(
        p.max_days_between >= p.min_days_between,
        f"{pf}.max_days_between",
        "must not be below min_days_between",
    )
    _require(
        (p.infusions - 1) * p.min_days_between <= p.window_days - 1,
        f"{pf}.window_days",
        f"{p.infusions} infusions at least {p.min_days_between} day(s) apart "
        f"do not fit in {p.window_days} days",
    )
    v = p.visit
    _require(v.preparation_minutes >= 0, f"{pf}.visit.preparation_minutes", "must be >= 0")
    _require(v.infusion_minutes >= 1, f"{pf}.visit.infusion_minutes", "must be >= 1")
    _require(v.recovery_minutes >= 0, f"{pf}.visit.recovery_minutes", "must be >= 0")
    _require(
        v.total_minutes <= MINUTES_PER_DAY,
        f"{pf}.visit",
        "a visit must fit in one day",
    )
    _require(course.start_within_days >= 0, f"{field}.start_within_days", "must be >= 0")
    pref = course.preferred_start_minute_of_day
    _require(
        pref is None or 0 <= pref < MINUTES_PER_DAY,
        f"{field}.preferred_start_minute_of_day",
        "must be a minute of the day (0-1439)",
    )
    for i, w in enumerate(course.availability.windows):
        wf = f"{field}.availability.windows[{i}]"
        _require(0 <= w.weekday <= 6, f"{wf}.weekday", "must be 0 (Monday) to 6 (Sunday)")
        _require(
            0 <= w.start_minute_of_day < w.end_minute_of_day <= MINUTES_PER_DAY,
            f"{wf}.end_minute_of_day",
            "start must be before end, both within the day",
        )


def validate_inputs(
    clinic: Clinic,
    courses: Sequence[CourseRequest],
    booked: Sequence[BookedVisit] = (),
    *,
    booked_need_courses: bool = False,
) -> None:
    """Check everything before planning; raise ``SchedulingInputError`` on the first fault.

    ``booked_need_courses``: replanning moves booked visits and must know their course's
    rules, so each must belong to one of ``courses``.
    """
    validate_clinic(clinic)
    course_ids: dict[str, CourseRequest] = {}
    for i, course in enumerate(courses):
        validate_course(course, f"courses[{i}]")
        _require(course.course_id not in course_ids, f"courses[{i}].course_id", "duplicate course")
        course_ids[course.course_id] = course
    room_ids = {r.room_id for r in clinic.rooms}
    visit_ids: set[str] = set()
    slots: set[tuple[str, int]] = set()
    for i, b in enumerate(booked):
        f = f"booked[{i}]"
        a = b.appointment
        _require(bool(b.visit_id), f"{f}.visit_id", "must not be empty")
        _require(b.visit_id not in visit_ids, f"{f}.visit_id", "duplicate visit")
        visit_ids.add(b.visit_id)
        _require(b.move_cost >= 0, f"{f}.move_cost", "must be >= 0")
        _require(a.room_id in room_ids, f"{f}.appointment.room_id", f"unknown room {a.room_id!r}")
        _require(
            a.key not in slots, f"{f}.appointment", "this infusion of the course is booked twice"
        )
        slots.add(a.key)
        booked_course = course_ids.get(a.course_id)
        if booked_need_courses:
            _require(
                booked_course is not None,
                f"{f}.appointment.course_id",
                f"course {a.course_id!r} is not among the courses",
            )
        if booked_course is not None:
            _require(
                0 <= a.infusion_index < booked_course.protocol.infusions,
                f"{f}.appointment.infusion_index",
                f"must be 0..{booked_course.protocol.infusions - 1}",
            )
            _require(
                a.patient_id == booked_course.patient_id,
                f"{f}.appointment.patient_id",
                "differs from the course's patient",
            )
            _require(
                a.visit == booked_course.protocol.visit,
                f"{f}.appointment.visit",
                "differs from the course protocol's visit times",
            )


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule in a schedule: which rule, which appointment(s), and how."""

    rule: str
    where: str
    detail: str
    keys: tuple[tuple[str, int], ...] = ()  # (course_id, infusion_index) of those involved


def _covered(spans: Iterable[tuple[int, int]], start: int, end: int) -> bool:
    """Is ``[start, end)`` covered by the union of ``spans`` (which may touch or overlap)?"""
    t = start
    ordered = sorted(spans)
    progressed = True
    while t < end and progressed:
        progressed = False
        for s, e in ordered:
            if s <= t < e:
                t = e
                progressed = True
    return t >= end


def validate_schedule(
    clinic: Clinic,
    courses: Sequence[CourseRequest],
    appointments: Sequence[Appointment],
    *,
    require_complete: bool = True,
) -> list[Violation]:
    """Every rule the schedule breaks; an empty list means it is valid.

    Checked, from the definitions alone: known course and room, the course's patient and
    visit times, the start grid and the horizon, clinic hours, the patient's availability,
    rooms (no two visits overlap, none in an out-of-service period), nurse capacity during
    infusions, a prescriber on site for each whole infusion, one visit per patient at a
    time, and each course's spacing (order, days between, window, earliest start, and, with
    ``require_complete``, every infusion present exactly once).
    """
    out: list[Violation] = []
    by_course = {c.course_id: c for c in courses}
    rooms = {r.room_id: r for r in clinic.rooms}
    hours = {h.weekday: h for h in clinic.hours}
    horizon = clinic.horizon

    def name(a: Appointment) -> str:
        return f"{a.course_id}#{a.infusion_index}"

    valid: list[Appointment] = []
    for a in appointments:
        course = by_course.get(a.course_id)
        if course is None:
            out.append(Violation("unknown course", name(a), a.course_id))
            continue
        if a.room_id not in rooms:
            out.append(Violation("unknown room", name(a), a.room_id))
            continue
        valid.append(a)
        if a.patient_id != course.patient_id:
            out.append(Violation("patient", name(a), "not the course's patient", (a.key,)))
        if a.visit != course.protocol.visit:
            out.append(
                Violation("visit times", name(a), "not the protocol's visit times", (a.key,))
            )
        if a.start_minute % clinic.start_step_minutes:
            out.append(Violation("grid", name(a), f"starts at minute {a.start_minute}", (a.key,)))
        if a.start_minute < 0 or a.end_minute > horizon.end_minute:
            out.append(Violation("horizon", name(a), "outside the planning horizon", (a.key,)))
            continue
        day, start_of_day = divmod(a.start_minute, MINUTES_PER_DAY)
        end_of_day = start_of_day + a.visit.total_minutes
        date = horizon.date_of(day)
        h = hours.get(date.weekday())
        if h is None or not (
            h.open_minute_of_day <= start_of_day and end_of_day <= h.close_minute_of_day
        ):
            out.append(
                Violation(
                    "clinic hours", name(a), f"{horizon.wall_clock(a.start_minute)}", (a.key,)
                )
            )
        av = course.availability
        if date in av.unavailable_dates or not any(
            w.weekday == date.weekday()
            and w.start_minute_of_day <= start_of_day
            and end_of_day <= w.end_minute_of_day
            for w in av.windows
        ):
            out.append(
                Violation(
                    "availability", name(a), f"{horizon.wall_clock(a.start_minute)}", (a.key,)
                )
            )
        room = rooms[a.room_id]
        if any(
            a.start_minute < period.end_minute and period.start_minute < a.end_minute
            for period in room.out_of_service
        ):
            out.append(Violation("room out of service", name(a), a.room_id, (a.key,)))
        if not _covered(
            ((p.start_minute, p.end_minute) for p in clinic.prescribers_on_site),
            a.infusion_start_minute,
            a.infusion_end_minute,
        ):
            out.append(
                Violation("prescriber", name(a), "no prescriber on site for the infusion", (a.key,))
            )

    by_room: dict[str, list[Appointment]] = defaultdict(list)
    by_patient: dict[str, list[Appointment]] = defaultdict(list)
    for a in valid:
        by_room[a.room_id].append(a)
        by_patient[a.patient_id].append(a)
    for room_id, items in by_room.items():
        items.sort(key=lambda a: a.start_minute)
        for prev, nxt in itertools.pairwise(items):
            if nxt.start_minute < prev.end_minute:
                out.append(
                    Violation(
                        "room overlap", f"{name(prev)} / {name(nxt)}", room_id, (prev.key, nxt.key)
                    )
                )
    for patient_id, items in by_patient.items():
        items.sort(key=lambda a: a.start_minute)
        for prev, nxt in itertools.pairwise(items):
            if nxt.start_minute < prev.end_minute:
                out.append(
                    Violation(
                        "patient overlap",
                        f"{name(prev)} / {name(nxt)}",
                        patient_id,
                        (prev.key, nxt.key),
                    )
                )

    # Nurse capacity: the load can only rise where an infusion starts, so checking each
    # infusion's start instant against the nurses on shift then covers every instant.
    # A nurse on shift during the whole infusion is not required by the rule; the capacity
    # must hold at every instant, and it can drop only at a shift's end, so those instants
    # are checked too.
    checkpoints: set[int] = {a.infusion_start_minute for a in valid}
    checkpoints |= {s.end_minute for s in clinic.nurse_shifts}
    infusions = sorted(valid, key=lambda a: a.infusion_start_minute)
    for t in sorted(checkpoints):
        load = [a for a in infusions if a.infusion_start_minute <= t < a.infusion_end_minute]
        if not load:
            continue
        nurses = {s.nurse_id for s in clinic.nurse_shifts if s.start_minute <= t < s.end_minute}
        capacity = len(nurses) * clinic.max_infusing_rooms_per_nurse
        if len(load) > capacity:
            out.append(
                Violation(
                    "nurse capacity",
                    ", ".join(name(a) for a in load),
                    f"{len(load)} infusions at {horizon.wall_clock(t)}, capacity {capacity}",
                    tuple(a.key for a in load),
                )
            )

    by_course_items: dict[str, list[Appointment]] = defaultdict(list)
    for a in valid:
        by_course_items[a.course_id].append(a)
    for course_id, items in by_course_items.items():
        course = by_course[course_id]
        p = course.protocol
        indices = sorted(a.infusion_index for a in items)
        if len(set(indices)) != len(indices):
            out.append(Violation("spacing", course_id, "an infusion is booked twice"))
        if require_complete and indices != list(range(p.infusions)):
            out.append(Violation("incomplete", course_id, f"infusions {indices}"))
        items.sort(key=lambda a: a.infusion_index)
        days = [a.day for a in items]
        if days and days[0] < horizon.day_of(course.earliest_start_date):
            out.append(
                Violation(
                    "earliest start",
                    course_id,
                    "before the earliest start date",
                    (items[0].key,),
                )
            )
        for prev, nxt in itertools.pairwise(items):
            steps = nxt.infusion_index - prev.infusion_index
            gap = nxt.day - prev.day
            if not (p.min_days_between * steps <= gap <= p.max_days_between * steps):
                out.append(
                    Violation(
                        "spacing",
                        f"{name(prev)} -> {name(nxt)}",
                        f"{gap} days apart",
                        (prev.key, nxt.key),
                    )
                )
        if days and max(days) - min(days) > p.window_days - 1:
            out.append(
                Violation(
                    "window",
                    course_id,
                    f"spans {max(days) - min(days) + 1} days",
                    tuple(a.key for a in items),
                )
            )
    return out
