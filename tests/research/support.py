"""A small synthetic clinic whose every identifying field holds a distinctive value.

Records are made straight through the ORM (not the services) so that every field,
including ones no service fills in this order, can be given a value the export must not
carry. Every source time has its own time of day to the second, so a shifted time (whole
days) can never equal another record's real time by chance.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.consent.models import ConsentSignature
from ketamine_clinic.consent.services import consent_seed, consent_sign
from ketamine_clinic.courses.models import Course
from ketamine_clinic.infusion.models import AdverseEvent, PumpEvent, SessionNote
from ketamine_clinic.monitoring.models import Device
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation
from ketamine_clinic.patients.enums import AllergySeverity, SexAtBirth, WeightUnit
from ketamine_clinic.patients.models import (
    Allergy,
    Diagnosis,
    Medication,
    Patient,
    WeightMeasurement,
)
from ketamine_clinic.recovery.models import DischargeReview, EscortHandover
from ketamine_clinic.visits.models import (
    CheckOverride,
    EscortConfirmation,
    MedicationReview,
    Visit,
    VisitTransition,
    VitalsReading,
)
from tests.conftest import make_staff
from tests.consent.support import png_bytes
from tests.patients.factories import make_patient

# The first infusion of the first patient; everything else is placed around it.
BASE = datetime(2026, 3, 10, 14, 0, 0, tzinfo=UTC)


@dataclass
class SourcePatient:
    patient: Patient
    # Every real time of this patient's exported records, with what it is.
    times: dict[str, datetime] = field(default_factory=dict)


@dataclass
class SeededClinic:
    patients: list[SourcePatient]
    identifiers: list[str]
    dates_of_birth: list[date]

    @property
    def source_times(self) -> list[datetime]:
        return [moment for p in self.patients for moment in p.times.values()]


class _Clock:
    """Hands out distinct times of day (one second apart, in a different minute each)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)

    def at(self, day: datetime) -> datetime:
        n = next(self._counter)
        return day.replace(hour=8 + n % 9, minute=(7 * n) % 60, second=(13 * n) % 60 or 1)


def _staff(tag: str, role: Role) -> User:
    user = make_staff(f"staffuser_{tag}_qzx", role)
    user.first_name = f"Nursella{tag}"
    user.last_name = f"Brightwater{tag}"
    user.save(update_fields=["first_name", "last_name"])
    return user


def _identity(patient: Patient, tag: str) -> list[str]:
    values = {
        "legal_first_name": f"Zebulon{tag}",
        "legal_last_name": f"Quixtable{tag}",
        "preferred_name": f"Zebby{tag}",
        "phone": f"+1 555 017{tag} 4821",
        "email": f"zeb.quix{tag}@example.org",
        "address": f"77{tag} Wisteria Lane, Springfield OR 97477",
        "emergency_contact_name": f"Emergo Castellanos{tag}",
        "emergency_contact_relationship": f"Cousinly{tag}",
        "emergency_contact_phone": f"+1 555 018{tag} 9913",
        "escort_name": f"Escortina Vanderlyle{tag}",
        "escort_relationship": f"Neighbourly{tag}",
        "escort_phone": f"+1 555 019{tag} 2267",
        "referrer_name": f"Dr Referrina Oakenshield{tag}",
        "referrer_practice": f"Oakenshield Psychiatry{tag}",
        "referrer_phone": f"+1 555 020{tag} 7788",
        "referrer_email": f"referrina{tag}@oakenshield.example.org",
        "pronouns": f"xe/xem{tag}",
        "gender_identity_self_described": f"Selfdescribo{tag}",
    }
    for name, value in values.items():
        setattr(patient, name, value)
    patient.save()
    return [*values.values(), patient.mrn]


def seed_identified_clinic() -> SeededClinic:
    clock = _Clock()
    nurse, prescriber = _staff("n1", Role.NURSE), _staff("p1", Role.PRESCRIBER)
    device_ids = ["00A0B1C2D3E4F5A6", "00FEDCBA98765432"]
    for eui in device_ids:
        Device.objects.create(
            eui64=eui,
            kind="pump",
            model=f"Serialmaster SN-{eui[-6:]}",
            label=f"Pump {eui[-4:]}",
            registered_at=BASE - timedelta(days=90),
        )
    identifiers = [
        nurse.username,
        prescriber.username,
        "Nursellan1",
        "Brightwatern1",
        "Nursellap1",
        *device_ids,
        *(f"SN-{eui[-6:]}" for eui in device_ids),
    ]
    # (tag, born, sex, first infusion day offset from BASE): the first is 95 at her first
    # infusion ("90+"); the second turns 90 the day after his (so "89").
    people = [
        ("A", date(1931, 2, 17), SexAtBirth.FEMALE, 0),
        ("B", date(1936, 3, 13), SexAtBirth.MALE, 2),
        ("C", date(1984, 7, 29), SexAtBirth.FEMALE, 5),
    ]
    seeded: list[SourcePatient] = []
    for tag, born, sex, day in people:
        patient = make_patient(f"Zebulon{tag}", f"Quixtable{tag}", born=born, sex=sex)
        identifiers += _identity(patient, tag)
        source = SourcePatient(patient)
        _history(patient, tag, nurse, identifiers)
        first_day = BASE + timedelta(days=day)
        course = Course.objects.create(
            patient=patient,
            protocol_key="standard-6",
            protocol={"infusions": 6, "window_days": 21},
            status="stopped",
            created_at=clock.at(first_day - timedelta(days=3)),
            created_by=prescriber,
            started_at=clock.at(first_day - timedelta(days=1)),
            ended_at=clock.at(first_day + timedelta(days=12)),
            ended_by=prescriber,
            stop_reason=f"FREETEXT-stop-reason-{tag}",
        )
        assert course.started_at is not None and course.ended_at is not None
        source.times |= {
            "course_created": course.created_at,
            "course_started": course.started_at,
            "course_ended": course.ended_at,
        }
        identifiers.append(f"FREETEXT-stop-reason-{tag}")
        for number, gap_days in ((1, 0), (2, 3), (3, 7)):
            _visit(
                source,
                course,
                number,
                first_day + timedelta(days=gap_days),
                clock,
                nurse,
                prescriber,
                identifiers,
            )
        # A PHQ-9 corrected later: only the correction is current.
        wrong = _response(
            source,
            "phq9_wrong",
            clock.at(first_day - timedelta(days=2)),
            [3, 3, 3, 3, 3, 3, 3, 3, 0],
            24,
            "severe",
            nurse,
            identifiers,
        )
        _response(
            source,
            "phq9",
            clock.at(first_day - timedelta(days=2)),
            [2, 2, 2, 2, 2, 2, 2, 2, 0],
            16,
            "moderately_severe",
            nurse,
            identifiers,
            corrects=wrong,
        )
        _response(
            source,
            "phq9_after",
            clock.at(first_day + timedelta(days=8)),
            [1, 0, 1, 0, 1, 0, 1, 0, None],
            None,
            "",
            nurse,
            identifiers,
        )
        seeded.append(source)
    return SeededClinic(seeded, identifiers, [born for _, born, _, _ in people])


def _history(patient: Patient, tag: str, nurse: User, identifiers: list[str]) -> None:
    now = BASE - timedelta(days=30)
    for code, title, error_reason in (
        ("F33.1", f"FREETEXT-diagnosis-title-{tag}", ""),
        ("F41.1", "Generalized anxiety disorder", ""),
        ("F99", "In error", f"FREETEXT-error-reason-{tag}"),  # entered in error: left out
    ):
        Diagnosis.objects.create(
            patient=patient,
            code=code,
            title=title,
            recorded_at=now,
            recorded_by=nurse,
            entered_in_error_at=now if error_reason else None,
            entered_in_error_by=nurse if error_reason else None,
            entered_in_error_reason=error_reason,
        )
    Medication.objects.create(
        patient=patient,
        name=f"FREETEXT-medication-{tag}",
        dose_text=f"FREETEXT-dose-{tag}",
        recorded_at=now,
        recorded_by=nurse,
    )
    Allergy.objects.create(
        patient=patient,
        substance=f"FREETEXT-substance-{tag}",
        reaction=f"FREETEXT-reaction-{tag}",
        severity=AllergySeverity.MILD,
        recorded_at=now,
        recorded_by=nurse,
    )
    WeightMeasurement.objects.create(
        patient=patient,
        weight_kg=Decimal("71.35"),
        entered_value=Decimal("71.35"),
        entered_unit=WeightUnit.KG,
        measured_on=BASE.date(),
        recorded_at=now,
        recorded_by=nurse,
    )
    signature: ConsentSignature = consent_sign(
        patient=patient,
        document=consent_seed(),
        typed_name=f"Typedsignature{tag}",
        signature_png=png_bytes(),
        witness=nurse,
    )
    del signature
    identifiers += [
        f"FREETEXT-diagnosis-title-{tag}",
        f"FREETEXT-error-reason-{tag}",
        f"FREETEXT-medication-{tag}",
        f"FREETEXT-dose-{tag}",
        f"FREETEXT-substance-{tag}",
        f"FREETEXT-reaction-{tag}",
        f"Typedsignature{tag}",
    ]


def _visit(
    source: SourcePatient,
    course: Course,
    number: int,
    day: datetime,
    clock: _Clock,
    nurse: User,
    prescriber: User,
    identifiers: list[str],
) -> None:
    tag = f"{source.patient.legal_last_name[-1]}{number}"
    scheduled = clock.at(day)
    started = clock.at(day)
    visit = Visit.objects.create(
        patient=source.patient,
        course=course,
        number_in_course=number,
        scheduled_start=scheduled,
        planned_preparation_min=30,
        planned_infusion_min=40,
        planned_recovery_min=60,
        created_at=clock.at(day - timedelta(days=20)),
        created_by=nurse,
        state="discharged",
        state_changed_at=clock.at(day),
        infusion_started_at=started,
        infusion_started_by=nurse,
        recovery_started_at=started + timedelta(minutes=40, seconds=1),
        discharged_at=started + timedelta(minutes=101, seconds=2),
        discharged_by=nurse,
        end_reason=f"FREETEXT-end-reason-{tag}",
    )
    assert visit.recovery_started_at is not None and visit.discharged_at is not None
    source.times |= {
        f"visit{number}_scheduled": scheduled,
        f"visit{number}_started": started,
        f"visit{number}_recovery": visit.recovery_started_at,
        f"visit{number}_discharged": visit.discharged_at,
    }
    VisitTransition.objects.create(
        visit=visit,
        from_state="ready",
        to_state="infusing",
        at=started,
        by=nurse,
        reason=f"FREETEXT-transition-{tag}",
    )
    vitals_at = clock.at(day)
    VitalsReading.objects.create(
        visit=visit,
        recorded_at=vitals_at,
        recorded_by=nurse,
        taken_at=vitals_at,
        systolic_mmhg=128 + number,
        diastolic_mmhg=82,
        heart_rate_per_min=71,
        spo2_percent=98,
        respiratory_rate_per_min=None if number == 2 else 14,
        source="manual",
    )
    source.times[f"visit{number}_vitals"] = vitals_at
    EscortConfirmation.objects.create(
        visit=visit,
        recorded_at=vitals_at,
        recorded_by=nurse,
        name=f"Escortconfirmed{tag}",
        phone=f"+1 555 021{tag} 0000",
    )
    MedicationReview.objects.create(
        visit=visit,
        recorded_at=vitals_at,
        recorded_by=nurse,
        reviewed=True,
        note=f"FREETEXT-medreview-{tag}",
    )
    CheckOverride.objects.create(
        visit=visit,
        recorded_at=vitals_at,
        recorded_by=prescriber,
        check_key="fasting",
        reason=f"FREETEXT-override-{tag}",
        check_status="warn",
        check_message=f"FREETEXT-check-message-{tag}",
    )
    # The order in force is the later one (0.6 mg/kg at 2 mg/mL, 71.35 kg).
    for dose, at in (
        (Decimal("0.500"), started - timedelta(hours=2)),
        (Decimal("0.600"), started - timedelta(hours=1)),
    ):
        order = InfusionOrder.objects.create(
            visit=visit,
            ordered_by=prescriber,
            ordered_at=at,
            weight_kg=Decimal("71.35"),
            weight_measured_on=day.date(),
            dose_mg_per_kg=dose,
            duration_min=40,
            vial_strength_mg_per_ml=Decimal("50"),
            concentration_mg_per_ml=Decimal("2"),
            care_area="infusion_clinic",
            plan={"vtbi_ml": 21.4},
            verdict="soft_breach",
            override_reason=f"FREETEXT-order-override-{tag}",
        )
    SyringePreparation.objects.create(
        order=order,
        prepared_by=nurse,
        prepared_at=started - timedelta(minutes=30),
        vial_lots=f"LOTXYZ{tag}",
        stock_volume_ml=Decimal("0.86"),
        diluent_volume_ml=Decimal("20.54"),
    )
    # 30 mL/h for 20 min, paused 5 min, 30 mL/h for 20 min: 20 mL, 40 mg, 40 min running.
    for minutes, kind, rate in (
        (0, "start", "30"),
        (20, "pause", None),
        (25, "resume", None),
        (45, "stop", None),
    ):
        PumpEvent.objects.create(
            visit=visit,
            at=started + timedelta(minutes=minutes),
            kind=kind,
            rate_ml_per_h=None if rate is None else Decimal(rate),
            by=nurse,
            override_reason=f"FREETEXT-pump-override-{tag}" if kind == "start" else "",
        )
    if number == 2:
        AdverseEvent.objects.create(
            visit=visit,
            at=started + timedelta(minutes=10),
            kind="nausea",
            description=f"FREETEXT-ae-description-{tag}",
            intervention=f"FREETEXT-intervention-{tag}",
            by=nurse,
        )
        AdverseEvent.objects.create(
            visit=visit,
            at=started + timedelta(minutes=12),
            kind="hypertension",
            description="",
            intervention="",
            by=nurse,
        )
    SessionNote.objects.create(
        visit=visit,
        at=started + timedelta(minutes=5),
        kind="experience",
        text=f"FREETEXT-session-note-{tag}",
        by=nurse,
    )
    DischargeReview.objects.create(
        visit=visit,
        side_effects_resolved=False,
        side_effects_note=f"FREETEXT-discharge-note-{tag}",
        advice_given=True,
        at=started + timedelta(minutes=100),
        by=nurse,
    )
    EscortHandover.objects.create(
        visit=visit,
        escort_name=f"Handoverescort{tag}",
        escort_phone="+1 555 0100 0001",
        at=started + timedelta(minutes=101),
        by=nurse,
    )
    identifiers += [
        f"FREETEXT-end-reason-{tag}",
        f"FREETEXT-transition-{tag}",
        f"Escortconfirmed{tag}",
        f"FREETEXT-medreview-{tag}",
        f"FREETEXT-override-{tag}",
        f"FREETEXT-check-message-{tag}",
        f"FREETEXT-order-override-{tag}",
        f"LOTXYZ{tag}",
        f"FREETEXT-pump-override-{tag}",
        f"FREETEXT-session-note-{tag}",
        f"FREETEXT-discharge-note-{tag}",
        f"Handoverescort{tag}",
    ]
    if number == 2:
        identifiers += [f"FREETEXT-ae-description-{tag}", f"FREETEXT-intervention-{tag}"]


def _response(
    source: SourcePatient,
    label: str,
    taken: datetime,
    answers: list[int | None],
    total: int | None,
    severity: str,
    nurse: User,
    identifiers: list[str],
    *,
    corrects: QuestionnaireResponse | None = None,
) -> QuestionnaireResponse:
    tag = f"{source.patient.legal_last_name[-1]}-{label}"
    response = QuestionnaireResponse.objects.create(
        patient=source.patient,
        instrument_key="phq9",
        instrument_version="1.0",
        answers=answers,
        total=total,
        severity=severity,
        valid=total is not None,
        result={"note": f"FREETEXT-result-{tag}"},
        comment=f"FREETEXT-comment-{tag}",
        taken_at=taken,
        entered_by=nurse,
        channel="staff",
        corrects=corrects,
        correction_reason=f"FREETEXT-correction-{tag}" if corrects else "",
        created_at=taken + timedelta(minutes=1),
    )
    source.times[f"score_{label}"] = taken
    identifiers += [f"FREETEXT-result-{tag}", f"FREETEXT-comment-{tag}"]
    if corrects is not None:
        identifiers.append(f"FREETEXT-correction-{tag}")
    return response
