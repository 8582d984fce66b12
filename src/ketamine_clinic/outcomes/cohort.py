"""The outcome cohort: one record per course that started, built from plain rows.

Pure Python (no Django): ``selectors.clinic_cohort`` reads the rows with a handful of
``values_list`` queries and hands them here, so the rules below are tested without a
database and the dashboard never runs a query per patient.

The rules, each stated on the dashboard:

- A course *started* when at least one of its infusions was given; an infusion is
  *given* when the pump started (``Visit.infusion_started_at`` is set), so an infusion
  aborted part-way counts, and a cancelled or missed visit does not.
- *Baseline*: the last valid score on or before the first infusion's start, at most
  ``BASELINE_WINDOW_DAYS`` before it.
- *End of course*: the last valid score from ``END_WINDOW_OPENS_HOURS_BEFORE`` hours
  before the last infusion (its pre-infusion score counts: the earlier infusions are
  behind it) up to ``END_WINDOW_DAYS`` after it, and later than the baseline.
- *Follow-up*: valid scores after the end-of-course score, up to the patient's next
  course (durability).
- *Boosters*: infusions given outside any course (``Visit.course`` empty, which is how
  ``courses/protocols_data.py``'s ``BoosterRule`` boosters are booked) after the
  course's last infusion and before the patient's next course.
- *Finished*: the course was completed, or every planned infusion was given.
- *Under way*: the course is still active and not every planned infusion has been
  given; its outcome is not known yet, so it is left out of both denominators (and
  counted on the page) rather than counted as not improved.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final, NamedTuple

from ketamine_clinic.instruments.definitions import get_instrument

SECONDS_PER_DAY: Final = 86_400.0
SECONDS_PER_HOUR: Final = 3_600.0

# Times are seconds since the Unix epoch (UTC) as floats: the selectors read them so
# from the database, which spares converting tens of thousands of datetimes per page.

# 14 days: PHQ-9 and GAD-7 ask about "the last 2 weeks" (Kroenke 2001, Spitzer 2006), so
# a score older than that does not describe the patient at the first infusion.
BASELINE_WINDOW_DAYS: Final = 14
# 14 days after the last infusion: the same two-week recall still covers the course.
END_WINDOW_DAYS: Final = 14
# 24 hours before the last infusion: its same-day pre-infusion score (the visit checks
# ask for today's PHQ-9) belongs to the end of the course, the infusion before it does
# not (protocol spacing is at least 2 days).
END_WINDOW_OPENS_HOURS_BEFORE: Final = 24


class DiagnosisGroup(StrEnum):
    """ICD-10 groups the dashboard breaks down by (the clinic's indications, clinical.md)."""

    DEPRESSION = "depression"
    ANXIETY = "anxiety"
    PTSD = "ptsd"
    OTHER = "other"
    NONE = "none"

    @property
    def label(self) -> str:
        return DIAGNOSIS_LABELS[self]


DIAGNOSIS_LABELS: Final = {
    DiagnosisGroup.DEPRESSION: "Depression (F32, F33)",
    DiagnosisGroup.ANXIETY: "Anxiety (F41)",
    DiagnosisGroup.PTSD: "PTSD (F43.1)",
    DiagnosisGroup.OTHER: "Other diagnosis",
    DiagnosisGroup.NONE: "No diagnosis recorded",
}


# Code prefixes in order: the first that matches names the group.
_GROUP_PREFIXES: Final = (
    ("F32", DiagnosisGroup.DEPRESSION),
    ("F33", DiagnosisGroup.DEPRESSION),
    ("F41", DiagnosisGroup.ANXIETY),
    ("F43.1", DiagnosisGroup.PTSD),
)


def diagnosis_group(code: str | None) -> DiagnosisGroup:
    if code is None:
        return DiagnosisGroup.NONE
    for prefix, group in _GROUP_PREFIXES:
        if code.upper().startswith(prefix):
            return group
    return DiagnosisGroup.OTHER


@dataclass(frozen=True, slots=True)
class DoseBand:
    key: str
    label: str
    low_mg_per_kg: Decimal | None
    high_mg_per_kg: Decimal | None  # exclusive

    def holds(self, dose_mg_per_kg: Decimal) -> bool:
        above = self.low_mg_per_kg is None or dose_mg_per_kg >= self.low_mg_per_kg
        below = self.high_mg_per_kg is None or dose_mg_per_kg < self.high_mg_per_kg
        return above and below


# The highest dose ordered in the course, in three bands (clinical.md, "Standards and
# guidance"): < 0.6 mg/kg is the studied 0.5 mg/kg with at most one small step;
# 0.6-0.8 is the first titration towards the 0.75 mg/kg clinic chains reach (steps of
# 0.1-0.25 mg/kg); >= 0.8 is the top of that practice, towards 1.0 mg/kg.
DOSE_BANDS: Final = (
    DoseBand("under_0_6", "< 0.6 mg/kg", None, Decimal("0.6")),
    DoseBand("0_6_to_0_8", "0.6 to < 0.8 mg/kg", Decimal("0.6"), Decimal("0.8")),
    DoseBand("0_8_and_over", ">= 0.8 mg/kg", Decimal("0.8"), None),
)
NO_ORDER_BAND: Final = DoseBand("no_order", "No order recorded", None, None)


def dose_band(dose_mg_per_kg: Decimal | None) -> DoseBand:
    if dose_mg_per_kg is None:
        return NO_ORDER_BAND
    return next(band for band in DOSE_BANDS if band.holds(dose_mg_per_kg))


# ---- the rows the selectors read ---------------------------------------------------


# courses.enums.CourseStatus.ACTIVE, as the string the selectors read (no Django here).
_ACTIVE: Final = "active"


class CourseRow(NamedTuple):
    course_id: int
    patient_id: int
    status: str
    infusions_planned: int
    completed: bool


class InfusionRow(NamedTuple):
    """A given infusion: a course's (``course_id``) or a booster (``course_id`` None),
    with the dose of its order in force (the latest) in micrograms per kg: whole
    numbers, since orders keep mg/kg to three decimals (None: no order)."""

    visit_id: int
    patient_id: int
    course_id: int | None
    started_at_s: float
    dose_ug_per_kg: int | None


class DiagnosisRow(NamedTuple):
    patient_id: int
    code: str
    recorded_at_s: float
    diagnosis_id: int


class ScoreRow(NamedTuple):
    response_id: int
    patient_id: int
    total: int
    taken_at_s: float


class Score(NamedTuple):
    total: int
    taken_at_s: float


class CourseOutcome(NamedTuple):
    """One course that started, as the dashboard counts it, for one instrument.

    Named tuples rather than frozen dataclasses here and for ``Score``: a clinic has
    tens of thousands of them, and a frozen dataclass's ``__init__`` is several times
    slower."""

    course_id: int
    patient_id: int
    diagnosis: DiagnosisGroup
    first_infusion_at_s: float
    last_infusion_at_s: float
    infusions_given: int
    infusions_planned: int
    finished: bool
    under_way: bool
    max_dose_mg_per_kg: Decimal | None
    baseline: Score | None
    end: Score | None
    follow_ups: tuple[Score, ...]
    boosters_s: tuple[float, ...]

    @property
    def dose_band(self) -> DoseBand:
        return dose_band(self.max_dose_mg_per_kg)


def _index_by_patient(rows: Iterable[ScoreRow], dropped: set[int]) -> dict[int, list[Score]]:
    by_patient: dict[int, list[tuple[float, int, int]]] = defaultdict(list)
    for row in rows:
        if row.response_id not in dropped:
            by_patient[row.patient_id].append((row.taken_at_s, row.response_id, row.total))
    return {
        patient: [Score(total=total, taken_at_s=at) for at, _, total in sorted(found)]
        for patient, found in by_patient.items()
    }


def _primary_diagnoses(rows: Iterable[DiagnosisRow]) -> dict[int, str]:
    """The patient's first diagnosis recorded (and not entered in error): the reason
    they were referred, before any later comorbidity was added."""
    first: dict[int, tuple[float, int, str]] = {}
    for row in rows:
        key = (row.recorded_at_s, row.diagnosis_id, row.code)
        if row.patient_id not in first or key < first[row.patient_id]:
            first[row.patient_id] = key
    return {patient: code for patient, (_, _, code) in first.items()}


def build_cohort(
    *,
    instrument_key: str,
    courses: Iterable[CourseRow],
    infusions: Iterable[InfusionRow],
    diagnoses: Iterable[DiagnosisRow],
    scores: Iterable[ScoreRow],
    corrected_response_ids: Iterable[int] = (),
) -> list[CourseOutcome]:
    """One ``CourseOutcome`` per course with at least one infusion given, oldest first.

    ``scores`` are the instrument's valid responses (a total); those whose id is in
    ``corrected_response_ids`` were replaced by a correction and are left out, as
    ``assessments.selectors._current`` does.
    """
    get_instrument(instrument_key)  # an unknown key is an error, not an empty page
    by_course: dict[int, list[InfusionRow]] = defaultdict(list)
    boosters: dict[int, list[float]] = defaultdict(list)
    for infusion in infusions:
        if infusion.course_id is None:
            boosters[infusion.patient_id].append(infusion.started_at_s)
        else:
            by_course[infusion.course_id].append(infusion)
    for times in boosters.values():
        times.sort()
    primary = _primary_diagnoses(diagnoses)
    scores_of = _index_by_patient(scores, set(corrected_response_ids))

    started: list[tuple[CourseRow, list[InfusionRow]]] = []
    for course in courses:
        given = by_course.get(course.course_id)
        if given:
            given.sort(key=lambda row: (row.started_at_s, row.visit_id))
            started.append((course, given))
    started.sort(key=lambda pair: (pair[1][0].started_at_s, pair[0].course_id))
    next_start = _next_course_starts(started)

    outcomes: list[CourseOutcome] = []
    for course, given in started:
        first_at, last_at = given[0].started_at_s, given[-1].started_at_s
        finished = course.completed or len(given) >= course.infusions_planned
        until = next_start.get(course.course_id)
        patient_scores = scores_of.get(course.patient_id, [])
        baseline = _last_between(
            patient_scores, first_at - BASELINE_WINDOW_DAYS * SECONDS_PER_DAY, first_at
        )
        end = _last_between(
            patient_scores,
            last_at - END_WINDOW_OPENS_HOURS_BEFORE * SECONDS_PER_HOUR,
            last_at + END_WINDOW_DAYS * SECONDS_PER_DAY,
            after=baseline.taken_at_s if baseline else None,
            before=until,
        )
        follow_from = end.taken_at_s if end else last_at + END_WINDOW_DAYS * SECONDS_PER_DAY
        follow_ups = tuple(
            score
            for score in patient_scores
            if score.taken_at_s > follow_from and (until is None or score.taken_at_s < until)
        )
        course_boosters = tuple(
            at
            for at in boosters.get(course.patient_id, ())
            if at > last_at and (until is None or at < until)
        )
        given_doses = [row.dose_ug_per_kg for row in given if row.dose_ug_per_kg is not None]
        outcomes.append(
            CourseOutcome(
                course_id=course.course_id,
                patient_id=course.patient_id,
                diagnosis=diagnosis_group(primary.get(course.patient_id)),
                first_infusion_at_s=first_at,
                last_infusion_at_s=last_at,
                infusions_given=len(given),
                infusions_planned=course.infusions_planned,
                finished=finished,
                under_way=course.status == _ACTIVE and not finished,
                max_dose_mg_per_kg=Decimal(max(given_doses)) / 1000 if given_doses else None,
                baseline=baseline,
                end=end,
                follow_ups=follow_ups,
                boosters_s=course_boosters,
            )
        )
    return outcomes


def _next_course_starts(
    started: Sequence[tuple[CourseRow, list[InfusionRow]]],
) -> Mapping[int, float]:
    """Each course's patient's next course's first infusion (follow-up ends there)."""
    following: dict[int, float] = {}
    latest_of_patient: dict[int, int] = {}
    for course, given in started:  # oldest first
        previous = latest_of_patient.get(course.patient_id)
        if previous is not None:
            following[previous] = given[0].started_at_s
        latest_of_patient[course.patient_id] = course.course_id
    return following


def _last_between(
    scores: Sequence[Score],
    opens: float,
    closes: float,
    *,
    after: float | None = None,
    before: float | None = None,
) -> Score | None:
    """The last score with ``opens <= taken_at_s <= closes`` (and after ``after``, before
    ``before``); ``scores`` are in time order."""
    times = [score.taken_at_s for score in scores]
    low = bisect_left(times, opens)
    high = bisect_right(times, closes)
    for index in range(high - 1, low - 1, -1):
        at = times[index]
        if (after is None or at > after) and (before is None or at < before):
            return scores[index]
    return None
