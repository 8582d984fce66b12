"""The baseline: greedy first-fit, the way a front desk books by hand.

Courses in order of earliest start (then id); each course's infusions in order, each at the
first start on the grid (earliest day, earliest time, first room in the clinic's list) that
every rule allows, given what is already booked. When a later infusion finds no day within
its spacing, the course is retried from the next possible first day; a course that fits
nowhere is left out whole. No look-ahead, no moving anything already booked: this is what
``plan_month``'s CP-SAT model is measured against (``bench/schedule.py``).
"""

from __future__ import annotations

import bisect
import time
from collections import defaultdict
from collections.abc import Sequence

from ketamine_clinic.scheduling.model import (
    MINUTES_PER_DAY,
    Appointment,
    BookedVisit,
    Clinic,
    CourseRequest,
    MonthPlan,
)
from ketamine_clinic.scheduling.validation import validate_inputs
from ketamine_clinic.scheduling.windows import (
    allowed_start_spans,
    grid_spans,
    nurse_capacity_profile,
)


class FirstFitBook:
    """What is booked so far, indexed by day for quick first-fit checks."""

    def __init__(self, clinic: Clinic, fixed: Sequence[Appointment]) -> None:
        self.rooms = [r.room_id for r in clinic.rooms]
        self.room_busy: dict[tuple[str, int], list[tuple[int, int]]] = defaultdict(list)
        self.room_blocked: dict[str, list[tuple[int, int]]] = {
            r.room_id: [(p.start_minute, p.end_minute) for p in r.out_of_service]
            for r in clinic.rooms
        }
        self.infusions_by_day: dict[int, list[tuple[int, int]]] = defaultdict(list)
        self.profile = nurse_capacity_profile(clinic)
        self._profile_starts = [s for s, _, _ in self.profile]
        for a in fixed:
            self.add(a)

    def add(self, a: Appointment) -> None:
        self.room_busy[(a.room_id, a.day)].append((a.start_minute, a.end_minute))
        self.infusions_by_day[a.day].append((a.infusion_start_minute, a.infusion_end_minute))

    def remove(self, a: Appointment) -> None:
        self.room_busy[(a.room_id, a.day)].remove((a.start_minute, a.end_minute))
        self.infusions_by_day[a.day].remove((a.infusion_start_minute, a.infusion_end_minute))

    def capacity_at(self, t: int) -> int:
        i = bisect.bisect_right(self._profile_starts, t) - 1
        if i >= 0:
            s, e, c = self.profile[i]
            if s <= t < e:
                return c
        return 0

    def room_is_free(self, room_id: str, start: int, end: int) -> bool:
        spans = self.room_busy[(room_id, start // MINUTES_PER_DAY)] + self.room_blocked[room_id]
        return all(e <= start or end <= s for s, e in spans)

    def free_room(self, start: int, end: int) -> str | None:
        return next((r for r in self.rooms if self.room_is_free(r, start, end)), None)

    def nurse_ok(self, infusion_start: int, infusion_end: int) -> bool:
        others = self.infusions_by_day[infusion_start // MINUTES_PER_DAY]
        points = {infusion_start}
        points |= {s for s, _ in others if infusion_start < s < infusion_end}
        points |= {
            t for s, e, _ in self.profile for t in (s, e) if infusion_start < t < infusion_end
        }
        for t in points:
            load = sum(1 for s, e in others if s <= t < e)
            if load + 1 > self.capacity_at(t):
                return False
        return True


def greedy_first_fit(
    clinic: Clinic,
    courses: Sequence[CourseRequest],
    booked: Sequence[BookedVisit] = (),
) -> MonthPlan:
    """Place whole courses one after another at the first slots that fit (the baseline)."""
    began = time.perf_counter()
    validate_inputs(clinic, courses, booked)
    book = FirstFitBook(clinic, [b.appointment for b in booked])
    step = clinic.start_step_minutes
    placed: list[Appointment] = []
    unplaced: list[str] = []
    for course in sorted(courses, key=lambda c: (c.earliest_start_date, c.course_id)):
        result = _place_course(clinic, course, book, step)
        if result is None:
            unplaced.append(course.course_id)
            continue
        for a in result:
            book.add(a)
        placed.extend(result)
    return MonthPlan(
        appointments=tuple(placed),
        unplaced_course_ids=tuple(unplaced),
        solver_status="GREEDY",
        wall_seconds=time.perf_counter() - began,
    )


def _place_course(
    clinic: Clinic, course: CourseRequest, book: FirstFitBook, step: int
) -> list[Appointment] | None:
    p = course.protocol
    visit = p.visit
    starts_by_day: dict[int, list[int]] = defaultdict(list)
    for lo, hi in grid_spans(allowed_start_spans(clinic, course), step):
        for k in range(lo, hi + 1):
            starts_by_day[k * step // MINUTES_PER_DAY].append(k * step)

    def first_fit(day: int, index: int) -> Appointment | None:
        for start in starts_by_day.get(day, ()):
            infusion_start = start + visit.preparation_minutes
            if not book.nurse_ok(infusion_start, infusion_start + visit.infusion_minutes):
                continue
            room_id = book.free_room(start, start + visit.total_minutes)
            if room_id is not None:
                return Appointment(
                    course.course_id, course.patient_id, index, room_id, start, visit
                )
        return None

    earliest = clinic.horizon.day_of(course.earliest_start_date)
    for first_day in sorted(starts_by_day):
        if not earliest <= first_day <= earliest + course.start_within_days:
            continue
        first = first_fit(first_day, 0)
        if first is None:
            continue
        chosen = [first]
        for index in range(1, p.infusions):
            prev_day = chosen[-1].day
            nxt = None
            for day in range(prev_day + p.min_days_between, prev_day + p.max_days_between + 1):
                if day - first_day > p.window_days - 1:
                    break
                nxt = first_fit(day, index)
                if nxt is not None:
                    break
            if nxt is None:
                break
            chosen.append(nxt)
        if len(chosen) == p.infusions:
            return chosen
    return None
