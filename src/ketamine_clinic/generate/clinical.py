"""The numbers of one generated infusion, worked out as the services work them out.

Pure apart from reading the pharmacology engine and the pump replay (no database): the
order's plan comes from ``pharmacology.dosing.plan_infusion`` against the clinic's drug
library (as ``orders.services.order_infusion``), the syringe's stock volume is rounded
as ``orders.selectors.syringe_stock_ml`` rounds it, a titration goes through
``pharmacology.titration.titrate`` (as ``infusion.services.infusion_titrate``), and what
was given is the pump record replayed by ``infusion.pump_state`` and capped at the VTBI
(as ``inventory.services.use.syringe_figures``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from functools import lru_cache
from typing import Any

from ketamine_clinic.infusion.pump_state import PumpEventKind, PumpEventView, pump_state

# The order's stored plan, exactly as order_infusion stores it (its own function).
from ketamine_clinic.orders.services import _plan_as_json as plan_as_json
from ketamine_clinic.pharmacology.dosing import InfusionPlan, plan_infusion
from ketamine_clinic.pharmacology.dosing_errors import InvalidDoseInput
from ketamine_clinic.pharmacology.drug_library import Verdict
from ketamine_clinic.pharmacology.drug_library_data import DEFAULT_CARE_AREA, library_entry
from ketamine_clinic.pharmacology.titration import RunningInfusion, TitrationStep, titrate

VIAL_STRENGTH_MG_PER_ML = 50.0  # orders.services.DEFAULT_VIAL_STRENGTH_MG_PER_ML
SOFT_OVERRIDE_REASON = (
    "Titrated between sessions after a partial response; prescriber reviewed the dose."
)
TITRATION_STEP_TEXT = "-10%"
CENT = Decimal("0.01")


@dataclass(frozen=True)
class OrderFigures:
    plan: InfusionPlan
    plan_json: dict[str, Any]
    concentration_mg_per_ml: float
    verdict: str
    override_reason: str
    stock_volume_ml: Decimal
    diluent_volume_ml: Decimal


@lru_cache(maxsize=65536)
def order_figures(weight_kg: Decimal, dose_mg_per_kg: float, duration_min: int) -> OrderFigures:
    """The order for one weight, dose and duration, at the lowest standard concentration
    whose volume fits a syringe."""
    entry = library_entry(DEFAULT_CARE_AREA)
    last_error: InvalidDoseInput | None = None
    for concentration in entry.standard_concentrations_mg_per_ml:
        try:
            plan = plan_infusion(
                weight_kg=float(weight_kg),
                dose_mg_per_kg=dose_mg_per_kg,
                duration_min=float(duration_min),
                vial_strength_mg_per_ml=VIAL_STRENGTH_MG_PER_ML,
                concentration_mg_per_ml=concentration,
                entry=entry,
            )
        except InvalidDoseInput as error:
            last_error = error
            continue
        soft = plan.check_result.verdict == Verdict.SOFT_BREACH
        stock = Decimal(str(round(float(plan.stock_volume_ml), 6))).quantize(
            CENT, rounding=ROUND_CEILING
        )
        return OrderFigures(
            plan=plan,
            plan_json=plan_as_json(plan),
            concentration_mg_per_ml=concentration,
            verdict=str(plan.check_result.verdict),
            override_reason=SOFT_OVERRIDE_REASON if soft else "",
            stock_volume_ml=stock,
            diluent_volume_ml=Decimal(str(round(plan.diluent_volume_ml, 2))),
        )
    raise ValueError(f"no standard concentration fits: {last_error}")


@dataclass(frozen=True)
class PumpRun:
    """The pump's events (at, kind, rate), when it stopped, and what it gave."""

    events: tuple[PumpEventView, ...]
    steps: tuple[str, ...]
    stopped_at: datetime
    infused_ml: float
    given_mg: Decimal
    given_source: str


def pump_run(
    order: OrderFigures, *, weight_kg: Decimal, started_at: datetime, titrate_down: bool
) -> PumpRun:
    """Start at the order's rate; optionally 10% down after ten minutes (keeping the VTBI);
    stop on the minute once the VTBI has run."""
    plan = order.plan
    rate = float(plan.rate_ml_per_h)
    vtbi = float(plan.vtbi_ml)
    events = [PumpEventView(started_at, PumpEventKind.START, float(f"{rate:.1f}"))]
    steps = [""]
    if titrate_down:
        at = started_at + timedelta(minutes=10)
        infused = rate * 10 / 60
        result = titrate(
            RunningInfusion(
                concentration_mg_per_ml=order.concentration_mg_per_ml,
                weight_kg=float(weight_kg),
                rate_ml_per_h=rate,
                vtbi_ml=vtbi,
                infused_ml=min(infused, vtbi),
                elapsed_min=10.0,
                syringe_contents_ml=vtbi,
            ),
            TitrationStep.by_percent(-10),
            entry=library_entry(DEFAULT_CARE_AREA),
        )
        new_rate = float(f"{result.rate_ml_per_h:.1f}")
        events.append(PumpEventView(at, PumpEventKind.RATE_CHANGE, new_rate))
        steps.append(TITRATION_STEP_TEXT)
        remaining_min = (vtbi - infused) / new_rate * 60
        stopped_at = at + timedelta(minutes=math.ceil(remaining_min))
    else:
        stopped_at = started_at + timedelta(minutes=math.ceil(vtbi / rate * 60))
    events.append(PumpEventView(stopped_at, PumpEventKind.STOP, None))
    steps.append("")
    infused_ml = pump_state(events, stopped_at).infused_ml
    given_ml = min(infused_ml, vtbi)
    concentration = Decimal(str(order.concentration_mg_per_ml)).quantize(CENT)
    source = f"pump record: {given_ml:.2f} mL infused at {concentration} mg/mL"
    if infused_ml > vtbi:
        source += " (the whole VTBI)"
    given = Decimal(str(given_ml * float(concentration))).quantize(CENT)
    return PumpRun(
        events=tuple(events),
        steps=tuple(steps),
        stopped_at=stopped_at,
        infused_ml=infused_ml,
        given_mg=given,
        given_source=source,
    )
