"""A synthetic clinic day for the demo: today's visits in every state, across six rooms.

The day, in the clinic's time zone (all of it on today's date):

* this morning, finished: a visit discharged, one aborted mid-infusion (pump paused
  for a high blood pressure, then aborted with the dose given so far and the reason),
  and a did-not-attend; both syringes accounted for (given per the pump, the rest
  wasted before the prescriber as witness: demo/stock.py);
* in the clinic now: one in recovery (only its minimum recovery time still to run),
  one infusing, one paused, one ready (order and syringe checked), one with its checks
  done and one just checked in; every syringe is drawn from the demo safe's vials, and
  the one in recovery still waits for its account;
* later: a visit scheduled this afternoon and one cancelled, with its reason.

Everything goes through the clinical services, which stamp their records with
``timezone.now()`` and take no other time (a controlled record must never be
backdated by staff). So the demo replays this morning's visits at their times: it runs
the same services under a travelled clock (``time_machine``, the dev dependency the
demo's virtualenv has), moved along step by step, so that the pump record, the Cp
curve, the audit entries and the discharge criteria are what that morning would have
left. Only the seed does this; the audit chain is ordered by its sequence number, not
by time, so entries stamped earlier than the seed's own still verify.

Times. The morning's visits sit at fixed clock times (from 08:00) and the afternoon's
at 13:00 and 14:00; the visits in the clinic now are laid out back from the real
clock (rounded down to five minutes), so a pump shown running is running now. When the
seed runs early in the day, the morning block moves back so it has finished before
now; in the first hours after midnight there is no time today for it, so it stays at
08:00 and its replay runs ahead of the real clock (the one case in which a demo record
carries a later time than it was written at: until 08:20 its room page shows the pump
not yet started), and the visits in the clinic now are squeezed between midnight and
now so they stay on today's date (a few minutes of infusion, not an hour). A
scheduled visit whose time has passed moves to later today when a room is free, else
keeps its time.
Rooms are given out first-free, so no two visits hold one room at once (a visit holds
its room for preparation + infusion + recovery from its start).

Idempotent: once any of these patients has a visit today, seeding changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.booking.models import Room
from ketamine_clinic.consent.models import ConsentSignature
from ketamine_clinic.consent.services import consent_seed, consent_sign
from ketamine_clinic.consent.synthetic import synthetic_signature_png
from ketamine_clinic.courses.protocols_data import DEFAULT_PROTOCOL_KEY, protocol_for
from ketamine_clinic.courses.selectors import active_course
from ketamine_clinic.courses.services import course_start
from ketamine_clinic.demo.stock import demo_account, demo_draws
from ketamine_clinic.infusion.services import (
    adverse_event_record,
    infusion_abort,
    infusion_pause,
    infusion_start,
    infusion_stop,
    infusion_titrate,
    session_note_record,
)
from ketamine_clinic.inventory.selectors import syringes_awaiting_account
from ketamine_clinic.orders.services import order_infusion, syringe_prepare, syringe_verify
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services.weights import weight_record
from ketamine_clinic.pharmacology.titration import TitrationStep
from ketamine_clinic.recovery.services import (
    discharge_review_record,
    escort_handover_record,
    visit_discharge,
)
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
ROOMS = ("Room 1", "Room 2", "Room 3", "Room 4", "Room 5", "Room 6")

ABORT_PAUSE_REASON = "BP 178/108"
ABORT_REASON = (
    "Demo: blood pressure still above 175/105 eight minutes after pausing the pump; "
    "infusion aborted, prescriber at the bedside."
)
DNA_REASON = "Demo: did not arrive; two calls unanswered, voicemail left."
CANCEL_REASON = "Demo: patient phoned in unwell."
PAUSE_REASON = "Patient asked for a break"


@dataclass(frozen=True)
class DemoVisit:
    first: str
    last: str
    state: str  # how far the seed takes it
    weight_kg: str = "70"


# Patients the other demo seeds leave without a risk flag or a pending queue item, so
# the review queue keeps its own demo items. In the order the rooms are given out.
DEMO_DAY: tuple[DemoVisit, ...] = (
    DemoVisit("Quinn", "Mockford", "recovery", "64"),
    DemoVisit("Remy", "Imaginary", "paused", "83"),
    DemoVisit("Casey", "Fakename", "infusing", "101.6"),
    DemoVisit("Dakota", "Mockup", "ready", "77"),
    DemoVisit("Sage", "Facsimile", "checks_done", "59"),
    DemoVisit("Taylor", "Notreal", "checked_in", "72"),
    DemoVisit("Emerson", "Dummyfield", "discharged", "68"),
    DemoVisit("Jesse", "Madeupson", "aborted", "88"),
    DemoVisit("Kai", "Pretendwell", "did_not_attend"),
    DemoVisit("Harper", "Synthetica", "cancelled"),
    DemoVisit("Rowan", "Exampleby", "scheduled"),
)

# The visits in the clinic now: their start, in minutes back from now (rounded down).
IN_CLINIC_START = {
    "recovery": -95,
    "paused": -60,
    "infusing": -45,
    "ready": -25,
    "checks_done": -15,
    "checked_in": -5,
}
# This morning's: the block's first start (08:00, or earlier so that it is over by now)
# and each visit's minutes after it.
MORNING_AT = time(8)
MORNING_OFFSET = {"discharged": 0, "aborted": 10, "did_not_attend": 15}
MORNING_OVER_BEFORE_NOW = 145  # minutes; its rooms are free before the in-clinic peak
# Later today: the booked clock time (a scheduled one moves later if its time has gone).
LATER_AT = {"cancelled": time(13), "scheduled": time(14)}
CLINICAL_STATES = frozenset(IN_CLINIC_START) | {"discharged", "aborted"}

# Each state's steps, in minutes from the visit's start: the check-in, the nurse's
# records, the checks, the order and syringe, the pump, recovery and discharge.
PREP = [(0, "check_in"), (5, "records"), (10, "checks_done")]
ORDERED = [*PREP, (12, "ready"), (13, "order"), (15, "syringe")]
STEPS: dict[str, list[tuple[int, str]]] = {
    "discharged": [*ORDERED, (20, "start"), (30, "setting_note"), (45, "vitals_infusing"),
                   (75, "stop"), (85, "vitals_recovery"), (90, "aldrete"), (95, "review"),
                   (100, "handover"), (102, "account"), (105, "discharge")],
    "aborted": [*ORDERED, (20, "start"), (36, "high_bp"), (37, "pause_bp"), (44, "high_bp"),
                (45, "abort"), (50, "account")],
    "did_not_attend": [(30, "did_not_attend")],
    "recovery": [*ORDERED, (20, "start"), (45, "vitals_infusing"), (75, "stop"),
                 (80, "vitals_recovery"), (85, "aldrete"), (88, "review"), (90, "handover")],
    "paused": [*ORDERED, (20, "start"), (40, "vitals_infusing"), (55, "pause")],
    "infusing": [*ORDERED, (20, "start"), (30, "titrate"), (33, "vitals_infusing"),
                 (35, "nausea"), (38, "setting_note")],
    "ready": [*ORDERED],
    "checks_done": [*PREP],
    "checked_in": [(2, "check_in"), (3, "desk_escort")],
    "cancelled": [],
    "scheduled": [],
}  # fmt: skip


def _slot_minutes() -> int:
    """How long a visit holds its room: the default protocol's three phases."""
    protocol = protocol_for(DEFAULT_PROTOCOL_KEY)
    return protocol.preparation_min + protocol.infusion_min + protocol.recovery_min


@dataclass
class PlannedVisit:
    demo: DemoVisit
    start: datetime
    steps: list[tuple[datetime, str]]
    room: str | None = None


@dataclass
class DayPlan:
    """The day laid out: each visit's start, room and timed steps, and the moment the
    front desk booked them (before any of it)."""

    now: datetime
    visits: list[PlannedVisit]
    booked_at: datetime
    cancelled_at: datetime


def _at(day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=timezone.get_default_timezone())


def plan_day(
    now: datetime, *, busy: Callable[[str, datetime, datetime], bool] | None = None
) -> DayPlan:
    """Lay out today's demo visits for the real clock ``now`` (pure: reads no table but
    through ``busy(room, start, end)``, which says whether a room is taken already)."""
    zone = timezone.get_default_timezone()
    local = timezone.localtime(now, zone)
    today = local.date()
    # Sums in UTC, so that minutes are real minutes on a daylight-saving day too.
    midnight = _at(today, time.min).astimezone(UTC)
    tomorrow = _at(today + timedelta(days=1), time.min)
    # Appointments on the five minutes, as a diary books them.
    # (zone offsets are whole quarter hours, so five minutes in UTC are five on the wall).
    utc = now.astimezone(UTC)
    base = utc.replace(second=0, microsecond=0) - timedelta(minutes=utc.minute % 5)
    slot = timedelta(minutes=_slot_minutes())
    placed: list[PlannedVisit] = []

    def timed(start: datetime, state: str, squeeze: Callable[[datetime], datetime]) -> PlannedVisit:
        steps = [(squeeze(start + timedelta(minutes=m)), name) for m, name in STEPS[state]]
        return PlannedVisit(demo=by_state[state], start=squeeze(start), steps=steps)

    by_state = {demo.state: demo for demo in DEMO_DAY}
    # In the clinic now, back from now; squeezed into [midnight, now] just after midnight.
    first = base + timedelta(minutes=min(IN_CLINIC_START.values()))

    def squeeze(moment: datetime) -> datetime:
        if first >= midnight:
            return moment
        span = (now - first).total_seconds()
        fraction = (moment - first).total_seconds() / span if span > 0 else 0.0
        squeezed = midnight + timedelta(seconds=fraction * (now - midnight).total_seconds())
        return min(squeezed.replace(microsecond=0), now)

    in_clinic = [
        timed(base + timedelta(minutes=minutes), state, squeeze)
        for state, minutes in IN_CLINIC_START.items()
    ]
    for visit in in_clinic:  # a squeezed start on the minute
        visit.start = visit.start.replace(second=0)
    # This morning: at 08:00 if it is over by then, else earlier; after midnight, 08:00.
    morning = min(_at(today, MORNING_AT), base - timedelta(minutes=MORNING_OVER_BEFORE_NOW))
    if morning < midnight:
        morning = _at(today, MORNING_AT)
    finished = [
        timed(morning + timedelta(minutes=offset), state, lambda moment: moment)
        for state, offset in MORNING_OFFSET.items()
    ]
    taken: list[tuple[str, datetime, datetime]] = []

    def free_room(start: datetime) -> str | None:
        end = start + slot
        for room in ROOMS:
            clash = any(r == room and s < end and start < e for r, s, e in taken)
            if not clash and not (busy is not None and busy(room, start, end)):
                return room
        return None

    def place(visit: PlannedVisit) -> None:
        visit.room = free_room(visit.start)
        if visit.room is not None:
            taken.append((visit.room, visit.start, visit.start + slot))
        placed.append(visit)

    for visit in [*in_clinic, *finished]:
        place(visit)
    for state, clock in LATER_AT.items():
        booked = _at(today, clock)
        candidates = []
        if state == "scheduled" and booked <= now:
            # Its time has gone: later today if a room is free, else as booked.
            candidates = [
                moment
                for minutes in range(15, 24 * 60, 5)
                if (moment := base + timedelta(minutes=minutes)) < tomorrow
            ]
        candidates += [booked + timedelta(minutes=5 * n) for n in range(0, 12 * 12)]
        start = next(
            (moment for moment in candidates if moment < tomorrow and free_room(moment)),
            booked,
        )
        place(PlannedVisit(demo=by_state[state], start=start, steps=[]))
    earliest = min(moment for visit in placed for moment, _ in visit.steps)
    return DayPlan(
        now=now,
        visits=placed,
        booked_at=min(earliest, now) - timedelta(minutes=30),
        # The cancellation came by phone before the clinic opened (or, in the small
        # hours, just now).
        cancelled_at=min(_at(today, time(7, 40)), now),
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


def _records(visit: Visit, demo: DemoVisit, *, nurse: User, now: datetime) -> None:
    """What the nurse records before the checks: weight, PHQ-9, vitals, fasting, escort,
    medication review, IV access."""
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
    name, phone = _escort(patient)
    escort_confirm(visit=visit, by=nurse, name=name, phone=phone)
    medication_review_record(visit=visit, by=nurse, reviewed=True)
    iv_access_record(visit=visit, by=nurse, site="left forearm", gauge=22, attempts=1)


@dataclass(frozen=True)
class _Staff:
    nurse: User
    prescriber: User
    desk: User


def _step(name: str, visit: Visit, demo: DemoVisit, staff: _Staff, now: datetime) -> None:
    """One step of a visit, through the service a member of staff would use."""
    nurse, prescriber, desk = staff.nurse, staff.prescriber, staff.desk
    patient = visit.patient
    # The recovery services read the state from the instance they are given.
    visit.refresh_from_db()
    if name == "check_in":
        visit_transition(visit, "checked_in", by=desk)
    elif name == "desk_escort":
        escort_name, phone = _escort(patient)
        escort_confirm(visit=visit, by=desk, name=escort_name, phone=phone)
    elif name == "records":
        _records(visit, demo, nurse=nurse, now=now)
    elif name in ("checks_done", "ready"):
        visit_transition(visit, name, by=nurse)
    elif name == "order":
        order_infusion(
            visit,
            by=prescriber,
            dose_mg_per_kg=0.5,
            duration_min=visit.planned_infusion_min,
            concentration_mg_per_ml=1.0,
        )
    elif name == "syringe":
        from ketamine_clinic.orders.selectors import current_order

        order = current_order(visit)
        if order is None:  # pragma: no cover - the "order" step comes first
            raise ValueError("the demo visit has no order to prepare")
        syringe = syringe_prepare(order, by=nurse, draws=demo_draws(order))
        syringe_verify(syringe, by=prescriber)
    elif name == "account":
        for syringe in syringes_awaiting_account(visit_id=visit.pk):
            demo_account(syringe, by=nurse)
    elif name == "start":
        infusion_start(visit, by=nurse)
    elif name == "titrate":
        infusion_titrate(visit, by=nurse, step=TitrationStep.by_percent(-10), step_text="-10%")
    elif name == "nausea":
        adverse_event_record(
            visit, by=nurse, kind="nausea", description="Mild", intervention="Ondansetron 4 mg"
        )
    elif name == "setting_note":
        session_note_record(
            visit, by=nurse, kind="setting", text="Eye mask, playlist 2, lights low."
        )
    elif name in ("vitals_infusing", "vitals_recovery"):
        during = name == "vitals_infusing"
        vitals_record(
            visit=visit, by=nurse, taken_at=now, systolic_mmhg=136 if during else 122,
            diastolic_mmhg=86 if during else 76, heart_rate_per_min=82 if during else 72,
            spo2_percent=97 if during else 98, respiratory_rate_per_min=14,
        )  # fmt: skip
    elif name == "high_bp":
        vitals_record(
            visit=visit, by=nurse, taken_at=now, systolic_mmhg=178, diastolic_mmhg=108,
            heart_rate_per_min=96, spo2_percent=97, respiratory_rate_per_min=16,
        )  # fmt: skip
    elif name == "pause_bp":
        infusion_pause(visit, by=nurse, reason=ABORT_PAUSE_REASON)
    elif name == "pause":
        infusion_pause(visit, by=nurse, reason=PAUSE_REASON)
    elif name == "abort":
        infusion_abort(visit, by=prescriber, reason=ABORT_REASON)
    elif name == "stop":
        infusion_stop(visit, by=nurse)
    elif name == "aldrete":
        record_response(patient, "aldrete", ALDRETE_READY, actor=nurse, channel="staff")
    elif name == "review":
        discharge_review_record(visit, by=nurse, side_effects_resolved=True, advice_given=True)
    elif name == "handover":
        escort_name, phone = _escort(patient)
        escort_handover_record(visit, by=nurse, name=escort_name, phone=phone)
    elif name == "discharge":
        # A syringe the demo could not have witnessed (demo_account) keeps the patient
        # in recovery rather than failing the seed: the discharge guard would refuse.
        if not syringes_awaiting_account(visit_id=visit.pk):
            visit_discharge(visit, by=nurse)
    elif name == "did_not_attend":
        visit_transition(visit, "did_not_attend", by=desk, reason=DNA_REASON)
    else:  # pragma: no cover - a typo in STEPS
        raise ValueError(f"unknown demo step {name!r}")


@contextmanager
def _clock(start: datetime) -> Iterator[Callable[[datetime], None]]:
    """The travelled clock the replay runs under; yields a function that moves it.

    ``time_machine`` is a dev dependency (the demo's virtualenv installs it), imported
    here and only here: the seed replays this morning's visits at their times through
    the same services the staff use, which take their time from the clock alone.
    """
    import time_machine

    with time_machine.travel(start, tick=False) as traveller:
        yield traveller.move_to


def _room_busy(room: str, start: datetime, end: datetime) -> bool:
    """Whether a visit already booked (another day's seed, say) holds ``room`` then."""
    slot = timedelta(minutes=_slot_minutes())
    return any(
        visit.scheduled_start < end and start < visit.scheduled_start + timedelta(
            minutes=visit.planned_preparation_min + visit.planned_infusion_min
            + visit.planned_recovery_min
        )
        for visit in Visit.objects.filter(
            room__name=room,
            scheduled_start__lt=end,
            scheduled_start__gt=start - 4 * slot,
        )
    )  # fmt: skip


@transaction.atomic
def seed_demo_day(now: datetime | None = None) -> int:
    """Book and run today's demo visits; return how many visits were made (0 if there)."""
    now = now or timezone.now()
    nurse = User.objects.filter(username="nurse").first()
    prescriber = User.objects.filter(username="prescriber").first()
    desk = User.objects.filter(username="frontdesk").first()
    if nurse is None or prescriber is None or desk is None:
        return 0
    staff = _Staff(nurse=nurse, prescriber=prescriber, desk=desk)
    patients: dict[str, Patient] = {}
    for demo in DEMO_DAY:
        patient = Patient.objects.filter(
            legal_first_name=demo.first, legal_last_name=demo.last
        ).first()
        if patient is not None:
            patients[demo.state] = patient
    today = clinic_date(now)
    if (
        Visit.objects.filter(patient__in=patients.values())
        .filter(
            scheduled_start__gte=_at(today, time.min),
            scheduled_start__lt=_at(today + timedelta(days=1), time.min),
        )
        .exists()
    ):
        return 0
    plan = plan_day(now, busy=_room_busy)
    planned = [visit for visit in plan.visits if visit.demo.state in patients]
    rooms = {room.name: room for room in Room.objects.filter(name__in=ROOMS)}
    visits: dict[str, Visit] = {}
    with _clock(plan.booked_at) as move_to:
        # The front desk's bookings (and, for those who are infused, the screening,
        # consent and course they need), before any of the day happens.
        for number, item in enumerate(planned):
            patient = patients[item.demo.state]
            course = active_course(patient)
            if item.demo.state in CLINICAL_STATES:
                _make_eligible(patient, prescriber, nurse, number)
                course = course or course_start(patient=patient, by=prescriber)
            visits[item.demo.state] = visit_schedule(
                patient=patient,
                scheduled_start=item.start,
                course=course,
                room=rooms.get(item.room) if item.room is not None else None,
                by=desk,
            )
        steps = sorted(
            [(plan.cancelled_at, "cancel", "cancelled")]
            + [(at, name, item.demo.state) for item in planned for at, name in item.steps],
            key=lambda step: step[0],
        )
        for at, name, state in steps:
            if state not in visits:
                continue
            move_to(at)
            if name == "cancel":
                visit_transition(visits[state], "cancelled", by=desk, reason=CANCEL_REASON)
                continue
            demo = next(item.demo for item in planned if item.demo.state == state)
            _step(name, visits[state], demo, staff, at)
    return len(visits)
