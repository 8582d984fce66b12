"""Why a course cannot be placed: the first rule that leaves too few days.

With every other visit fixed, the infusions of one course fall on different days and so
never compete with each other for a room or a nurse; whether a day can take one of them is
therefore a property of that day alone, and whether the course fits is whether enough such
days chain up within the spacing rules. That makes this diagnosis exact. It adds the rules
one at a time (hours and availability, then prescriber, then a free room, then nurses) and
names the first after which no chain is left.
"""

from __future__ import annotations

from collections.abc import Sequence

from ketamine_clinic.scheduling.model import (
    MINUTES_PER_DAY,
    Appointment,
    Clinic,
    CourseRequest,
)
from ketamine_clinic.scheduling.windows import (
    allowed_start_spans,
    grid_spans,
    nurse_capacity_profile,
)

# Reasons a reader sees; tests assert them exactly (format with the course's numbers).
REASON_AVAILABILITY = (
    "the patient's available times and the clinic's hours leave no {infusions} days "
    "{min_days}-{max_days} days apart within a {window_days}-day window "
    "(first infusion between {first_date} and {last_date})"
)
REASON_PRESCRIBER = (
    "no prescriber on site for the {infusion_minutes}-minute infusion on enough of the "
    "patient's available days within the {window_days}-day window"
)
REASON_ROOMS = "no room free within the {window_days}-day window on the patient's available days"
REASON_NURSES = (
    "not enough nurses on shift within the {window_days}-day window on the patient's available days"
)
REASON_SOLVER = "no placement satisfies every rule at once"
REASON_TIME_LIMIT = "no placement found within the time limit of {seconds:g} s"


def format_reason(template: str, clinic: Clinic, course: CourseRequest) -> str:
    p = course.protocol
    earliest = course.earliest_start_date
    return template.format(
        infusions=p.infusions,
        min_days=p.min_days_between,
        max_days=p.max_days_between,
        window_days=p.window_days,
        infusion_minutes=p.visit.infusion_minutes,
        first_date=earliest.isoformat(),
        last_date=(
            clinic.horizon.date_of(clinic.horizon.day_of(earliest) + course.start_within_days)
        ).isoformat(),
    )


def chain_exists(clinic: Clinic, course: CourseRequest, days: set[int]) -> bool:
    """Can the course's infusions fall on ``days`` within its spacing rules?"""
    p = course.protocol
    earliest = clinic.horizon.day_of(course.earliest_start_date)
    for first in sorted(days):
        if not earliest <= first <= earliest + course.start_within_days:
            continue
        reachable = {first}
        for _ in range(p.infusions - 1):
            reachable = {
                d + gap
                for d in reachable
                for gap in range(p.min_days_between, p.max_days_between + 1)
                if d + gap in days and d + gap - first <= p.window_days - 1
            }
            if not reachable:
                break
        if reachable:
            return True
    return False


def diagnose(clinic: Clinic, course: CourseRequest, fixed: Sequence[Appointment]) -> str | None:
    """The reason the course cannot be placed around ``fixed``, or None if it can."""
    step = clinic.start_step_minutes
    visit = course.protocol.visit
    everywhere = [(-(10**9), 10**9)]
    open_days = {
        lo // MINUTES_PER_DAY for lo, _ in allowed_start_spans(clinic, course, cover=everywhere)
    }
    if not chain_exists(clinic, course, open_days):
        return format_reason(REASON_AVAILABILITY, clinic, course)
    starts_by_day: dict[int, list[int]] = {}
    for lo, hi in grid_spans(allowed_start_spans(clinic, course), step):
        for k in range(lo, hi + 1):
            starts_by_day.setdefault(k * step // MINUTES_PER_DAY, []).append(k * step)
    if not chain_exists(clinic, course, set(starts_by_day)):
        return format_reason(REASON_PRESCRIBER, clinic, course)

    busy: dict[str, list[tuple[int, int]]] = {r.room_id: [] for r in clinic.rooms}
    for room in clinic.rooms:
        busy[room.room_id] += [(p.start_minute, p.end_minute) for p in room.out_of_service]
    for a in fixed:
        busy.setdefault(a.room_id, []).append((a.start_minute, a.end_minute))

    def room_free(start: int) -> bool:
        end = start + visit.total_minutes
        return any(all(e <= start or end <= s for s, e in spans) for spans in busy.values())

    room_days = {d for d, starts in starts_by_day.items() if any(map(room_free, starts))}
    if not chain_exists(clinic, course, room_days):
        return format_reason(REASON_ROOMS, clinic, course)

    profile = nurse_capacity_profile(clinic)

    def capacity_at(t: int) -> int:
        return next((c for s, e, c in profile if s <= t < e), 0)

    def nurse_free(start: int) -> bool:
        a = start + visit.preparation_minutes
        b = a + visit.infusion_minutes
        points = {a} | {f.infusion_start_minute for f in fixed if a <= f.infusion_start_minute < b}
        points |= {t for s, e, _ in profile for t in (s, e) if a < t < b}
        for t in points:
            load = sum(1 for f in fixed if f.infusion_start_minute <= t < f.infusion_end_minute)
            if load + 1 > capacity_at(t):
                return False
        return True

    nurse_days = {
        d
        for d, starts in starts_by_day.items()
        if any(room_free(s) and nurse_free(s) for s in starts)
    }
    if not chain_exists(clinic, course, nurse_days):
        return format_reason(REASON_NURSES, clinic, course)
    return None
