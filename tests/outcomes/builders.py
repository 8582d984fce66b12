"""Courses with known outcomes, written straight to the database in bulk.

The dashboard reads only rows (a course, its given visits, their orders, diagnoses and
scores), so the tests write those rows directly rather than walk every visit through
the services: ten courses whose answer is known, or a clinic of 6,000 patients for the
timing test, in seconds. All synthetic.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.enums import ResponseChannel
from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.protocols_data import STANDARD_SIX
from ketamine_clinic.orders.models import InfusionOrder
from ketamine_clinic.patients.models import Diagnosis, Patient
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit

START = datetime.fromisoformat("2026-01-05T09:00:00+00:00")
_MRNS = itertools.count(700001)


@dataclass
class Plan:
    """One patient's course and what their scores did."""

    baseline: int | None = 20
    end: int | None = 8
    given: int = 6
    status: str = CourseStatus.COMPLETED
    diagnosis: str | None = "F33.1"
    dose_mg_per_kg: str = "0.500"
    instrument: str = "phq9"
    # (days after the last infusion, total)
    follow_ups: list[tuple[float, int]] = field(default_factory=list)
    boosters_days: list[float] = field(default_factory=list)
    first_infusion: datetime = START
    corrected_end: int | None = None  # an end score later corrected to this total


def build(plans: list[Plan], *, by: User) -> list[Course]:
    """Write every plan's patient, course, visits, orders, diagnosis and scores."""
    patients = Patient.objects.bulk_create(
        [
            Patient(
                mrn=f"KC{next(_MRNS)}",
                legal_first_name="Outcome",
                legal_last_name=f"Testpatient{index}",
                date_of_birth=date(1980, 1, 1),
                sex_at_birth="female",
                created_at=START,
            )
            for index, _ in enumerate(plans)
        ],
        batch_size=500,
    )
    protocol = STANDARD_SIX.as_snapshot()
    courses = Course.objects.bulk_create(
        [
            Course(
                patient=patient,
                protocol_key=STANDARD_SIX.key,
                protocol=protocol,
                status=plan.status,
                created_at=plan.first_infusion - timedelta(days=7),
                created_by=by,
                started_at=plan.first_infusion - timedelta(days=1),
                stop_reason="Stopped early" if plan.status == CourseStatus.STOPPED else "",
            )
            for patient, plan in zip(patients, plans, strict=True)
        ],
        batch_size=500,
    )
    visits: list[Visit] = []
    doses: list[Decimal] = []
    diagnoses: list[Diagnosis] = []
    responses: list[QuestionnaireResponse] = []
    corrections: list[tuple[int, QuestionnaireResponse]] = []
    for patient, course, plan in zip(patients, courses, plans, strict=True):
        last = plan.first_infusion + timedelta(days=3 * (plan.given - 1))
        for number in range(1, plan.given + 1):
            at = plan.first_infusion + timedelta(days=3 * (number - 1))
            visits.append(_visit(patient, at, course=course, number=number))
            doses.append(Decimal(plan.dose_mg_per_kg))
        for days in plan.boosters_days:
            visits.append(_visit(patient, last + timedelta(days=days)))
            doses.append(Decimal(plan.dose_mg_per_kg))
        if plan.diagnosis:
            diagnoses.append(
                Diagnosis(
                    patient=patient,
                    code=plan.diagnosis,
                    title="synthetic",
                    recorded_at=plan.first_infusion - timedelta(days=30),
                )
            )
        if plan.baseline is not None:
            responses.append(
                _response(
                    patient,
                    plan.instrument,
                    plan.baseline,
                    plan.first_infusion - timedelta(hours=1),
                )
            )
        if plan.end is not None:
            end = _response(patient, plan.instrument, plan.end, last + timedelta(days=7))
            responses.append(end)
            if plan.corrected_end is not None:
                corrections.append((len(responses) - 1, end))
        for days, total in plan.follow_ups:
            responses.append(
                _response(patient, plan.instrument, total, last + timedelta(days=days))
            )
    visits = Visit.objects.bulk_create(visits, batch_size=500)
    InfusionOrder.objects.bulk_create(
        [_order(visit, dose, by) for visit, dose in zip(visits, doses, strict=True)],
        batch_size=500,
    )
    Diagnosis.objects.bulk_create(diagnoses, batch_size=500)
    created = QuestionnaireResponse.objects.bulk_create(responses, batch_size=500)
    plan_of = {course.patient_id: plan for course, plan in zip(courses, plans, strict=True)}
    for index, _ in corrections:
        original = created[index]
        plan = plan_of[original.patient_id]
        fixed = _response(
            original.patient, plan.instrument, plan.corrected_end or 0, original.taken_at
        )
        fixed.corrects = original
        fixed.correction_reason = "typed wrong"
        fixed.save()
    return courses


def _visit(
    patient: Patient, at: datetime, *, course: Course | None = None, number: int | None = None
) -> Visit:
    return Visit(
        patient=patient,
        course=course,
        number_in_course=number,
        scheduled_start=at,
        planned_preparation_min=20,
        planned_infusion_min=55,
        planned_recovery_min=30,
        created_at=at - timedelta(days=10),
        state=VisitState.DISCHARGED,
        state_changed_at=at + timedelta(hours=2),
        infusion_started_at=at,
        discharged_at=at + timedelta(hours=2),
    )


def _order(visit: Visit, dose: Decimal, by: User) -> InfusionOrder:
    return InfusionOrder(
        visit=visit,
        ordered_by=by,
        ordered_at=visit.scheduled_start - timedelta(minutes=30),
        weight_kg=Decimal("72.50"),
        weight_measured_on=visit.scheduled_start.date(),
        dose_mg_per_kg=dose,
        duration_min=55,
        vial_strength_mg_per_ml=Decimal("50.00"),
        concentration_mg_per_ml=Decimal("1.00"),
        care_area="adult_infusion",
        plan={},
        verdict="ok",
    )


def _response(patient: Patient, instrument: str, total: int, at: datetime) -> QuestionnaireResponse:
    return QuestionnaireResponse(
        patient=patient,
        instrument_key=instrument,
        instrument_version="1.0",
        answers=[],
        total=total,
        valid=True,
        result={},
        taken_at=at,
        channel=ResponseChannel.KIOSK,
        created_at=at,
    )


def random_clinic(patients: int, infusions: int, *, seed: int = 8) -> list[Plan]:
    """Plans for a clinic of this size: courses of 1-6 infusions (most finished, the
    rest of the infusions as boosters), PHQ-9 that falls like the literature's ~55%
    response, follow-ups every few weeks, diagnoses across the groups."""
    rng = random.Random(seed)
    plans: list[Plan] = []
    given_total = 0
    for index in range(patients):
        given = 6 if rng.random() < 0.45 else rng.randint(1, 5)
        given_total += given
        baseline = rng.randint(8, 27)
        end = max(0, min(27, round(baseline * rng.uniform(0.1, 1.15))))
        follow = [
            (7.0 + 21 * k, max(0, min(27, end + rng.randint(-2, 6) * k)))
            for k in range(1, rng.randint(1, 5))
        ]
        plans.append(
            Plan(
                baseline=baseline,
                end=end if rng.random() < 0.9 else None,
                given=given,
                status=CourseStatus.COMPLETED if given == 6 else CourseStatus.STOPPED,
                diagnosis=rng.choice(["F33.1", "F32.2", "F41.1", "F43.10", "F34.1", None]),
                dose_mg_per_kg=rng.choice(["0.500", "0.500", "0.600", "0.750", "0.900"]),
                follow_ups=follow,
                first_infusion=START + timedelta(days=index % 300),
            )
        )
    # The rest of the infusions are boosters, spread over the finished courses.
    finished = [plan for plan in plans if plan.given == 6]
    for extra in range(max(0, infusions - given_total)):
        plan = finished[extra % len(finished)]
        plan.boosters_days.append(20.0 + 28 * len(plan.boosters_days) + rng.randint(0, 10))
    return plans
