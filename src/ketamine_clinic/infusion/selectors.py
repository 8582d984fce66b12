"""Reads of a running (or finished) infusion: the room page's numbers and curve."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone

from ketamine_clinic.accounts.models import display_name_fields
from ketamine_clinic.infusion.models import AdverseEvent, PumpEvent, SessionNote
from ketamine_clinic.infusion.pump_state import (
    PumpEventKind,
    PumpEventView,
    PumpState,
    program_of,
    pump_state,
)
from ketamine_clinic.orders.models import InfusionOrder
from ketamine_clinic.orders.selectors import chart_orders, current_order
from ketamine_clinic.patients.chart_rows import shared_query
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.timeline_types import TimelineEntry
from ketamine_clinic.pharmacology.models import get_model
from ketamine_clinic.pharmacology.solver import simulate
from ketamine_clinic.visits.models import Visit

# The predicted curve: every 30 s from the start to an hour past the planned end.
CURVE_STEP_S = 30.0
CURVE_TAIL_S = 3600.0


def _event_view(event: PumpEvent) -> PumpEventView:
    return PumpEventView(
        at=event.at,
        kind=PumpEventKind(event.kind),
        rate_ml_per_h=None if event.rate_ml_per_h is None else float(event.rate_ml_per_h),
    )


def event_views(visit: Visit) -> list[PumpEventView]:
    return [
        _event_view(event) for event in PumpEvent.objects.filter(visit=visit).order_by("at", "id")
    ]


@dataclass(frozen=True)
class DeliveredDose:
    """What the pump has given by ``at``, replayed from its events (no PK needed)."""

    order: InfusionOrder
    events: list[PumpEventView]
    pump: PumpState
    at: datetime

    @property
    def mg(self) -> float:
        return self.pump.infused_ml * float(self.order.concentration_mg_per_ml)

    @property
    def mg_per_kg(self) -> float:
        return self.mg / float(self.order.weight_kg)

    @property
    def remaining_ml(self) -> float:
        """What the order still has to give by the record (never below zero)."""
        return max(0.0, float(self.order.plan["vtbi_ml"]) - self.pump.infused_ml)


def delivered_dose(visit: Visit, *, now: datetime | None = None) -> DeliveredDose | None:
    """None before the visit has an order; else the pump's record replayed to ``now``."""
    order = current_order(visit)
    if order is None:
        return None
    at = now or timezone.now()
    events = event_views(visit)
    return DeliveredDose(order=order, events=events, pump=pump_state(events, at), at=at)


def delivered_doses(
    visits: Sequence[Visit], *, now: datetime | None = None
) -> dict[int, DeliveredDose]:
    """``delivered_dose`` for many visits in two queries (a chart or report lists a course's
    infusions); a visit without an order has no entry."""
    ids = [visit.pk for visit in visits]
    return _doses(
        InfusionOrder.objects.filter(visit_id__in=ids).order_by("ordered_at", "id"),
        PumpEvent.objects.filter(visit_id__in=ids).order_by("at", "id"),
        now,
    )


def patient_delivered_doses(
    patient: Patient, visits: Sequence[Visit], *, now: datetime | None = None
) -> dict[int, DeliveredDose]:
    """``delivered_doses`` of the patient's ``visits``, from the orders and pump events
    the chart's timeline reads anyway (``chart_orders``, ``chart_pump_events``)."""
    ids = {visit.pk for visit in visits}
    orders = [order for order in chart_orders(patient) if order.visit_id in ids]
    events = [event for event in chart_pump_events(patient) if event.visit_id in ids]
    return _doses(
        sorted(orders, key=lambda order: (order.ordered_at, order.pk)),
        sorted(events, key=lambda event: (event.at, event.pk)),
        now,
    )


def _doses(
    orders: Iterable[InfusionOrder], events: Iterable[PumpEvent], now: datetime | None
) -> dict[int, DeliveredDose]:
    """Per visit, its order in force and its pump replayed; both oldest first."""
    in_force: dict[int, InfusionOrder] = {}
    # Oldest first, so the last one kept per visit is the order in force (current_order).
    for order in orders:
        in_force[order.visit_id] = order
    by_visit: dict[int, list[PumpEventView]] = defaultdict(list)
    for event in events:
        by_visit[event.visit_id].append(_event_view(event))
    at = now or timezone.now()
    return {
        visit_id: DeliveredDose(
            order=order, events=by_visit[visit_id], pump=pump_state(by_visit[visit_id], at), at=at
        )
        for visit_id, order in in_force.items()
    }


@dataclass(frozen=True)
class InfusionStatus:
    """What the room page shows: the pump now, the dose so far, the predicted Cp."""

    order: InfusionOrder
    pump: PumpState
    delivered_mg: float
    delivered_mg_per_kg: float
    remaining_ml: float
    remaining_min: float | None  # None while paused or stopped
    curve_t_min: list[float]
    curve_cp_ng_per_ml: list[float]
    cp_now_ng_per_ml: float | None
    model_warning: str


def infusion_status(visit: Visit, *, now: datetime | None = None) -> InfusionStatus | None:
    """None before the infusion has an order; otherwise the numbers at ``now``.

    The predicted curve uses Domino's model (the engine's default) for the order's
    weight and the pump events as they happened, then the current rate to the end.
    """
    dose = delivered_dose(visit, now=now)
    if dose is None:
        return None
    order, pump, events = dose.order, dose.pump, dose.events
    now = dose.at
    concentration = float(order.concentration_mg_per_ml)
    weight = float(order.weight_kg)
    delivered_mg = dose.mg
    remaining_ml = dose.remaining_ml
    remaining_min = 60.0 * remaining_ml / pump.rate_ml_per_h if pump.running else None
    curve_t: list[float] = []
    curve_cp: list[float] = []
    cp_now: float | None = None
    warning = ""
    if pump.started_at is not None:
        model = get_model().for_patient(weight_kg=weight)
        warning = " ".join(model.warnings)
        timeline = list(events)
        elapsed_s = (now - pump.started_at).total_seconds()
        if pump.running and remaining_min is not None:
            # Project the current rate to the end of the syringe, then stop.
            timeline.append(
                PumpEventView(now + timedelta(minutes=remaining_min), PumpEventKind.STOP, None)
            )
        program = program_of(timeline, concentration_mg_per_ml=concentration)
        last_s = max(program.rate_change_times_s or (0.0,))
        grid = np.arange(0.0, last_s + CURVE_TAIL_S + CURVE_STEP_S, CURVE_STEP_S)
        # One solve for the curve and "now" (the solver takes times in any order).
        cp = simulate(model, program, np.append(grid, max(0.0, elapsed_s))).cp_ng_per_ml
        curve_t = [float(t) / 60.0 for t in grid]
        curve_cp = [float(c) for c in cp[:-1]]
        cp_now = float(cp[-1])
    return InfusionStatus(
        order=order,
        pump=pump,
        delivered_mg=delivered_mg,
        delivered_mg_per_kg=delivered_mg / weight,
        remaining_ml=remaining_ml,
        remaining_min=remaining_min,
        curve_t_min=curve_t,
        curve_cp_ng_per_ml=curve_cp,
        cp_now_ng_per_ml=cp_now,
        model_warning=warning,
    )


def chart_pump_events(patient: Patient) -> list[PumpEvent]:
    """Every pump event of the patient, in the model's order, with only the columns the
    chart shows (see visits.selectors.chart_visits): its timeline, and the doses of its
    trajectories (``patient_delivered_doses``); read once per chart."""
    return shared_query(
        patient,
        "infusion.chart_pump_events",
        PumpEvent.objects.filter(visit__patient=patient)
        .select_related("by")
        .only(
            "visit", "at", "kind", "step", "rate_ml_per_h", "override_reason",
            *display_name_fields("by"),
        ),
    )  # fmt: skip


def chart_adverse_events(patient: Patient) -> list[AdverseEvent]:
    """Every adverse event of the patient, in the model's order, with only the columns the
    chart shows: its timeline and the trajectories' infusion marks; read once per chart."""
    return shared_query(
        patient,
        "infusion.chart_adverse_events",
        AdverseEvent.objects.filter(visit__patient=patient)
        .select_related("by")
        .only("visit", "at", "kind", "description", "intervention", *display_name_fields("by")),
    )


def timeline_entries(patient: Patient) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for event in chart_pump_events(patient):
        rate = f" at {event.rate_ml_per_h} mL/h" if event.rate_ml_per_h is not None else ""
        step = f" ({event.step})" if event.step else ""
        detail = f"soft limit overridden: {event.override_reason}" if event.override_reason else ""
        entries.append(
            TimelineEntry(
                at=event.at,
                kind="infusion",
                title=f"Pump {event.kind.replace('_', ' ')}{step}{rate}",
                detail=detail,
                actor=event.by.display_name,
            )
        )
    entries.extend(
        TimelineEntry(
            at=adverse.at,
            kind="adverse_event",
            title=f"Adverse event: {adverse.get_kind_display()}",
            detail=" · ".join(p for p in (adverse.description, adverse.intervention) if p),
            actor=adverse.by.display_name,
        )
        for adverse in chart_adverse_events(patient)
    )
    entries.extend(
        TimelineEntry(
            at=note.at,
            kind="note",
            title=f"Note: {note.get_kind_display()}",
            detail=note.text,
            actor=note.by.display_name,
        )
        for note in SessionNote.objects.filter(visit__patient=patient)
        .select_related("by")
        .only("at", "kind", "text", *display_name_fields("by"))
    )
    return entries
