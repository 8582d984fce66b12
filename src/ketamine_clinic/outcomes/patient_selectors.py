"""One patient's scores over time, their courses and infusions, and where they stand.

What the chart's plots and the printable progress report read. The rules come from the
instruments' data (``instruments.outcomes`` and each TOML ``[outcome]`` table); this
module only gathers the scores and the infusions and applies them, so the report says
exactly what the data defines and, where an instrument defines nothing, says so.

Baseline: the last valid score on or before the start of the course's first infusion
(clinical.md: "response ... >= 50% reduction from the course baseline"). The course
judged is the patient's latest course with an infusion started; earlier courses are
listed and their infusions marked, but the verdict is about the latest one.

A fixed handful of queries whatever the number of visits (no per-visit loop): the
responses, the courses, their started visits, and those visits' orders, pump events
and adverse events, each in one query.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Final

from django.utils import timezone

from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.assessments.selectors import current_responses
from ketamine_clinic.courses.chart import protocol_label
from ketamine_clinic.courses.selectors import patient_courses_rows
from ketamine_clinic.infusion.models import AdverseEventKind
from ketamine_clinic.infusion.selectors import chart_adverse_events, patient_delivered_doses
from ketamine_clinic.instruments.definitions import Band, Instrument, Rater, all_instruments
from ketamine_clinic.instruments.errors import NotDefined
from ketamine_clinic.instruments.outcomes import is_remission, is_response, reduction_fraction
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.selectors import chart_visits

# Where the definitions come from, in plain words for the report. The numbers are in the
# instruments' data; these say who defined them (clinical.md, "Instruments").
RESPONSE_SOURCE: Final = (
    "The usual definition in ketamine trials and real-world studies (for example "
    "ELEKT-D, Anand et al., NEJM 2023; McInnes et al., J Affect Disord 2022)."
)
REMISSION_SOURCES: Final[dict[str, str]] = {
    "phq9": "Kroenke et al., J Gen Intern Med 2001: a total below 5 is the 'minimal' band.",
    "gad7": "Spitzer et al., Arch Intern Med 2006: a total below 5 is the 'minimal' band.",
    "qids_sr16": "Rush et al., Biol Psychiatry 2003: a total of 5 or less is 'no depression'.",
}
MEANINGFUL_CHANGE_SOURCES: Final[dict[str, str]] = {
    "phq9": "Löwe et al., Med Care 2004: the smallest change patients notice as real.",
    "pcl5": "US VA National Center for PTSD, PCL-5 scoring guidance.",
}


# The order the issue names them in: depression, anxiety, trauma, then the rest.
DISPLAY_ORDER: Final = ("phq9", "qids_sr16", "gad7", "pcl5")


class Phase(StrEnum):
    """Where a score falls against the course judged."""

    BEFORE = "before"  # on or before the first infusion (the baseline is the last of these)
    COURSE = "course"  # after the first infusion, until the course ended
    FOLLOW_UP = "follow_up"  # after the course ended


@dataclass(frozen=True, slots=True)
class ScorePoint:
    response_id: int
    taken_at: datetime
    total: int
    band_label: str
    phase: Phase


@dataclass(frozen=True, slots=True)
class AdverseEventCount:
    kind: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class InfusionMark:
    """One visit whose infusion started: when, which of the course, how much."""

    visit_id: int
    course_id: int | None  # None: a booster, given outside a course
    number_in_course: int | None
    started_at: datetime
    dose_mg_per_kg_ordered: Decimal | None
    delivered_mg: float | None
    delivered_mg_per_kg: float | None
    infusing_min: float | None
    adverse_events: tuple[AdverseEventCount, ...] = ()
    ended_early: bool = False


@dataclass(frozen=True, slots=True)
class CourseSpan:
    course_id: int
    protocol_label: str
    status: str
    status_label: str
    started_at: datetime | None
    ended_at: datetime | None
    infusions_planned: int | None
    infusions: tuple[InfusionMark, ...]

    @property
    def first_infusion_at(self) -> datetime | None:
        return self.infusions[0].started_at if self.infusions else None

    @property
    def last_infusion_at(self) -> datetime | None:
        return self.infusions[-1].started_at if self.infusions else None


@dataclass(frozen=True, slots=True)
class Verdict:
    """One definition applied to the latest score: met, not met, or why it cannot say."""

    name: str
    definition: str  # in plain words, from the instrument's data
    source: str
    met: bool | None  # None: not defined for the instrument, or not yet judgeable
    note: str = ""  # why ``met`` is None

    @property
    def defined(self) -> bool:
        return bool(self.definition)


@dataclass(frozen=True, slots=True)
class Standing:
    baseline: ScorePoint | None
    latest: ScorePoint | None  # the newest score after the first infusion
    change: int | None  # latest - baseline: negative is better
    reduction_percent: float | None
    response: Verdict
    remission: Verdict
    meaningful_change: Verdict

    @property
    def change_in_words(self) -> str:
        """ "60% lower", "25% higher" or "unchanged": a reader need not decode a sign."""
        if self.reduction_percent is None:
            return ""
        if round(self.reduction_percent) == 0:
            return "unchanged"
        word = "lower" if self.reduction_percent > 0 else "higher"
        return f"{abs(self.reduction_percent):.0f}% {word}"


@dataclass(frozen=True, slots=True)
class CutoffLine:
    label: str
    total: int


@dataclass(frozen=True, slots=True)
class Trajectory:
    key: str
    short_name: str
    name: str
    source: str
    validated: bool
    notes: tuple[str, ...]
    total_min: int
    total_max: int
    bands: tuple[Band, ...]
    cutoffs: tuple[CutoffLine, ...]
    points: tuple[ScorePoint, ...]
    standing: Standing


@dataclass(frozen=True, slots=True)
class PatientTrajectories:
    patient: Patient
    courses: tuple[CourseSpan, ...]  # oldest first; only courses that have started
    judged: CourseSpan | None  # the latest course with an infusion started
    trajectories: tuple[Trajectory, ...] = field(default_factory=tuple)
    boosters: tuple[InfusionMark, ...] = ()  # infusions outside a course, oldest first

    @property
    def infusions(self) -> tuple[InfusionMark, ...]:
        """Every infusion started, courses' and boosters', in time order."""
        marks = [mark for course in self.courses for mark in course.infusions]
        return tuple(sorted([*marks, *self.boosters], key=lambda mark: mark.started_at))


def trajectory_instruments() -> tuple[Instrument, ...]:
    """The questionnaires a patient answers that have a total to follow over time.

    The C-SSRS screener (a triage level, no total) and the recovery scores a nurse
    rates at discharge (Aldrete, PADSS) are not trajectories of the illness.
    """
    found = [
        instrument
        for instrument in all_instruments().values()
        if instrument.has_total and instrument.rater is Rater.PATIENT
    ]
    # Depression first, as a psychiatrist reads a report; others after, in file order.
    return tuple(
        sorted(
            found,
            key=lambda i: (
                DISPLAY_ORDER.index(i.key) if i.key in DISPLAY_ORDER else len(DISPLAY_ORDER)
            ),
        )
    )


# --------------------------------------------------------------------------------------
# Infusions
# --------------------------------------------------------------------------------------


def _infusion_marks(patient: Patient, visits: Sequence[Visit], now: datetime) -> list[InfusionMark]:
    """The started visits' marks, with doses and adverse events batched (no query per
    visit), from the rows the chart's timeline reads too."""
    ids = {visit.pk for visit in visits}
    doses = patient_delivered_doses(patient, visits, now=now)
    adverse: dict[int, Counter[str]] = defaultdict(Counter)
    for event in chart_adverse_events(patient):
        if event.visit_id in ids:
            adverse[event.visit_id][event.kind] += 1
    labels = dict(AdverseEventKind.choices)
    marks = []
    for visit in visits:
        if visit.infusion_started_at is None:  # the query asks for started visits only
            continue
        dose = doses.get(visit.pk)
        marks.append(
            InfusionMark(
                visit_id=visit.pk,
                course_id=visit.course_id,
                number_in_course=visit.number_in_course,
                started_at=visit.infusion_started_at,
                dose_mg_per_kg_ordered=None if dose is None else dose.order.dose_mg_per_kg,
                delivered_mg=None if dose is None else dose.mg,
                delivered_mg_per_kg=None if dose is None else dose.mg_per_kg,
                infusing_min=None if dose is None else dose.pump.infusing_min,
                adverse_events=tuple(
                    AdverseEventCount(kind=kind, label=str(labels.get(kind, kind)), count=count)
                    for kind, count in sorted(adverse[visit.pk].items())
                ),
                ended_early=visit.state == "aborted",
            )
        )
    return marks


def patient_courses(
    patient: Patient, *, now: datetime | None = None
) -> tuple[list[CourseSpan], list[InfusionMark]]:
    """The patient's started courses, oldest first, each with its started infusions, and
    the boosters (infusions started outside a course)."""
    moment = now or timezone.now()
    # The patient's courses, read once per chart (courses.selectors.patient_courses_rows).
    courses = sorted(
        (course for course in patient_courses_rows(patient) if course.started_at is not None),
        key=lambda course: (course.started_at, course.pk),
    )
    # The visits the chart's timeline reads too (visits.selectors.chart_visits).
    visits = sorted(
        (visit for visit in chart_visits(patient) if visit.infusion_started_at is not None),
        key=lambda visit: (visit.infusion_started_at, visit.pk),
    )
    by_course: dict[int | None, list[InfusionMark]] = defaultdict(list)
    for mark in _infusion_marks(patient, visits, moment):
        by_course[mark.course_id].append(mark)
    spans = []
    for course in courses:
        try:
            planned: int | None = course.infusions_planned
        except (KeyError, TypeError, ValueError):
            planned = None
        spans.append(
            CourseSpan(
                course_id=course.pk,
                protocol_label=protocol_label(course),
                status=course.status,
                status_label=course.get_status_display(),
                started_at=course.started_at,
                ended_at=course.ended_at,
                infusions_planned=planned,
                infusions=tuple(by_course[course.pk]),
            )
        )
    return spans, by_course[None]


# --------------------------------------------------------------------------------------
# Scores and where they stand
# --------------------------------------------------------------------------------------


def _phase(taken_at: datetime, judged: CourseSpan | None) -> Phase:
    first = None if judged is None else judged.first_infusion_at
    if judged is None or first is None or taken_at <= first:
        return Phase.BEFORE
    if judged.ended_at is not None and taken_at > judged.ended_at:
        return Phase.FOLLOW_UP
    return Phase.COURSE


def _percent(fraction: float) -> str:
    return f"{fraction * 100:g}%"


def _response(
    instrument: Instrument, baseline: ScorePoint | None, latest: ScorePoint | None
) -> Verdict:
    fraction = instrument.outcome.response_reduction_fraction
    if fraction is None:
        return Verdict(
            name="Response",
            definition="",
            source="",
            met=None,
            note=f"{instrument.short_name} has no published definition of response.",
        )
    definition = (
        f"The {instrument.short_name} total has fallen by at least {_percent(fraction)} "
        "from the baseline (the last score before the first infusion)."
    )
    if baseline is None or latest is None:
        return Verdict("Response", definition, RESPONSE_SOURCE, None, _missing(baseline))
    try:
        met = is_response(instrument.key, baseline_total=baseline.total, current_total=latest.total)
    except NotDefined:
        return Verdict(
            "Response", definition, RESPONSE_SOURCE, None, "A baseline of 0 cannot fall further."
        )
    return Verdict("Response", definition, RESPONSE_SOURCE, met)


def _remission(instrument: Instrument, latest: ScorePoint | None) -> Verdict:
    outcome = instrument.outcome
    if outcome.remission_total_at_most is None:
        return Verdict(
            name="Remission",
            definition="",
            source="",
            met=None,
            note=f"{instrument.short_name} has no published definition of remission.",
        )
    definition = f"The latest total is in remission: {outcome.remission_text}."
    source = REMISSION_SOURCES.get(instrument.key, instrument.source)
    if latest is None:
        return Verdict("Remission", definition, source, None, "No score since the first infusion.")
    met = is_remission(instrument.key, total=latest.total)
    return Verdict("Remission", definition, source, met)


def _meaningful_change(
    instrument: Instrument, baseline: ScorePoint | None, latest: ScorePoint | None
) -> Verdict:
    points = instrument.outcome.meaningful_change_points
    name = "Meaningful improvement"
    if points is None:
        return Verdict(
            name=name,
            definition="",
            source="",
            met=None,
            note=(
                f"{instrument.short_name} has no published minimal clinically important difference."
            ),
        )
    definition = (
        f"The {instrument.short_name} total is at least {points} points below the baseline "
        "(the minimal clinically important difference)."
    )
    source = MEANINGFUL_CHANGE_SOURCES.get(instrument.key, instrument.source)
    if baseline is None or latest is None:
        return Verdict(name, definition, source, None, _missing(baseline))
    return Verdict(name, definition, source, baseline.total - latest.total >= points)


def _missing(baseline: ScorePoint | None) -> str:
    if baseline is None:
        return "No baseline: no valid score on or before the first infusion."
    return "No score since the first infusion."


def _standing(instrument: Instrument, points: Sequence[ScorePoint]) -> Standing:
    before = [p for p in points if p.phase is Phase.BEFORE]
    after = [p for p in points if p.phase is not Phase.BEFORE]
    baseline = before[-1] if before else None
    latest = after[-1] if after else None
    change = None if baseline is None or latest is None else latest.total - baseline.total
    reduction = None
    if baseline is not None and latest is not None:
        try:
            reduction = 100.0 * reduction_fraction(
                instrument.key, baseline_total=baseline.total, current_total=latest.total
            )
        except NotDefined:
            reduction = None
    return Standing(
        baseline=baseline,
        latest=latest,
        change=change,
        reduction_percent=reduction,
        response=_response(instrument, baseline, latest),
        remission=_remission(instrument, latest),
        meaningful_change=_meaningful_change(instrument, baseline, latest),
    )


def _trajectory(
    instrument: Instrument, responses: Sequence[QuestionnaireResponse], judged: CourseSpan | None
) -> Trajectory:
    points = []
    for response in responses:
        if response.total is None:  # the query keeps valid totals only
            continue
        band = instrument.band_for(response.total)
        points.append(
            ScorePoint(
                response_id=response.pk,
                taken_at=response.taken_at,
                total=response.total,
                band_label="" if band is None else band.label,
                phase=_phase(response.taken_at, judged),
            )
        )
    if instrument.total_min is None or instrument.total_max is None:
        raise NotDefined(f"{instrument.short_name} has no total to follow")
    return Trajectory(
        key=instrument.key,
        short_name=instrument.short_name,
        name=instrument.name,
        source=instrument.source,
        validated=instrument.validated,
        notes=instrument.notes,
        total_min=instrument.total_min,
        total_max=instrument.total_max,
        bands=instrument.bands,
        cutoffs=tuple(
            CutoffLine(label=cutoff.label, total=cutoff.total_at_least)
            for cutoff in instrument.cutoffs
            if cutoff.total_at_least is not None
        ),
        points=tuple(points),
        standing=_standing(instrument, points),
    )


def patient_trajectories(patient: Patient, *, now: datetime | None = None) -> PatientTrajectories:
    """Per instrument the patient has answered, the valid current scores oldest first,
    the course baseline, and response, remission and meaningful change at the latest.

    Not audited on its own: the page that shows it (the chart, the progress report)
    writes the READ entry.
    """
    courses, boosters = patient_courses(patient, now=now)
    started = [course for course in courses if course.infusions]
    judged = started[-1] if started else None
    instruments = trajectory_instruments()
    by_key: dict[str, list[QuestionnaireResponse]] = defaultdict(list)
    keys = {instrument.key for instrument in instruments}
    # A corrected response gives way to its correction; the chart has read them already.
    for response in current_responses(patient):
        if response.valid and response.total is not None and response.instrument_key in keys:
            by_key[response.instrument_key].append(response)
    return PatientTrajectories(
        patient=patient,
        courses=tuple(courses),
        judged=judged,
        boosters=tuple(boosters),
        trajectories=tuple(
            _trajectory(instrument, by_key[instrument.key], judged)
            for instrument in instruments
            if by_key[instrument.key]
        ),
    )
