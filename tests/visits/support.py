"""A visit on a fixed day, and a patient for whom every pre-infusion check passes.

The day: Tuesday 10 March 2026, appointment 10:00 in New York (14:00 UTC; daylight
saving began on 8 March). "Now" is 09:30 local, half an hour before the appointment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import time_machine

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.consent.services import consent_seed, consent_sign
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.services import course_start
from ketamine_clinic.patients.enums import PregnancyPotential
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services.registry import patient_record_pregnancy_potential
from ketamine_clinic.patients.services.weights import weight_record
from ketamine_clinic.screening.enums import EligibilityDecisionKind
from ketamine_clinic.screening.facts import BloodPressure
from ketamine_clinic.screening.services import record_decision, record_screening
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import (
    escort_confirm,
    fasting_record,
    iv_access_record,
    medication_review_record,
    visit_schedule,
    vitals_record,
)
from tests.consent.support import png_bytes
from tests.patients.factories import make_patient
from tests.screening.support import clear_answers

START = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 10:00 EDT
NOW = START - timedelta(minutes=30)  # 09:30 EDT
# PHQ-9 of 8 (mild), item 9 answered 0: no risk flag.
PHQ9_MILD = [1, 1, 1, 1, 1, 1, 1, 1, 0]


def frozen(at: datetime = NOW) -> time_machine.travel:
    return time_machine.travel(at, tick=False)


def make_course(patient: Patient, prescriber: User) -> Course:
    with frozen(NOW - timedelta(days=7)):
        return course_start(patient=patient, by=prescriber)


def make_visit(
    patient: Patient, course: Course | None, by: User, *, start: datetime = START
) -> Visit:
    with frozen(NOW - timedelta(days=7)):
        return visit_schedule(patient=patient, scheduled_start=start, course=course, by=by)


def make_eligible_patient(
    prescriber: User, first: str = "Avery", last: str = "Testpatient"
) -> Patient:
    """A patient with a signed consent and an eligible decision, registered a week ago."""
    with frozen(NOW - timedelta(days=7)):
        patient = make_patient(first, last)
        consent_and_clear(patient, prescriber)
        patient_record_pregnancy_potential(
            patient=patient,
            potential=PregnancyPotential.NOT_APPLICABLE,
            asked_on=(NOW - timedelta(days=7)).date(),
            by=prescriber,
        )
        patient.refresh_from_db()
    return patient


def consent_and_clear(patient: Patient, prescriber: User) -> None:
    """The consent signed before `prescriber` as witness, a clear kiosk screening, and
    the prescriber's decision that the patient is eligible, all at the clock's time."""
    consent_sign(
        patient=patient,
        document=consent_seed(),
        typed_name=patient.legal_name,
        signature_png=png_bytes(),
        witness=prescriber,
    )
    screening = record_screening(
        patient, clear_answers(), actor=None, channel="kiosk", blood_pressure=BloodPressure(120, 80)
    )
    record_decision(
        screening,
        actor=prescriber,
        decision=EligibilityDecisionKind.ELIGIBLE,
        note="Screened clear; eligible for a standard course.",
    )


def phq9_today(patient: Patient, nurse: User, at: datetime = NOW) -> QuestionnaireResponse:
    with frozen(at):
        return record_response(patient, "phq9", PHQ9_MILD, actor=nurse, channel="staff")


def record_everything(visit: Visit, nurse: User) -> None:
    """Everything the nurse records on the day, each within its limits."""
    with frozen():
        weight_record(
            patient=visit.patient,
            value=Decimal("72.5"),
            unit="kg",
            measured_on=NOW.date(),
            by=nurse,
        )
        record_response(visit.patient, "phq9", PHQ9_MILD, actor=nurse, channel="staff")
        vitals_record(
            visit=visit,
            by=nurse,
            taken_at=NOW - timedelta(minutes=5),
            systolic_mmhg=122,
            diastolic_mmhg=78,
            heart_rate_per_min=72,
            spo2_percent=98,
            respiratory_rate_per_min=14,
        )
        fasting_record(
            visit=visit,
            by=nurse,
            last_solid_food_at=START - timedelta(hours=5),
            last_clear_fluids_at=START - timedelta(hours=3),
        )
        escort_confirm(visit=visit, by=nurse, name="Jordan Escortperson", phone="555-0142")
        medication_review_record(visit=visit, by=nurse, reviewed=True)
        iv_access_record(visit=visit, by=nurse, site="left forearm", gauge=22, attempts=1)
