"""Builders for the patient-outcome tests (no tests here): a patient with a course of
infusions given, scores before, during and after it.

The visits, orders and pump events are written as rows, not walked through every
pre-infusion check: the selectors under test only read them, and a six-infusion course
through the services would take most of a minute per test. The questionnaire answers
go through ``record_response`` so their totals and bands are the scoring engine's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.services import course_start
from ketamine_clinic.infusion.models import AdverseEvent, PumpEvent
from ketamine_clinic.orders.models import InfusionOrder
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.models import Visit
from tests.patients.factories import make_patient

# Day 0 of the course: a Monday, 14:00 UTC (10:00 in New York).
DAY0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)
WEIGHT_KG = Decimal("72.50")
CONCENTRATION_MG_PER_ML = Decimal("1.00")
INFUSION_MIN = 55
# Days of the six infusions after day 0: two a week for three weeks.
INFUSION_DAYS = (1, 4, 8, 11, 15, 18)
DOSES_MG_PER_KG = ("0.500", "0.500", "0.600", "0.600", "0.750", "0.750")


@dataclass(frozen=True)
class CourseGiven:
    patient: Patient
    course: Course
    visits: list[Visit]


def answers_for(instrument_key: str, total: int) -> list[int]:
    """Answers that add up to ``total`` (item 9 of the PHQ-9 kept at 0: no risk flag)."""
    sizes = {"phq9": (8, 3), "gad7": (7, 3), "pcl5": (20, 4), "dissociation": (1, 10)}
    count, top = sizes[instrument_key]
    answers = [0] * count
    left = total
    for index in range(count):
        answers[index] = min(top, left)
        left -= answers[index]
    if left:
        raise ValueError(f"{instrument_key}: {total} is more than {count} items can hold")
    return answers + ([0] if instrument_key == "phq9" else [])


def score(
    patient: Patient, instrument_key: str, total: int, at: datetime, nurse: User
) -> QuestionnaireResponse:
    return record_response(
        patient, instrument_key, answers_for(instrument_key, total),
        actor=nurse, channel="staff", taken_at=at,
    )  # fmt: skip


def infusion_start(day: int) -> datetime:
    return DAY0 + timedelta(days=day, minutes=20)


def give_course(
    personas: dict[str, User],
    patient: Patient | None = None,
    *,
    days: Sequence[int] = INFUSION_DAYS,
    doses: Sequence[str] = DOSES_MG_PER_KG,
    completed_on_day: int | None = 19,
    opened_on_day: int = -3,
) -> CourseGiven:
    """A course opened on ``opened_on_day`` with an infusion given on each of ``days``."""
    prescriber = personas["prescriber"]
    patient = patient or make_patient("Avery", "Testpatient", born=date(1984, 3, 7))
    course = course_start(patient=patient, by=prescriber, at=DAY0 + timedelta(days=opened_on_day))
    visits = [
        given_visit(personas, patient, course, number, day, dose)
        for number, (day, dose) in enumerate(zip(days, doses, strict=True), start=1)
    ]
    if completed_on_day is not None:
        Course.objects.filter(pk=course.pk).update(
            status=CourseStatus.COMPLETED,
            ended_at=DAY0 + timedelta(days=completed_on_day),
            ended_by=prescriber,
        )
        course.refresh_from_db()
    return CourseGiven(patient=patient, course=course, visits=visits)


def given_visit(
    personas: dict[str, User],
    patient: Patient,
    course: Course | None,
    number: int | None,
    day: int,
    dose: str,
) -> Visit:
    """A visit whose infusion of ``dose`` mg/kg ran its 55 minutes on ``day`` (a booster
    when ``course`` is None)."""
    prescriber, nurse = personas["prescriber"], personas["nurse"]
    start = infusion_start(day)
    visit = Visit.objects.create(
        patient=patient,
        course=course,
        number_in_course=number,
        scheduled_start=start - timedelta(minutes=20),
        planned_preparation_min=20,
        planned_infusion_min=INFUSION_MIN,
        planned_recovery_min=30,
        created_at=DAY0 - timedelta(days=3),
        created_by=personas["front_desk"],
        state="discharged",
        state_changed_at=start + timedelta(minutes=INFUSION_MIN + 30),
        state_changed_by=nurse,
        infusion_started_at=start,
        infusion_started_by=nurse,
        discharged_at=start + timedelta(minutes=INFUSION_MIN + 30),
        discharged_by=nurse,
    )
    dose_mg_per_kg = Decimal(dose)
    InfusionOrder.objects.create(
        visit=visit,
        ordered_by=prescriber,
        ordered_at=start - timedelta(minutes=30),
        weight_kg=WEIGHT_KG,
        weight_measured_on=start.date(),
        dose_mg_per_kg=dose_mg_per_kg,
        duration_min=INFUSION_MIN,
        vial_strength_mg_per_ml=Decimal("50.00"),
        concentration_mg_per_ml=CONCENTRATION_MG_PER_ML,
        care_area="infusion_suite",
        plan={"vtbi_ml": float(dose_mg_per_kg * WEIGHT_KG)},
        verdict="ok",
    )
    rate = (dose_mg_per_kg * WEIGHT_KG / CONCENTRATION_MG_PER_ML) * 60 / INFUSION_MIN
    PumpEvent.objects.create(
        visit=visit, at=start, kind="start", rate_ml_per_h=round(rate, 1), by=nurse
    )
    PumpEvent.objects.create(
        visit=visit, at=start + timedelta(minutes=INFUSION_MIN), kind="stop", by=nurse
    )
    return visit


def nausea(visit: Visit, nurse: User, *, description: str = "") -> AdverseEvent:
    assert visit.infusion_started_at is not None
    return AdverseEvent.objects.create(
        visit=visit,
        at=visit.infusion_started_at + timedelta(minutes=30),
        kind="nausea",
        description=description,
        intervention="ondansetron 4 mg IV",
        by=nurse,
    )


# A PHQ-9 course that responds and remits, with two follow-ups: baseline 20 (severe),
# falling through the course, 4 at the end, 6 and 8 at follow-up.
PHQ9_SERIES: tuple[tuple[int, int], ...] = (
    (-10, 22),
    (1, 20),  # the morning of infusion 1, before it starts: the baseline
    (4, 17),
    (8, 14),
    (11, 11),
    (15, 8),
    (18, 4),
    (33, 6),  # follow-up
    (47, 8),  # follow-up
)


def score_series(
    patient: Patient,
    instrument_key: str,
    series: Sequence[tuple[int, int]],
    nurse: User,
) -> list[QuestionnaireResponse]:
    """Each (day, total) answered 10 minutes after arrival, before that day's infusion."""
    return [
        score(patient, instrument_key, total, DAY0 + timedelta(days=day, minutes=10), nurse)
        for day, total in series
    ]
