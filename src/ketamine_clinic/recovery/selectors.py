"""Whether a patient may leave, the advice they take home, and the visit's summary.

Discharge criteria (clinical.md, "Recovery and discharge scores" and the brief): the
protocol's minimum recovery time has passed since the infusion stopped; a modified
Aldrete score of 9 or more recorded during this recovery; side effects resolved or
noted and the advice given; the escort handed over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.infusion.models import AdverseEvent, PumpEvent
from ketamine_clinic.infusion.selectors import delivered_dose
from ketamine_clinic.instruments.definitions import get_instrument
from ketamine_clinic.inventory.selectors import syringes_awaiting_account
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.timeline_types import TimelineEntry
from ketamine_clinic.recovery.models import DischargeReview, EscortHandover
from ketamine_clinic.visits.models import Visit

ALDRETE_DISCHARGE_AT_LEAST = 9  # clinical.md: modified Aldrete, discharge at >= 9

DISCHARGE_ADVICE: tuple[str, ...] = (
    "Do not drive, ride a bike or operate machinery until after a full night's sleep.",
    "Do not go to work, sign contracts or make big decisions until after a full night's sleep.",
    "Go home with your escort and rest; drink water and eat a light meal.",
    "Dizziness, nausea or tiredness usually pass within a few hours.",
    "If anything worries you, call the clinic; in an emergency call 911.",
)


@dataclass(frozen=True)
class Criterion:
    label: str
    met: bool
    detail: str = ""


def _latest_aldrete(visit: Visit) -> QuestionnaireResponse | None:
    if visit.recovery_started_at is None:
        return None
    return (
        QuestionnaireResponse.objects.filter(
            patient=visit.patient,
            instrument_key="aldrete",
            taken_at__gte=visit.recovery_started_at,
        )
        .order_by("-taken_at", "-id")
        .first()
    )


def discharge_criteria(visit: Visit, *, now: datetime | None = None) -> list[Criterion]:
    """Each criterion, met or not, with what the nurse needs to know."""
    now = now or timezone.now()
    started = visit.recovery_started_at
    minimum = timedelta(minutes=visit.planned_recovery_min)
    if started is None:
        time_ok, time_detail = False, "recovery has not started"
    else:
        left = started + minimum - now
        time_ok = left <= timedelta(0)
        time_detail = (
            f"{visit.planned_recovery_min} min reached"
            if time_ok
            else f"{int(left.total_seconds() // 60) + 1} min to go"
        )
    aldrete = _latest_aldrete(visit)
    aldrete_ok = aldrete is not None and (aldrete.total or 0) >= ALDRETE_DISCHARGE_AT_LEAST
    review = DischargeReview.objects.filter(visit=visit).order_by("-at", "-id").first()
    handover = EscortHandover.objects.filter(visit=visit).order_by("-at", "-id").first()
    return [
        Criterion(f"Minimum recovery of {visit.planned_recovery_min} min", time_ok, time_detail),
        Criterion(
            f"Modified Aldrete score {ALDRETE_DISCHARGE_AT_LEAST} or more",
            aldrete_ok,
            "not scored yet" if aldrete is None else f"scored {aldrete.total}",
        ),
        Criterion(
            "Side effects resolved or noted, advice given",
            review is not None and review.advice_given,
            ""
            if review is None
            else ("resolved" if review.side_effects_resolved else review.side_effects_note),
        ),
        Criterion(
            "Escort handover",
            handover is not None,
            "" if handover is None else f"{handover.escort_name}, {handover.escort_phone}",
        ),
    ]


def discharge_problems(visit: Visit, *, from_state: str) -> list[str]:
    """The visit's guard for discharge (``visits.transition_guards``): the unmet criteria."""
    return [
        f"{c.label}: {c.detail}" if c.detail else c.label
        for c in discharge_criteria(visit)
        if not c.met
    ]


UNACCOUNTED_SYRINGE = (
    "The syringe prepared at {time} by {who} has not been accounted for: under "
    "\u201cAccount for the syringe\u201d on the visit page, record what was given and "
    "waste the rest with a witness, then discharge."
)


def discharge_stock_problems(visit: Visit, *, from_state: str) -> list[str]:
    """The visit's other discharge guard: every syringe drawn from the safe for it has
    been closed as given and wasted (a Schedule III record cannot wait for tomorrow)."""
    return [
        UNACCOUNTED_SYRINGE.format(
            time=f"{timezone.localtime(syringe.prepared_at):%H:%M}",
            who=syringe.prepared_by.display_name,
        )
        for syringe in syringes_awaiting_account(visit_id=visit.pk)
    ]


@dataclass(frozen=True)
class VisitSummary:
    """The discharge sheet's summary of what happened."""

    total_dose_mg: float
    total_dose_mg_per_kg: float
    infusing_min: float
    rate_changes: int
    pauses: int
    vitals_count: int
    systolic_max_mmhg: int | None
    diastolic_max_mmhg: int | None
    heart_rate_max_per_min: int | None
    spo2_min_percent: int | None
    adverse_events: list[str]
    scores: list[str]


def visit_summary(visit: Visit) -> VisitSummary:
    dose = delivered_dose(visit)
    vitals = list(visit.vitals.all())
    events = PumpEvent.objects.filter(visit=visit)
    day_start = visit.scheduled_start - timedelta(hours=12)
    day_end = visit.scheduled_start + timedelta(hours=12)
    scores = QuestionnaireResponse.objects.filter(
        patient=visit.patient, taken_at__range=(day_start, day_end)
    ).order_by("taken_at")
    return VisitSummary(
        total_dose_mg=0.0 if dose is None else dose.mg,
        total_dose_mg_per_kg=0.0 if dose is None else dose.mg_per_kg,
        infusing_min=0.0 if dose is None else dose.pump.infusing_min,
        rate_changes=events.filter(kind="rate_change").count(),
        pauses=events.filter(kind="pause").count(),
        vitals_count=len(vitals),
        systolic_max_mmhg=max((v.systolic_mmhg for v in vitals), default=None),
        diastolic_max_mmhg=max((v.diastolic_mmhg for v in vitals), default=None),
        heart_rate_max_per_min=max((v.heart_rate_per_min for v in vitals), default=None),
        spo2_min_percent=min((v.spo2_percent for v in vitals), default=None),
        adverse_events=[
            f"{event.get_kind_display()}"
            + (f" ({event.intervention})" if event.intervention else "")
            for event in AdverseEvent.objects.filter(visit=visit)
        ],
        scores=[
            f"{get_instrument(response.instrument_key).short_name}: "
            f"{response.total if response.total is not None else 'no total'}"
            for response in scores
        ],
    )


def timeline_entries(patient: Patient) -> list[TimelineEntry]:
    entries = [
        TimelineEntry(
            at=handover.at,
            kind="discharge",
            title=f"Handed over to {handover.escort_name}",
            detail=handover.escort_phone,
            actor=handover.by.display_name,
        )
        for handover in EscortHandover.objects.filter(visit__patient=patient).select_related("by")
    ]
    entries.extend(
        TimelineEntry(
            at=review.at,
            kind="discharge",
            title="Discharge review",
            detail="side effects resolved"
            if review.side_effects_resolved
            else f"side effects: {review.side_effects_note}",
            actor=review.by.display_name,
        )
        for review in DischargeReview.objects.filter(visit__patient=patient).select_related("by")
    )
    return entries
