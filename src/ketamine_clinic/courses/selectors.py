"""Reads of treatment courses: progress through a course, the chart's timeline, and the
protocol values a visit reads from its course (its titration steps).

Not audited here: the page that shows a course audits its read (as the chart does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone

from ketamine_clinic.assessments.selectors import current_responses
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.protocols_data import DEFAULT_PROTOCOL_KEY, protocol_for
from ketamine_clinic.instruments.definitions import all_instruments
from ketamine_clinic.patients.chart_rows import shared_rows
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.timeline_types import TimelineEntry
from ketamine_clinic.pharmacology.titration import TitrationStep
from ketamine_clinic.visits import selectors as visit_selectors
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit


@dataclass(frozen=True, slots=True)
class DayScore:
    """One questionnaire the patient completed on a visit's day."""

    instrument_key: str
    short_name: str
    total: int | None
    severity: str
    taken_at: datetime


@dataclass(frozen=True, slots=True)
class VisitProgress:
    """One visit of the course, with the scores taken that day."""

    visit: Visit
    scores: list[DayScore]


@dataclass(frozen=True, slots=True)
class CourseProgress:
    """How far a course has come: "3 of 6", the next visit, the window, the scores."""

    course: Course
    done: int
    planned: int
    next_visit: Visit | None
    window_starts_on: date
    window_ends_on: date
    days_left: int
    visits: list[VisitProgress]

    @property
    def label(self) -> str:
        return f"{self.done} of {self.planned}"


def _clinic_date(moment: datetime) -> date:
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def _scores_by_day(patient: Patient) -> dict[date, list[DayScore]]:
    instruments = all_instruments()
    found: dict[date, list[DayScore]] = {}
    for response in current_responses(patient):  # shared with the chart's other panels
        instrument = instruments.get(response.instrument_key)
        found.setdefault(_clinic_date(response.taken_at), []).append(
            DayScore(
                instrument_key=response.instrument_key,
                short_name=instrument.short_name if instrument else response.instrument_key,
                total=response.total,
                severity=response.severity,
                taken_at=response.taken_at,
            )
        )
    return found


def course_progress(course: Course, *, now: datetime | None = None) -> CourseProgress:
    """Infusions done (visits discharged) of those planned, the next booked visit, the
    days left in the course's window and the scores taken on each visit's day.

    The window opens on the day of the course's first booked visit (the first infusion
    counts as day 1), or on the day the course started while none is booked.
    """
    moment = now if now is not None else timezone.now()
    today = _clinic_date(moment)
    visits = list(visit_selectors.visits_holding_a_number(course))
    done = sum(1 for visit in visits if visit.state == VisitState.DISCHARGED)
    upcoming = [
        visit
        for visit in visits
        if visit.state == VisitState.SCHEDULED and visit.scheduled_start >= moment
    ]
    opened = visits[0].scheduled_start if visits else (course.started_at or course.created_at)
    starts_on = _clinic_date(opened)
    ends_on = starts_on + timedelta(days=int(course.parameter("window_days")) - 1)
    scores = _scores_by_day(course.patient)
    return CourseProgress(
        course=course,
        done=done,
        planned=course.infusions_planned,
        next_visit=upcoming[0] if upcoming else None,
        window_starts_on=starts_on,
        window_ends_on=ends_on,
        days_left=max(0, (ends_on - today).days),
        visits=[
            VisitProgress(visit=visit, scores=scores.get(_clinic_date(visit.scheduled_start), []))
            for visit in visits
        ],
    )


def visit_titration_steps(visit: Visit) -> tuple[TitrationStep, ...]:
    """The raise/lower steps the room offers for ``visit``'s running infusion.

    They come from the course's protocol snapshot, so a course keeps the steps it began
    with. A booster has no course and takes the default protocol's steps; so would a
    snapshot older than the steps, but migration ``0002_titration_steps_in_snapshot``
    filled those in, so in practice the fallback is for boosters. Percent steps first,
    then mg/kg/h steps, each in the protocol's order (the buttons' order).
    """
    default = protocol_for(DEFAULT_PROTOCOL_KEY)
    snapshot = visit.course.protocol if visit.course is not None else {}
    percent = snapshot.get("titration_steps_percent", default.titration_steps_percent)
    absolute = snapshot.get(
        "titration_steps_mg_per_kg_per_h", default.titration_steps_mg_per_kg_per_h
    )
    return tuple(TitrationStep.by_percent(float(value)) for value in percent) + tuple(
        TitrationStep.by_dose_rate(float(value)) for value in absolute
    )


def active_course(patient: Patient) -> Course | None:
    """The patient's active course, if any (at most one: a constraint holds it)."""
    return Course.objects.filter(patient=patient, status=CourseStatus.ACTIVE).first()


def patient_courses_rows(patient: Patient) -> list[Course]:
    """Every course of the patient, newest first, with who started and ended it: one read
    per chart for the timeline, the course card and the trajectories."""

    def load() -> list[Course]:
        courses = list(
            Course.objects.filter(patient=patient).select_related("created_by", "ended_by")
        )
        for course in courses:
            course.patient = patient  # the caller's row (course_progress reads it)
        return courses

    return shared_rows(patient, "courses.courses", load)


def course_timeline_entries(patient: Patient) -> list[TimelineEntry]:
    """Courses on the chart: each start and each end (completed, or stopped and why)."""
    entries: list[TimelineEntry] = []
    for course in patient_courses_rows(patient):
        entries.append(
            TimelineEntry(
                at=course.started_at or course.created_at,
                kind="course",
                title=f"Course started: {course.infusions_planned} infusions",
                detail=f"protocol {course.protocol_key}",
                actor=course.created_by.display_name,
            )
        )
        if course.ended_at is not None:
            stopped = course.status == CourseStatus.STOPPED
            entries.append(
                TimelineEntry(
                    at=course.ended_at,
                    kind="course",
                    title="Course stopped" if stopped else "Course completed",
                    detail=course.stop_reason,
                    actor=course.ended_by.display_name if course.ended_by else None,
                )
            )
    return entries


def timeline_entries(patient: Patient) -> list[TimelineEntry]:
    """The chart's provider for courses and their visits (``chart_sources`` lists this
    module once; the visits' own entries come from ``visits.selectors``)."""
    return course_timeline_entries(patient) + visit_selectors.timeline_entries(patient)
