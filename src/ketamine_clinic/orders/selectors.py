"""Reads of orders and syringes."""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

from ketamine_clinic.accounts.models import display_name_fields
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation
from ketamine_clinic.patients.chart_rows import shared_query
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.timeline_types import TimelineEntry
from ketamine_clinic.visits.models import Visit


def current_order(visit: Visit) -> InfusionOrder | None:
    """The order in force for the visit: the latest one (a change is a new order)."""
    return InfusionOrder.objects.filter(visit=visit).order_by("-ordered_at", "-id").first()


def syringe_stock_ml(order: InfusionOrder) -> Decimal:
    """The mL of vial stock the order's syringe takes, to the syringe's 0.01 mL, rounded up:
    the syringe must hold at least the ordered dose, or the pump's whole VTBI would give
    more than was drawn from the safe."""
    planned = round(float(order.plan["stock_volume_ml"]), 6)
    return Decimal(str(planned)).quantize(Decimal("0.01"), rounding=ROUND_CEILING)


def verified_syringe(visit: Visit) -> SyringePreparation | None:
    """The syringe prepared for the current order and verified by a second person, if any.

    This is what the visit needs before the infusion may start.
    """
    order = current_order(visit)
    if order is None:
        return None
    return (
        SyringePreparation.objects.filter(order=order, verification__isnull=False)
        .order_by("-prepared_at", "-id")
        .first()
    )


INFUSION_START_NO_SYRINGE = (
    "no verified syringe for the current order: prepare it and have a second person verify it"
)


def infusion_start_problems(visit: Visit, *, from_state: str) -> list[str]:
    """The visit's guard for starting the pump (``visits.transition_guards``): a verified
    syringe for the order in force. Resuming after a pause needs nothing new."""
    if from_state == "paused":
        return []
    return [] if verified_syringe(visit) is not None else [INFUSION_START_NO_SYRINGE]


def chart_orders(patient: Patient) -> list[InfusionOrder]:
    """Every infusion order of the patient, in the model's order, with only the columns
    the chart shows (see visits.selectors.chart_visits): its timeline, and the doses of
    its trajectories (infusion.selectors.patient_delivered_doses); read once per chart."""
    return shared_query(
        patient,
        "orders.chart_orders",
        InfusionOrder.objects.filter(visit__patient=patient)
        .select_related("ordered_by")
        .only(
            "visit", "ordered_at", "plan", "weight_kg", "concentration_mg_per_ml",
            "override_reason", "dose_mg_per_kg", "duration_min",
            *display_name_fields("ordered_by"),
        ),
    )  # fmt: skip


def timeline_entries(patient: Patient) -> list[TimelineEntry]:
    """Orders, syringes and verifications on the chart."""
    entries: list[TimelineEntry] = []
    for order in chart_orders(patient):
        plan = order.plan
        detail = (
            f"{order.weight_kg} kg · {plan.get('total_base_mg', 0):.1f} mg base · "
            f"{plan.get('rate_ml_per_h', 0):g} mL/h at {order.concentration_mg_per_ml} mg/mL"
        )
        if order.override_reason:
            detail += f" · soft limit overridden: {order.override_reason}"
        entries.append(
            TimelineEntry(
                at=order.ordered_at,
                kind="order",
                title=f"Infusion ordered: {order.dose_mg_per_kg} mg/kg over {order.duration_min} min",
                detail=detail,
                actor=order.ordered_by.display_name,
            )
        )
    preparations = (
        SyringePreparation.objects.filter(order__visit__patient=patient)
        .select_related("prepared_by", "verification__verified_by")
        .only(
            "prepared_at", "vial_lots", *display_name_fields("prepared_by"),
            "verification__verified_at", *display_name_fields("verification__verified_by"),
        )
    )  # fmt: skip
    for preparation in preparations:
        entries.append(
            TimelineEntry(
                at=preparation.prepared_at,
                kind="order",
                title="Syringe prepared",
                detail=f"Lots: {preparation.vial_lots}",
                actor=preparation.prepared_by.display_name,
            )
        )
        verification = getattr(preparation, "verification", None)
        if verification is not None:
            entries.append(
                TimelineEntry(
                    at=verification.verified_at,
                    kind="order",
                    title="Syringe verified by a second person",
                    actor=verification.verified_by.display_name,
                )
            )
    return entries
