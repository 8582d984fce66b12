"""A visit ready for its infusion (every check passed, ordered), and its syringe drawn
from the safe's stock."""

from __future__ import annotations

from datetime import datetime, timedelta

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory.models import Container
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.orders.selectors import current_order, syringe_stock_ml
from ketamine_clinic.orders.services import order_infusion, syringe_prepare, syringe_verify
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_transition
from tests.inventory.stock_support import draw_from, receive_stock
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


def stock_container(personas: dict[str, User]) -> Container:
    """The first vial of lot K2611A, received (under the frozen clock) if the safe is empty."""
    if not Container.objects.exists():
        with frozen():
            receive_stock(personas)
    container = Container.objects.filter(lot__lot_number="K2611A").order_by("label").first()
    assert container is not None
    return container


def prepared(visit: Visit, personas: dict[str, User], *, verify: bool = True) -> SyringePreparation:
    """The order's syringe, its stock drawn from K2611A-01 by the nurse (and verified)."""
    order = current_order(visit)
    assert order is not None
    container = stock_container(personas)
    with frozen():
        syringe = syringe_prepare(
            order, by=personas["nurse"], draws=draw_from(container, syringe_stock_ml(order))
        )
        if verify:
            syringe_verify(syringe, by=personas["prescriber"])
    return syringe
