"""The plan as rows: what the clinical services would have written for each patient,
visit and syringe, built as model instances and inserted with ``bulk_create``.

Each block says which service's rows it mirrors. Times are the clinic's wall clock for
each visit's slot; a visit's records follow the order the services allow (check-in,
the nurse's records, the checks, the order, the syringe and its second check, the pump,
recovery, the syringe's account, discharge). Patients are written in chunks so memory
stays flat at 6,000 patients.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.enums import ResponseChannel, RiskFlagStatus
from ketamine_clinic.assessments.models import QuestionnaireResponse, RiskFlag
from ketamine_clinic.assessments.services import scored_fields
from ketamine_clinic.booking.models import Room
from ketamine_clinic.consent.enums import SignatureChannel
from ketamine_clinic.consent.models import ConsentDocument, ConsentSignature
from ketamine_clinic.consent.synthetic import synthetic_signature_png
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.protocols_data import DEFAULT_PROTOCOL_KEY, protocol_for
from ketamine_clinic.generate.clinical import TITRATION_STEP_TEXT, order_figures, pump_run
from ketamine_clinic.generate.fastinsert import insert, make
from ketamine_clinic.generate.plan import ClinicPlan, PatientPlan, VisitPlan, slot_starts
from ketamine_clinic.generate.stock import Draw
from ketamine_clinic.generate.trajectory import (
    GAD7_MAX,
    PCL5_MAX,
    answers_for_total,
    linked_total,
    phq9_answers,
    phq9_total,
)
from ketamine_clinic.infusion.models import AdverseEvent, NoteKind, PumpEvent, SessionNote
from ketamine_clinic.instruments.scoring import Score, score
from ketamine_clinic.inventory.enums import EntryKind
from ketamine_clinic.inventory.models import Container, StockEntry, SyringeAccount
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation, SyringeVerification
from ketamine_clinic.patients.diagnosis_codes import DIAGNOSIS_CODES
from ketamine_clinic.patients.enums import WeightUnit
from ketamine_clinic.patients.models import Diagnosis, Patient, WeightMeasurement, mrn_for_number
from ketamine_clinic.patients.services.weights import KG_PER_LB, weight_in_kg
from ketamine_clinic.recovery.models import DischargeReview, EscortHandover
from ketamine_clinic.visits.enums import VisitState, VitalsSource
from ketamine_clinic.visits.models import (
    EscortConfirmation,
    FastingRecord,
    IvAccess,
    MedicationReview,
    Visit,
    VisitTransition,
    VitalsReading,
)

FOLLOW_UP_DAYS = (7, 28, 56, 84, 126, 182, 273, 365)
LINKED_FOLLOW_UP_DAYS = frozenset({28, 84, 182})
LINKED_AT_INFUSION = frozenset({1, 3, 6})  # GAD-7 and PCL-5 with the PHQ-9 at these
DNA_REASON = "Did not arrive; two calls unanswered, voicemail left."
RISK_NOTE = (
    "Assessed before the infusion: passive thoughts, no plan or intent; safety plan "
    "reviewed with the patient; infusion may proceed."
)
IV_SITES = ("left forearm", "right forearm", "left hand", "right hand", "left wrist")
ADVERSE_TEXT = {
    "nausea": ("Mild nausea", "Ondansetron 4 mg IV"),
    "hypertension": ("BP above 180 systolic during the infusion", "Rate lowered; BP rechecked"),
    "anxiety": ("Anxious at onset", "Reassurance; eye mask off for a while"),
}
SETTING_NOTES = (
    "Eye mask, music without lyrics, lights low.",
    "Blanket, headphones, playlist 2.",
    "Preferred no music this time; eye mask on.",
)


@dataclass(frozen=True)
class Staff:
    desk: User
    nurses: tuple[User, ...]
    prescribers: tuple[User, ...]
    custodian: User


@dataclass
class Batch:
    """Instances waiting for their bulk insert, in dependency order of their lists."""

    rows: dict[type[models.Model], list[models.Model]] = field(default_factory=dict)

    def add(self, row: models.Model) -> None:
        self.rows.setdefault(type(row), []).append(row)

    def flush(self, order: Sequence[type[models.Model]]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for model in order:
            rows = self.rows.pop(model, [])
            if rows:
                counts[model._meta.label] = insert(model, rows)
        if self.rows:  # a model missing from the order is a programming error
            raise RuntimeError(f"no insert order for {sorted(m.__name__ for m in self.rows)}")
        return counts


def _local(day: date, clock: time) -> datetime:
    """The clinic's wall-clock time, as UTC (what is stored; cheaper to write)."""
    return datetime.combine(day, clock, tzinfo=timezone.get_default_timezone()).astimezone(UTC)


def visit_start(item: VisitPlan) -> datetime:
    return _local(item.day, slot_starts(item.day)[item.slot])


def entered_weight(kg: Decimal, *, in_lb: bool) -> tuple[Decimal, str]:
    """What the nurse typed: the scale's kg, or the same weight read in lb to 0.1."""
    if in_lb:
        return (kg / KG_PER_LB).quantize(Decimal("0.1")), WeightUnit.LB
    return kg, WeightUnit.KG


def stored_weight_kg(kg: Decimal, *, in_lb: bool) -> Decimal:
    """The kg patients.services.weights stores for that entry (and dosing uses)."""
    entered, unit = entered_weight(kg, in_lb=in_lb)
    return weight_in_kg(entered, unit)


@dataclass
class Writer:
    """Builds one chunk of patients' rows; ``stock`` gives each syringe its vials."""

    plan: ClinicPlan
    staff: Staff
    rooms: list[Room]
    containers: list[Container]
    draws: dict[int, list[Draw]]
    rng: random.Random
    weights: dict[tuple[int, int], Decimal]
    consent: ConsentDocument
    protocol: dict[str, Any] = field(
        default_factory=lambda: protocol_for(DEFAULT_PROTOCOL_KEY).as_snapshot()
    )
    batch: Batch = field(default_factory=Batch)
    # A few drawn signatures, reused: drawing one per patient would cost seconds.
    signatures: tuple[bytes, ...] = field(
        default_factory=lambda: tuple(synthetic_signature_png(n) for n in range(8))
    )

    # ---- scoring, as assessments.services.record_response stores it -----------------

    def response(self, patient: Patient, key: str, answers: Sequence[int | None], at: datetime,
                 entered_by: User | None) -> None:  # fmt: skip
        result: Score = score(key, answers)
        row = make(
            QuestionnaireResponse,
            patient=patient,
            **scored_fields(result, answers),
            taken_at=at,
            entered_by=entered_by,
            channel=ResponseChannel.KIOSK if entered_by is None else ResponseChannel.STAFF,
            created_at=at,
        )
        self.batch.add(row)
        for flag in result.flags:
            # Assessed by a prescriber before the infusion went ahead (an open flag blocks it).
            self.batch.add(make(RiskFlag,
                patient=patient, response=row, kind=flag.kind, level=flag.level,
                reason=flag.reason[:200], raised_at=at, status=RiskFlagStatus.ASSESSED,
                assessed_by=self.staff.prescribers[0], assessed_at=at + timedelta(minutes=4),
                assessment_note=RISK_NOTE,
            ))  # fmt: skip

    def scores(self, patient: Patient, plan: PatientPlan, at: datetime, *, infusions_given: int,
               days_after_course: float | None = None, days_after_booster: float | None = None,
               linked: bool = False) -> None:  # fmt: skip
        trajectory = plan.trajectory
        phq = phq9_total(trajectory, self.rng, infusions_given=infusions_given,
                         days_after_course=days_after_course,
                         days_after_booster=days_after_booster)  # fmt: skip
        self.response(patient, "phq9", phq9_answers(self.rng, phq, item9_share=0.15), at, None)
        if not linked:
            return
        gad = linked_total(
            trajectory, self.rng, baseline=trajectory.gad7_baseline, high=GAD7_MAX, phq9_now=phq
        )
        self.response(patient, "gad7", answers_for_total(self.rng, gad, items=7, item_max=3),
                      at + timedelta(minutes=2), None)  # fmt: skip
        if plan.ptsd:
            pcl = linked_total(
                trajectory, self.rng, baseline=trajectory.pcl5_baseline, high=PCL5_MAX, phq9_now=phq
            )
            self.response(patient, "pcl5", answers_for_total(self.rng, pcl, items=20, item_max=4),
                          at + timedelta(minutes=5), None)  # fmt: skip

    # ---- the registry: patients.services (patient_create, diagnosis_add, weight_record) ----

    def patient(self, plan: PatientPlan) -> Patient:
        created = _local(plan.intake_day, time(9)) + timedelta(minutes=self.rng.randrange(240))
        patient = make(
            Patient,
            mrn=f"gen-{self.plan.seed}-{plan.index}",  # replaced by the id's MRN after insert
            legal_first_name=plan.first,
            legal_last_name=plan.last,
            preferred_name=plan.preferred,
            date_of_birth=plan.date_of_birth,
            sex_at_birth=plan.sex,
            created_at=created,
            created_by=self.staff.desk,
            phone=f"555-01{plan.index % 100:02d}",
            escort_name=plan.escort_name,
            escort_relationship=plan.escort_relationship,
            escort_phone=plan.escort_phone,
            emergency_contact_name=plan.escort_name,
            emergency_contact_relationship=plan.escort_relationship,
            emergency_contact_phone=plan.escort_phone,
            no_known_allergies_at=created + timedelta(minutes=20),
            no_known_allergies_by=self.staff.nurses[0],
        )
        return patient

    def chart(self, patient: Patient, plan: PatientPlan) -> None:
        created = patient.created_at
        prescriber = self.staff.prescribers[plan.index % len(self.staff.prescribers)]
        # Consent signed at intake before a nurse, as consent_sign records it: no
        # infusion is given without it.
        png = self.signatures[plan.index % len(self.signatures)]
        self.batch.add(make(ConsentSignature,
            patient=patient, document=self.consent, typed_name=patient.legal_name,
            signature_png=png, signature_sha256=hashlib.sha256(png).hexdigest(),
            signed_at=created + timedelta(minutes=15), channel=SignatureChannel.STAFF,
            witness=self.staff.nurses[0], client_address="",
        ))  # fmt: skip
        for code in plan.diagnoses:
            listed = DIAGNOSIS_CODES[code]
            self.batch.add(make(Diagnosis, patient=patient, code=listed.code, title=listed.title,
                                     recorded_at=created + timedelta(minutes=30),
                                     recorded_by=prescriber))  # fmt: skip
        self.weight(patient, plan, -1, plan.intake_day, created + timedelta(minutes=25))
        # The baseline: PHQ-9 (and GAD-7, PCL-5 for PTSD) at intake, on the tablet.
        self.scores(patient, plan, created + timedelta(minutes=10), infusions_given=0, linked=True)

    def weight(
        self, patient: Patient, plan: PatientPlan, position: int, day: date, at: datetime
    ) -> WeightMeasurement:
        entered, unit = entered_weight(
            self.weights[(plan.index, position)], in_lb=plan.weight_in_lb
        )
        nurse = self.staff.nurses[0]
        row = make(WeightMeasurement, patient=patient, weight_kg=weight_in_kg(entered, unit),
                                entered_value=entered, entered_unit=unit, measured_on=day,
                                measured_by=nurse, recorded_at=at, recorded_by=nurse)  # fmt: skip
        self.batch.add(row)
        return row

    # ---- courses.services.course_start / course_stop / course_complete_if_all_given ----

    def course(self, patient: Patient, plan: PatientPlan) -> Course | None:
        if plan.kind == "not_started" or not plan.visits:
            return None
        started = patient.created_at + timedelta(days=2, hours=1)
        prescriber = self.staff.prescribers[plan.index % len(self.staff.prescribers)]
        status = {"completed": CourseStatus.COMPLETED, "stopped": CourseStatus.STOPPED,
                  "in_course": CourseStatus.ACTIVE}[plan.kind]  # fmt: skip
        course = make(Course, patient=patient, protocol_key=DEFAULT_PROTOCOL_KEY, protocol=self.protocol,
                        status=status, created_at=started, created_by=prescriber,
                        started_at=started)  # fmt: skip
        self.batch.add(course)
        return course

    # ---- one visit: visits, orders, inventory.use, infusion, recovery services ------

    def visit(self, patient: Patient, plan: PatientPlan, course: Course | None, item: VisitPlan,
              position: int, key: int) -> tuple[Visit, datetime | None, User]:  # fmt: skip
        start = visit_start(item)
        desk = self.staff.desk
        nurse = self.staff.nurses[(key + item.slot) % len(self.staff.nurses)]
        prescriber = self.staff.prescribers[key % len(self.staff.prescribers)]
        booked = (course.created_at + timedelta(minutes=30)) if course is not None and item.number else (
            start - timedelta(days=7))  # fmt: skip
        visit = make(
            Visit,
            patient=patient,
            course=course if item.number is not None else None,
            number_in_course=item.number,
            scheduled_start=start,
            room=self.rooms[item.room],
            planned_preparation_min=self.protocol["preparation_min"],
            planned_infusion_min=item.duration_min,
            planned_recovery_min=self.protocol["recovery_min"],
            created_at=booked,
            created_by=desk,
            state=VisitState.SCHEDULED,
            state_changed_at=booked,
            state_changed_by=desk,
        )
        self.batch.add(visit)
        if item.state == "scheduled":
            return visit, None, nurse
        if item.state == "did_not_attend":
            self._move(visit, VisitState.DID_NOT_ATTEND, start + timedelta(minutes=30), desk,
                       reason=DNA_REASON)  # fmt: skip
            return visit, None, nurse

        def at(minutes: int) -> datetime:
            return start + timedelta(minutes=minutes)

        self._move(visit, VisitState.CHECKED_IN, at(0), desk)
        # The kiosk's PHQ-9 (GAD-7, PCL-5 at some infusions) before the checks.
        if item.number is not None:
            self.scores(patient, plan, at(2), infusions_given=item.infusions_before,
                        linked=item.number in LINKED_AT_INFUSION)  # fmt: skip
        else:
            self.scores(patient, plan, at(2), infusions_given=item.infusions_before,
                        days_after_course=item.days_after_course, days_after_booster=self._since_booster(plan, item.day))  # fmt: skip
        weight = self.weight(patient, plan, position, item.day, at(5))
        pre = self._vitals(visit, nurse, at(6), rise=(0, 0, 0))
        self.batch.add(make(FastingRecord, visit=visit, recorded_at=at(7), recorded_by=nurse,
                                     last_solid_food_at=at(-60 * self.rng.randint(6, 12)),
                                     last_clear_fluids_at=at(-self.rng.randint(150, 240))))  # fmt: skip
        self.batch.add(make(EscortConfirmation, visit=visit, recorded_at=at(7), recorded_by=nurse,
                                          name=plan.escort_name, phone=plan.escort_phone))  # fmt: skip
        self.batch.add(
            make(MedicationReview, visit=visit, recorded_at=at(8), recorded_by=nurse, reviewed=True)
        )
        attempts = 1 if self.rng.random() < 0.88 else (2 if self.rng.random() < 0.85 else 3)
        self.batch.add(make(IvAccess, visit=visit, recorded_at=at(9), recorded_by=nurse,
                                site=self.rng.choice(IV_SITES), gauge=self.rng.choice((20, 22, 22)),
                                attempts=attempts, placed_by=nurse))  # fmt: skip
        self._move(visit, VisitState.CHECKS_DONE, at(10), nurse)
        self._move(visit, VisitState.READY, at(12), nurse)
        figures = order_figures(weight.weight_kg, item.dose_mg_per_kg, item.duration_min)
        order = make(InfusionOrder,
            visit=visit, ordered_by=prescriber, ordered_at=at(13), weight_kg=weight.weight_kg,
            weight_measured_on=item.day, dose_mg_per_kg=Decimal(str(item.dose_mg_per_kg)),
            duration_min=item.duration_min, vial_strength_mg_per_ml=Decimal("50.0"),
            concentration_mg_per_ml=Decimal(str(figures.concentration_mg_per_ml)),
            care_area="depression", plan=figures.plan_json, verdict=figures.verdict,
            override_reason=figures.override_reason,
        )  # fmt: skip
        self.batch.add(order)
        lines = self.draws[key]
        lots = sorted({self.containers[line.vial].lot.lot_number for line in lines})
        preparation = make(SyringePreparation, order=order, prepared_by=nurse, prepared_at=at(15),
                                         vial_lots=", ".join(lots)[:200],
                                         stock_volume_ml=figures.stock_volume_ml,
                                         diluent_volume_ml=figures.diluent_volume_ml)  # fmt: skip
        self.batch.add(preparation)
        for line in lines:
            self.batch.add(make(StockEntry, container=self.containers[line.vial], kind=EntryKind.DRAWN,
                                      mg=line.mg, at=at(15), by=nurse, visit=visit,
                                      preparation=preparation, notes=f"{line.volume_ml} mL"))  # fmt: skip
        self.batch.add(
            make(
                SyringeVerification,
                preparation=preparation,
                verified_by=prescriber,
                verified_at=at(16),
            )
        )
        run = pump_run(
            figures, weight_kg=weight.weight_kg, started_at=at(20), titrate_down=item.titrate_down
        )
        self._move(visit, VisitState.INFUSING, at(20), nurse)
        for event, step in zip(run.events, run.steps, strict=True):
            self.batch.add(make(PumpEvent,
                visit=visit, at=event.at, kind=event.kind.value, by=nurse, step=step,
                rate_ml_per_h=None if event.rate_ml_per_h is None else Decimal(f"{event.rate_ml_per_h:.1f}"),
            ))  # fmt: skip
        if self.rng.random() < 0.3:
            self.batch.add(
                make(
                    SessionNote,
                    visit=visit,
                    at=at(21),
                    kind=NoteKind.SETTING,
                    text=self.rng.choice(SETTING_NOTES),
                    by=nurse,
                )
            )
        hypertensive = item.adverse == "hypertension"
        self._vitals(
            visit,
            nurse,
            at(45),
            rise=(40 if hypertensive else 16, 14 if hypertensive else 11, 6),
            base=pre,
        )
        if item.adverse is not None:
            description, intervention = ADVERSE_TEXT[item.adverse]
            self.batch.add(make(AdverseEvent, visit=visit, at=at(46), kind=item.adverse,
                                        description=description, intervention=intervention, by=nurse))  # fmt: skip
        dissociation = round(
            self.rng.gauss(3.5 + 6 * (item.dose_mg_per_kg - 0.5) - 0.3 * (item.number or 6), 1.6)
        )
        self.response(patient, "dissociation", [max(0, min(10, dissociation))], at(50), nurse)
        stop = run.stopped_at
        self._move(visit, VisitState.RECOVERY, stop, nurse)
        self._vitals(visit, nurse, stop + timedelta(minutes=10), rise=(4, 2, 0), base=pre)
        aldrete = [2, 2, 2, 2, 2] if self.rng.random() < 0.85 else [1, 2, 2, 2, 2]
        self.response(patient, "aldrete", aldrete, stop + timedelta(minutes=20), nurse)
        self.batch.add(make(DischargeReview, visit=visit, side_effects_resolved=True, advice_given=True,
                                       at=stop + timedelta(minutes=25), by=nurse))  # fmt: skip
        self.batch.add(make(EscortHandover, visit=visit, escort_name=plan.escort_name, escort_phone=plan.escort_phone,
                                      at=stop + timedelta(minutes=28), by=nurse))  # fmt: skip
        self._account(visit, preparation, lines, run.given_mg, run.given_source, nurse, prescriber,
                      stop + timedelta(minutes=29))  # fmt: skip
        discharged = stop + timedelta(minutes=32)
        self._move(visit, VisitState.DISCHARGED, discharged, nurse)
        return visit, discharged, nurse

    def _account(self, visit: Visit, preparation: SyringePreparation, lines: list[Draw], given: Decimal,
                 source: str, nurse: User, witness: User, at: datetime) -> None:  # fmt: skip
        """As inventory.services.use._account: given per container in draw order, the rest wasted."""
        drawn = sum((line.mg for line in lines), Decimal("0.00"))
        to_give = given
        for line in lines:
            given_here = min(line.mg, to_give)
            to_give -= given_here
            wasted_here = line.mg - given_here
            container = self.containers[line.vial]
            if given_here > 0:
                self.batch.add(make(StockEntry, container=container, kind=EntryKind.GIVEN, mg=given_here,
                                          at=at, by=nurse, visit=visit, preparation=preparation))  # fmt: skip
            if wasted_here > 0:
                self.batch.add(make(StockEntry, container=container, kind=EntryKind.WASTED, mg=wasted_here,
                                          at=at, by=nurse, visit=visit, preparation=preparation,
                                          witness=witness))  # fmt: skip
        self.batch.add(make(SyringeAccount, preparation=preparation, visit=visit, drawn_mg=drawn,
                                      given_mg=given, wasted_mg=drawn - given, given_source=source,
                                      by=nurse, witness=witness if drawn > given else None, at=at))  # fmt: skip

    def _move(
        self, visit: Visit, to: VisitState, at: datetime, by: User, *, reason: str = ""
    ) -> None:
        """As visits.services.visit_transition: the row's state and milestone, and a transition."""
        from ketamine_clinic.visits.models import MILESTONE_FIELDS

        self.batch.add(
            make(
                VisitTransition,
                visit=visit,
                from_state=visit.state,
                to_state=to,
                at=at,
                by=by,
                reason=reason,
            )
        )
        visit.state, visit.state_changed_at, visit.state_changed_by = to, at, by
        at_field, by_field = MILESTONE_FIELDS.get(to, ("", ""))
        if at_field and getattr(visit, at_field) is None:
            setattr(visit, at_field, at)
            setattr(visit, by_field, by)
        if to in (VisitState.CANCELLED, VisitState.DID_NOT_ATTEND, VisitState.ABORTED):
            visit.end_reason = reason

    def _vitals(self, visit: Visit, nurse: User, at: datetime, *, rise: tuple[int, int, int],
                base: VitalsReading | None = None) -> VitalsReading:  # fmt: skip
        """Before: a resting adult's vitals; during: the Yale series' mean rise (+16/+11
        mmHg, SD 11.2/8.5, clinical.md); after: close to the start."""
        if base is None:
            sbp, dbp, hr = (
                round(self.rng.gauss(124, 12)),
                round(self.rng.gauss(78, 8)),
                round(self.rng.gauss(74, 9)),
            )
        else:
            sbp = base.systolic_mmhg + round(self.rng.gauss(rise[0], 11.2 if rise[0] else 5))
            dbp = base.diastolic_mmhg + round(self.rng.gauss(rise[1], 8.5 if rise[1] else 4))
            hr = base.heart_rate_per_min + round(self.rng.gauss(rise[2], 5))
        dbp = max(45, min(125, dbp))
        sbp = max(dbp + 20, min(215, sbp))
        reading = make(VitalsReading, visit=visit, recorded_at=at, recorded_by=nurse, taken_at=at,
                                systolic_mmhg=sbp, diastolic_mmhg=dbp,
                                heart_rate_per_min=max(45, min(140, hr)),
                                spo2_percent=self.rng.choice((96, 97, 98, 98, 99)),
                                respiratory_rate_per_min=self.rng.randint(12, 18),
                                source=VitalsSource.MANUAL)  # fmt: skip
        self.batch.add(reading)
        return reading

    def _since_booster(self, plan: PatientPlan, day: date) -> float | None:
        boosters = [
            v.day
            for v in plan.visits
            if v.number is None and v.state == "discharged" and v.day < day
        ]
        return (day - boosters[-1]).days if boosters else None

    # ---- the course's end, and the follow-ups after it ---------------------------

    def close_course(self, course: Course | None, plan: PatientPlan, last_discharge: datetime | None,
                     discharged_by: User) -> None:  # fmt: skip
        if course is None or last_discharge is None:
            return
        prescriber = self.staff.prescribers[plan.index % len(self.staff.prescribers)]
        if plan.kind == "completed":
            # course_complete_if_all_given: at the last discharge, by the discharging nurse.
            course.ended_at = last_discharge
            course.ended_by = discharged_by
        elif plan.kind == "stopped":
            course.ended_at = last_discharge + timedelta(days=2)
            course.ended_by = prescriber
            course.stop_reason = plan.stop_reason

    def follow_ups(self, patient: Patient, plan: PatientPlan) -> None:
        if plan.course_end_day is None:
            return
        days = FOLLOW_UP_DAYS if plan.kind == "completed" else ((28,) if plan.index % 2 else ())
        for after in days:
            day = plan.course_end_day + timedelta(days=after)
            if day > self.plan.end:
                break
            at = _local(day, time(10)) + timedelta(minutes=self.rng.randrange(480))
            self.scores(patient, plan, at, infusions_given=6, days_after_course=after,
                        days_after_booster=self._since_booster(plan, day),
                        linked=after in LINKED_FOLLOW_UP_DAYS)  # fmt: skip

    def write(
        self, plans: Iterable[PatientPlan], keys: dict[tuple[int, int], int]
    ) -> dict[str, int]:
        """All rows of ``plans``; ``keys`` maps (patient, visit position) to its syringe key."""
        chunk = list(plans)
        patients = [self.patient(plan) for plan in chunk]
        # As patient_create: the MRN follows the row's id.
        insert(
            Patient,
            patients,
            with_id=lambda patient: setattr(patient, "mrn", mrn_for_number(patient.pk)),
        )
        for patient, plan in zip(patients, chunk, strict=True):
            self.chart(patient, plan)
            course = self.course(patient, plan)
            last: datetime | None = None
            last_nurse = self.staff.nurses[0]
            for position, item in enumerate(plan.visits):
                _, discharged, nurse = self.visit(
                    patient, plan, course, item, position, keys.get((plan.index, position), -1)
                )
                if discharged is not None and item.number is not None:
                    last, last_nurse = discharged, nurse
            self.close_course(course, plan, last, last_nurse)
            self.follow_ups(patient, plan)
        counts = self.batch.flush(INSERT_ORDER)
        counts[Patient._meta.label] = len(patients)
        return counts


INSERT_ORDER: tuple[type[models.Model], ...] = (
    ConsentSignature, Diagnosis, WeightMeasurement, Course, Visit, VisitTransition, VitalsReading, FastingRecord,
    EscortConfirmation, MedicationReview, IvAccess, InfusionOrder, SyringePreparation,
    SyringeVerification, StockEntry, SyringeAccount, PumpEvent, SessionNote, AdverseEvent,
    DischargeReview, EscortHandover, QuestionnaireResponse, RiskFlag,
)  # fmt: skip
__all__ = ["INSERT_ORDER", "TITRATION_STEP_TEXT", "Staff", "Writer"]
