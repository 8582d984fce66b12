"""How long a response lasts after the course, and when boosters were given.

Pure Python. *Relapse*, for a course whose end-of-course score was a response: the
first follow-up score that no longer meets the response criterion against the same
baseline, or a booster infusion, whichever comes first. Time runs in days from the
course's last infusion; a responder with neither is censored at their last follow-up
score (at the end-of-course score when there is none).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import quantiles

from ketamine_clinic.outcomes.cohort import SECONDS_PER_DAY, CourseOutcome
from ketamine_clinic.outcomes.measures import judge, responded
from ketamine_clinic.outcomes.stats import KaplanMeier, kaplan_meier


def _days(later_s: float, earlier_s: float) -> float:
    return (later_s - earlier_s) / SECONDS_PER_DAY


@dataclass(frozen=True, slots=True)
class RelapseTime:
    course_id: int
    days: float
    relapsed: bool
    by_booster: bool


def relapse_times(cohort: Sequence[CourseOutcome], instrument_key: str) -> list[RelapseTime]:
    """One time per completer who responded (the durability cohort)."""
    found: list[RelapseTime] = []
    for outcome in cohort:
        judged = judge(outcome, instrument_key)
        if not (judged.completer and judged.response):
            continue
        if outcome.baseline is None or outcome.end is None:  # pragma: no cover - completer
            continue
        origin = outcome.last_infusion_at_s
        lost: float | None = None
        for score in outcome.follow_ups:
            if not responded(instrument_key, outcome.baseline.total, score.total):
                lost = score.taken_at_s
                break
        booster = outcome.boosters_s[0] if outcome.boosters_s else None
        if booster is not None and (lost is None or booster <= lost):
            found.append(RelapseTime(outcome.course_id, _days(booster, origin), True, True))
        elif lost is not None:
            found.append(RelapseTime(outcome.course_id, _days(lost, origin), True, False))
        else:
            last_seen = (
                outcome.follow_ups[-1].taken_at_s if outcome.follow_ups else outcome.end.taken_at_s
            )
            found.append(
                RelapseTime(outcome.course_id, max(0.0, _days(last_seen, origin)), False, False)
            )
    return found


def relapse_curve(times: Sequence[RelapseTime]) -> KaplanMeier:
    return kaplan_meier([t.days for t in times], [t.relapsed for t in times])


@dataclass(frozen=True, slots=True)
class IntervalSummary:
    """Days as counted (n), with median and quartiles (None when too few to say)."""

    label: str
    n: int
    median: float | None
    q1: float | None
    q3: float | None
    shortest: float | None
    longest: float | None


def _summary(label: str, days: Sequence[float]) -> IntervalSummary:
    if not days:
        return IntervalSummary(label, 0, None, None, None, None, None)
    ordered = sorted(days)
    if len(ordered) == 1:
        only = ordered[0]
        return IntervalSummary(label, 1, only, None, None, only, only)
    q1, median, q3 = quantiles(ordered, n=4, method="inclusive")
    return IntervalSummary(label, len(ordered), median, q1, q3, ordered[0], ordered[-1])


@dataclass(frozen=True, slots=True)
class BoosterSummary:
    courses: int
    courses_with_booster: int
    boosters: int
    first: IntervalSummary
    between: IntervalSummary

    @property
    def intervals(self) -> tuple[IntervalSummary, IntervalSummary]:
        return (self.first, self.between)


def booster_intervals(cohort: Sequence[CourseOutcome]) -> BoosterSummary:
    """Days from each course's last infusion to its first booster, and between boosters."""
    first: list[float] = []
    between: list[float] = []
    for outcome in cohort:
        if not outcome.boosters_s:
            continue
        first.append(_days(outcome.boosters_s[0], outcome.last_infusion_at_s))
        between.extend(
            _days(later, earlier)
            for earlier, later in zip(outcome.boosters_s, outcome.boosters_s[1:], strict=False)
        )
    return BoosterSummary(
        courses=len(cohort),
        courses_with_booster=len(first),
        boosters=sum(len(o.boosters_s) for o in cohort),
        first=_summary("Course end to first booster", first),
        between=_summary("Between one booster and the next", between),
    )
