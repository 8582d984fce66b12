"""Ordering an infusion, preparing its syringe and the second person's check.

Known answer (82 kg, 0.5 mg/kg over 55 min at 1 mg/mL from a 50 mg/mL vial): 41 mg of
base, 0.82 mL of stock + 40.18 mL of diluent, 41 mL to infuse at 44.7 mL/h.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation
from ketamine_clinic.orders.selectors import current_order, timeline_entries, verified_syringe
from ketamine_clinic.orders.services import (
    ORDER_NO_WEIGHT_TODAY,
    VERIFY_SAME_PERSON,
    order_infusion,
    syringe_prepare,
    syringe_verify,
)
from ketamine_clinic.patients.services.weights import weight_record
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_transition
from tests.infusion.support import stock_container
from tests.inventory.stock_support import draw_from
from tests.patients.factories import make_patient
from tests.visits.support import NOW, frozen, make_course, make_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(personas: dict[str, User]) -> Visit:
    patient = make_patient()
    course = make_course(patient, personas["prescriber"])
    visit = make_visit(patient, course, personas["front_desk"])
    with frozen():
        weight_record(
            patient=patient, value=Decimal("82"), unit="kg", measured_on=NOW.date(),
            by=personas["nurse"],
        )  # fmt: skip
    return visit


def order(visit: Visit, prescriber: User, **changes: object) -> InfusionOrder:
    arguments: dict[str, object] = {
        "dose_mg_per_kg": 0.5,
        "duration_min": 55,
        "concentration_mg_per_ml": 1.0,
        **changes,
    }
    with frozen():
        return order_infusion(visit, by=prescriber, **arguments)  # type: ignore[arg-type]


def test_the_order_carries_the_engines_plan(personas: dict[str, User], visit: Visit) -> None:
    placed = order(visit, personas["prescriber"])
    plan = placed.plan
    assert plan["total_base_mg"] == pytest.approx(41.0)
    assert (plan["stock_volume_ml"], plan["diluent_volume_ml"]) == pytest.approx((0.82, 40.18))
    assert (plan["vtbi_ml"], plan["rate_ml_per_h"]) == pytest.approx((41.0, 44.7))
    assert (placed.weight_kg, placed.verdict, placed.override_reason) == (
        Decimal("82.00"),
        "ok",
        "",
    )
    entry = AuditEntry.objects.get(object_type="infusion_order")
    assert (entry.action, entry.patient_id) == ("create", str(visit.patient_id))
    assert current_order(visit) == placed


@pytest.mark.parametrize("role", ["front_desk", "nurse", "custodian", "clinic_lead"])
def test_only_a_prescriber_orders(personas: dict[str, User], visit: Visit, role: str) -> None:
    with pytest.raises(PermissionDenied):
        order(visit, personas[role])
    assert not InfusionOrder.objects.exists()


def test_no_order_without_a_weight_measured_today(personas: dict[str, User]) -> None:
    patient = make_patient("Jo", "Noweight")
    visit = make_visit(patient, make_course(patient, personas["prescriber"]), personas["nurse"])
    with pytest.raises(ValidationError) as info:
        order(visit, personas["prescriber"])
    assert info.value.message_dict == {"weight_kg": [ORDER_NO_WEIGHT_TODAY]}


def test_a_hard_limit_is_refused_whoever_asks(personas: dict[str, User], visit: Visit) -> None:
    # 1.5 mg/kg over 40 min = 2.25 mg/kg/h, over the depression entry's hard 1.5.
    with pytest.raises(ValidationError) as info:
        order(visit, personas["prescriber"], dose_mg_per_kg=1.5, duration_min=40,
              override_reason="I am sure")  # fmt: skip
    assert "dose_mg_per_kg" in info.value.message_dict
    assert not InfusionOrder.objects.exists()


def test_a_soft_limit_needs_the_prescribers_reason(personas: dict[str, User], visit: Visit) -> None:
    # 0.75 mg/kg over 40 min = 1.125 mg/kg/h: above the soft 1.0, below the hard 1.5.
    with pytest.raises(ValidationError) as info:
        order(visit, personas["prescriber"], dose_mg_per_kg=0.75, duration_min=40,
              concentration_mg_per_ml=2.0)  # fmt: skip
    assert list(info.value.message_dict) == ["override_reason"]
    placed = order(
        visit, personas["prescriber"], dose_mg_per_kg=0.75, duration_min=40,
        concentration_mg_per_ml=2.0,
        override_reason="Third infusion; 0.5 mg/kg gave no response, BP stable.",
    )  # fmt: skip
    assert (placed.verdict, placed.override_reason[:14]) == ("soft_breach", "Third infusion")


def test_a_syringe_for_the_current_order_verified_by_someone_else(
    personas: dict[str, User], visit: Visit
) -> None:
    with frozen():
        visit_transition(visit, "checked_in", by=personas["front_desk"])
    placed = order(visit, personas["prescriber"])
    with frozen():
        syringe = syringe_prepare(
            placed, by=personas["nurse"], draws=draw_from(stock_container(personas), "0.82")
        )
    assert syringe.vial_lots == "K2611A"
    assert (syringe.stock_volume_ml, syringe.diluent_volume_ml) == (
        Decimal("0.82"),
        Decimal("40.18"),
    )
    assert verified_syringe(visit) is None
    with pytest.raises(ValidationError) as info:
        syringe_verify(syringe, by=personas["nurse"])
    assert info.value.message_dict == {"verified_by": [VERIFY_SAME_PERSON]}
    with frozen():
        syringe_verify(syringe, by=personas["prescriber"])
    assert verified_syringe(visit) == syringe
    titles = [entry.title for entry in timeline_entries(visit.patient)]
    assert "Syringe verified by a second person" in titles


def test_a_replaced_order_cannot_be_prepared(personas: dict[str, User], visit: Visit) -> None:
    with frozen():
        visit_transition(visit, "checked_in", by=personas["front_desk"])
    first = order(visit, personas["prescriber"])
    order(visit, personas["prescriber"], duration_min=50)
    with pytest.raises(ValidationError) as info:
        syringe_prepare(
            first, by=personas["nurse"], draws=draw_from(stock_container(personas), "1")
        )
    assert list(info.value.message_dict) == ["order"]
    assert not SyringePreparation.objects.exists()


def test_a_syringe_waits_for_check_in(personas: dict[str, User], visit: Visit) -> None:
    placed = order(visit, personas["prescriber"])
    with pytest.raises(ValidationError) as info:
        syringe_prepare(
            placed, by=personas["nurse"], draws=draw_from(stock_container(personas), "1")
        )
    assert list(info.value.message_dict) == ["visit"]
