"""A course's spacing rules checked on dates, with the infusions already given.

The engine plans only the days in front of it; the infusions a course has already had
(or has booked outside the days planned) still bound the next ones. This check is the
last word before anything is booked: it reads the course's protocol snapshot and every
visit holding a number, puts the proposed dates in, and names each rule broken.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from ketamine_clinic.courses.models import Course
from ketamine_clinic.visits.selectors import visits_holding_a_number


@dataclass(frozen=True, slots=True)
class CourseDates:
    """The date of each numbered infusion, with the proposal applied."""

    dates: dict[int, date]

    def sorted_items(self) -> list[tuple[int, date]]:
        return sorted(self.dates.items())


def course_dates(course: Course, proposed: Mapping[int, date]) -> CourseDates:
    """The course's held numbers (clinic dates) overlaid with ``proposed`` {number: date}."""
    zone = timezone.get_default_timezone()
    dates = {
        visit.number_in_course: timezone.localtime(visit.scheduled_start, zone).date()
        for visit in visits_holding_a_number(course)
        if visit.number_in_course is not None
    }
    dates.update(proposed)
    return CourseDates(dates)


def course_rule_problems(course: Course, proposed: Mapping[int, date]) -> list[str]:
    """Each spacing rule the course would break with ``proposed``; empty when none.

    Rules (from the protocol snapshot): numbers in date order, consecutive numbers
    ``min_days_between``..``max_days_between`` days apart (a missing number in between
    widens both bounds by its steps), one infusion a day, and the whole course within
    ``window_days`` of the first infusion.
    """
    p = course.protocol
    lo_days, hi_days, window = p["min_days_between"], p["max_days_between"], p["window_days"]
    items = course_dates(course, proposed).sorted_items()
    problems: list[str] = []
    for (n_prev, d_prev), (n_next, d_next) in itertools.pairwise(items):
        steps = n_next - n_prev
        gap = (d_next - d_prev).days
        if gap < lo_days * steps:
            problems.append(
                f"Infusions {n_prev} and {n_next} would be {gap} day(s) apart; "
                f"the protocol needs at least {lo_days * steps}."
            )
        elif gap > hi_days * steps:
            problems.append(
                f"Infusions {n_prev} and {n_next} would be {gap} days apart; "
                f"the protocol allows at most {hi_days * steps}."
            )
    if items:
        first, last = items[0][1], items[-1][1]
        if (last - first).days > window - 1:
            problems.append(
                f"The course would span {(last - first).days + 1} days from its first infusion "
                f"on {first:%a %d %b}; the protocol's window is {window} days."
            )
    return problems
