"""A synthetic clinic day for the demo: today's visits in several states across rooms.

Everything goes through the services, at the real clock (nothing is frozen), so the
pump record, the audit trail and the Cp curve are what a real day would leave. That
has one consequence: a visit cannot be discharged at seeding time, because discharge
needs the protocol's minimum recovery to have passed since the pump stopped; the
visit in recovery has its Aldrete score, review and handover done, and the demo
nurse discharges it once its timer runs out.

Idempotent: once any of these patients has a visit today, seeding changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.booking.models import Room
from ketamine_clinic.consent.models import ConsentSignature
from ketamine_clinic.consent.services import consent_seed, consent_sign
from ketamine_clinic.consent.synthetic import synthetic_signature_png
from ketamine_clinic.courses.selectors import active_course
from ketamine_clinic.courses.services import course_start
from ketamine_clinic.infusion.services import (
    adverse_event_record,
    infusion_start,
    infusion_stop,
    infusion_titrate,
    session_note_record,
)
from ketamine_clinic.orders.services import order_infusion, syringe_prepare, syringe_verify
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services.weights import weight_record
from ketamine_clinic.pharmacology.titration import TitrationStep
from ketamine_clinic.recovery.services import discharge_review_record, escort_handover_record
from ketamine_clinic.screening.enums import EligibilityDecisionKind
from ketamine_clinic.screening.facts import BloodPressure
from ketamine_clinic.screening.models import EligibilityDecision
from ketamine_clinic.screening.services import record_decision, record_screening
from ketamine_clinic.visits.checks import clinic_date
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import (
    escort_confirm,
    fasting_record,
    iv_access_record,
    medication_review_record,
    visit_schedule,
    visit_transition,
    vitals_record,
)

PHQ9_MILD: list[int | None] = [1, 1, 1, 1, 1, 1, 1, 1, 0]  # 8, item 9 = 0: no flag
ALDRETE_READY: list[int | None] = [2, 2, 2, 2, 2]


@dataclass(frozen=True)
class DemoVisit:
    first: str
    last: str
    room: str
    minutes_from_now: int  # the appointment, relative to the moment of seeding
    state: str  # how far the seed takes it
    weight_kg: str = "70"


# Patients the other demo seeds leave without a risk flag or a pending queue item, so
# the review queue keeps its own demo items.
DEMO_DAY: tuple[DemoVisit, ...] = (
    DemoVisit("Casey", "Fakename", "Room 1", -40, "infusing", "101.6"),
    DemoVisit("Quinn", "Mockford", "Room 2", -90, "recovery", "64"),
    DemoVisit("Taylor", "Notreal", "Room 3", 20, "checked_in", "72"),
    DemoVisit("Rowan", "Exampleby", "Room 4", 150, "scheduled"),
    DemoVisit("Harper", "Synthetica", "Room 4", 60, "cancelled"),
)


def _clear_screening() -> dict[str, str]:
    """Every opening question answered with its safe answer (as the tablet would)."""
    from ketamine_clinic.screening.questionnaire import AnswerType
    from ketamine_clinic.screening.rules_data import DEFAULT_RULES

    return {
        q.key: "no" if q.risk_answer != "no" else "yes"
        for q in DEFAULT_RULES.questions
        if q.answer_type is AnswerType.YES_NO_UNSURE and q.asked_if is None
    }


def _make_eligible(patient: Patient, prescriber: User, nurse: User, number: int) -> None:
    if not ConsentSignature.objects.filter(patient=patient).exists():
        consent_sign(
            patient=patient,
            document=consent_seed(),
            typed_name=patient.legal_name,
            signature_png=synthetic_signature_png(seed=100 + number),
            witness=nurse,
        )
    if not EligibilityDecision.objects.filter(assessment__patient=patient).exists():
        screening = record_screening(
            patient,
            _clear_screening(),
            actor=None,
            channel="kiosk",
            blood_pressure=BloodPressure(118, 76),
        )
        record_decision(
            screening,
            actor=prescriber,
            decision=EligibilityDecisionKind.ELIGIBLE,
            note="Demo: screened clear, eligible for a standard course.",
        )


def _escort(patient: Patient) -> tuple[str, str]:
    """The escort on the record, or a synthetic one for a demo patient without."""
    return patient.escort_name or "Demo Escort", patient.escort_phone or "555-0100"


def _prepare_for_infusion(
    visit: Visit, demo: DemoVisit, *, nurse: User, prescriber: User, now: datetime
) -> None:
    """Everything the nurse records, the order, the syringe and its second check."""
    patient = visit.patient
    weight_record(
        patient=patient,
        value=Decimal(demo.weight_kg),
        unit="kg",
        measured_on=timezone.localdate(now),
        by=nurse,
    )
    record_response(patient, "phq9", PHQ9_MILD, actor=nurse, channel="staff")
    vitals_record(
        visit=visit,
        by=nurse,
        taken_at=now,
        systolic_mmhg=124,
        diastolic_mmhg=78,
        heart_rate_per_min=74,
        spo2_percent=98,
        respiratory_rate_per_min=14,
    )
    fasting_record(
        visit=visit,
        by=nurse,
        last_solid_food_at=now - timedelta(hours=7),
        last_clear_fluids_at=now - timedelta(hours=3),
    )
    escort_confirm(visit=visit, by=nurse, name=_escort(patient)[0], phone=_escort(patient)[1])
    medication_review_record(visit=visit, by=nurse, reviewed=True)
    iv_access_record(visit=visit, by=nurse, site="left forearm", gauge=22, attempts=1)
    for state in ("checks_done", "ready"):
        visit_transition(visit, state, by=nurse)
    order = order_infusion(
        visit, by=prescriber, dose_mg_per_kg=0.5, duration_min=45, concentration_mg_per_ml=1.0
    )
    syringe = syringe_prepare(order, by=nurse, vial_lots="DEMO-LOT-0426")
    syringe_verify(syringe, by=prescriber)


@transaction.atomic
def seed_demo_day(now: datetime | None = None) -> int:
    """Book and run today's demo visits; return how many visits were made (0 if there)."""
    now = now or timezone.now()
    nurse = User.objects.filter(username="nurse").first()
    prescriber = User.objects.filter(username="prescriber").first()
    desk = User.objects.filter(username="frontdesk").first()
    if nurse is None or prescriber is None or desk is None:
        return 0
    patients: list[tuple[DemoVisit, Patient]] = []
    for demo in DEMO_DAY:
        patient = Patient.objects.filter(
            legal_first_name=demo.first, legal_last_name=demo.last
        ).first()
        if patient is not None:
            patients.append((demo, patient))
    today = clinic_date(now)
    if any(
        clinic_date(visit.scheduled_start) == today
        for _, patient in patients
        for visit in Visit.objects.filter(patient=patient)
    ):
        return 0
    # Appointments on the five minutes, as a diary books them.
    base = now.replace(second=0, microsecond=0) - timedelta(minutes=now.minute % 5)
    made = 0
    for number, (demo, patient) in enumerate(patients):
        course = active_course(patient)
        if demo.state in ("infusing", "recovery", "checked_in"):
            _make_eligible(patient, prescriber, nurse, number)
            course = course or course_start(patient=patient, by=prescriber)
        visit = visit_schedule(
            patient=patient,
            scheduled_start=base + timedelta(minutes=demo.minutes_from_now),
            course=course,
            room=Room.objects.get(name=demo.room),
            by=desk,
        )
        made += 1
        if demo.state == "cancelled":
            visit_transition(visit, "cancelled", by=desk, reason="Demo: patient phoned in unwell.")
            continue
        if demo.state == "scheduled":
            continue
        visit_transition(visit, "checked_in", by=desk)
        if demo.state == "checked_in":
            name, phone = _escort(patient)
            escort_confirm(visit=visit, by=desk, name=name, phone=phone)
            continue
        _prepare_for_infusion(visit, demo, nurse=nurse, prescriber=prescriber, now=now)
        infusion_start(visit, by=nurse)
        if demo.state == "infusing":
            infusion_titrate(visit, by=nurse, step=TitrationStep.by_percent(-10), step_text="-10%")
            adverse_event_record(
                visit, by=nurse, kind="nausea", description="Mild", intervention="Ondansetron 4 mg"
            )
            session_note_record(
                visit, by=nurse, kind="setting", text="Eye mask, playlist 2, lights low."
            )
            continue
        infusion_stop(visit, by=nurse)
        # The recovery services read the state from the instance they are given.
        visit.refresh_from_db()
        record_response(patient, "aldrete", ALDRETE_READY, actor=nurse, channel="staff")
        discharge_review_record(visit, by=nurse, side_effects_resolved=True, advice_given=True)
        name, phone = _escort(patient)
        escort_handover_record(visit, by=nurse, name=name, phone=phone)
    return made
