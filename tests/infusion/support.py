"""A visit ready for its infusion (every check passed, ordered), and its syringe."""

from __future__ import annotations

from datetime import datetime, timedelta

from ketamine_clinic.accounts.models import User
from ketamine_clinic.orders.selectors import current_order
from ketamine_clinic.orders.services import order_infusion, syringe_prepare, syringe_verify
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_transition
from tests.visits.support import (
    NOW,
    frozen,
    make_course,
    make_eligible_patient,
    make_visit,
    record_everything,
)


def at(minutes: float) -> datetime:
    return NOW + timedelta(minutes=minutes)


def make_ready_visit(personas: dict[str, User]) -> Visit:
    prescriber, nurse = personas["prescriber"], personas["nurse"]
    patient = make_eligible_patient(prescriber)
    visit = make_visit(patient, make_course(patient, prescriber), personas["front_desk"])
    record_everything(visit, nurse)
    with frozen():
        for state in ("checked_in", "checks_done", "ready"):
            visit_transition(visit, state, by=nurse)
        order_infusion(
            visit, by=prescriber, dose_mg_per_kg=0.5, duration_min=55, concentration_mg_per_ml=1.0
        )
    return visit


def prepared(visit: Visit, personas: dict[str, User], *, verify: bool = True) -> None:
    order = current_order(visit)
    assert order is not None
    with frozen():
        syringe = syringe_prepare(order, by=personas["nurse"], vial_lots="K2611A")
        if verify:
            syringe_verify(syringe, by=personas["prescriber"])
