"""Where a course's visits may start, before any other visit is considered.

A start is allowed when the whole visit lies in clinic hours and in one of the patient's
weekly windows on a day they are available, and the infusion part lies while a prescriber
is on site. Both planners search only these starts; ``validate_schedule`` does not use this
module, so a mistake here is caught by the checker rather than hidden by it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence

from ketamine_clinic.scheduling.model import (
    MINUTES_PER_DAY,
    Clinic,
    CourseRequest,
    MinuteInterval,
)


def merge_intervals(intervals: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of half-open intervals; touching ones join (a hand-over leaves no gap)."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def intersect_intervals(
    left: Sequence[tuple[int, int]], right: Sequence[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Intersection of two sorted lists of disjoint closed intervals ``[lo, hi]``."""
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(left) and j < len(right):
        lo = max(left[i][0], right[j][0])
        hi = min(left[i][1], right[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return out


def prescriber_cover(clinic: Clinic) -> list[tuple[int, int]]:
    """Merged spans during which at least one prescriber is on site."""
    return merge_intervals((p.start_minute, p.end_minute) for p in clinic.prescribers_on_site)


def course_days(clinic: Clinic, course: CourseRequest) -> range:
    """Days of the horizon on which any infusion of the course could fall."""
    first = max(0, clinic.horizon.day_of(course.earliest_start_date))
    last = (
        clinic.horizon.day_of(course.earliest_start_date)
        + course.start_within_days
        + course.protocol.window_days
        - 1
    )
    return range(first, min(last, clinic.horizon.days - 1) + 1)


def allowed_start_spans(
    clinic: Clinic,
    course: CourseRequest,
    *,
    days: Iterable[int] | None = None,
    cover: Sequence[tuple[int, int]] | None = None,
) -> list[tuple[int, int]]:
    """Closed spans ``[lo, hi]`` of start minutes (not yet on the grid) allowed for a visit.

    Rooms, nurses and other visits are not considered here: they are what the planners
    decide.
    """
    visit = course.protocol.visit
    hours = {h.weekday: h for h in clinic.hours}
    windows_by_weekday: dict[int, list[tuple[int, int]]] = {}
    for w in course.availability.windows:
        windows_by_weekday.setdefault(w.weekday, []).append(
            (w.start_minute_of_day, w.end_minute_of_day)
        )
    spans: list[tuple[int, int]] = []
    for day in course_days(clinic, course) if days is None else days:
        date: dt.date = clinic.horizon.date_of(day)
        if date in course.availability.unavailable_dates:
            continue
        weekday = date.weekday()
        h = hours.get(weekday)
        if h is None:
            continue
        for w_start, w_end in merge_intervals(windows_by_weekday.get(weekday, ())):
            lo = max(h.open_minute_of_day, w_start)
            hi = min(h.close_minute_of_day, w_end) - visit.total_minutes
            if lo <= hi:
                base = day * MINUTES_PER_DAY
                spans.append((base + lo, base + hi))
    # The infusion part [s + prep, s + prep + infusion) must sit inside a prescriber span.
    prescriber_spans = [
        (
            start - visit.preparation_minutes,
            end - visit.preparation_minutes - visit.infusion_minutes,
        )
        for start, end in (prescriber_cover(clinic) if cover is None else cover)
        if end - start >= visit.infusion_minutes
    ]
    return intersect_intervals(merge_closed(spans), prescriber_spans)


def merge_closed(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted union of closed integer spans ``[lo, hi]``."""
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def grid_spans(spans: Sequence[tuple[int, int]], step_minutes: int) -> list[tuple[int, int]]:
    """The same spans in grid steps: start ``k`` means minute ``k * step_minutes``."""
    out: list[tuple[int, int]] = []
    for lo, hi in spans:
        k_lo = -(-lo // step_minutes)
        k_hi = hi // step_minutes
        if k_lo <= k_hi:
            out.append((k_lo, k_hi))
    return out


def nurse_capacity_profile(clinic: Clinic) -> list[tuple[int, int, int]]:
    """Piecewise-constant infusion capacity: ``(start, end, infusions at once)`` segments.

    Capacity is ``max_infusing_rooms_per_nurse`` times the distinct nurses on shift; a nurse
    listed twice for overlapping times counts once.
    """
    by_nurse: dict[str, list[tuple[int, int]]] = {}
    for s in clinic.nurse_shifts:
        by_nurse.setdefault(s.nurse_id, []).append((s.start_minute, s.end_minute))
    events: dict[int, int] = {}
    for spans in by_nurse.values():
        for start, end in merge_intervals(spans):
            events[start] = events.get(start, 0) + 1
            events[end] = events.get(end, 0) - 1
    segments: list[tuple[int, int, int]] = []
    on_shift = 0
    times = sorted(events)
    for t, t_next in itertools.pairwise(times):
        on_shift += events[t]
        if on_shift > 0:
            segments.append((t, t_next, on_shift * clinic.max_infusing_rooms_per_nurse))
    return segments


def out_of_service(clinic: Clinic) -> dict[str, list[MinuteInterval]]:
    return {r.room_id: list(r.out_of_service) for r in clinic.rooms}
