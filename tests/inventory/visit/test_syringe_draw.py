"""A syringe is drawn from named containers when it is prepared, in one transaction.

The ready visit (tests/infusion/support.py): 72.5 kg, 0.5 mg/kg = 36.25 mg of base,
0.725 mL of 50 mg/mL stock, which the syringe takes as 0.73 mL (rounded up, never short).
Each refusal names the field (`draws`) and the container, and writes nothing: no
preparation, no stock entry.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory.enums import Bucket, EntryKind
from ketamine_clinic.inventory.ledger import container_buckets
from ketamine_clinic.inventory.models import Container, StockEntry
from ketamine_clinic.inventory.services.use import (
    DRAW_EXPIRED,
    DRAW_MORE_THAN_LEFT,
    DRAW_NONE,
    DRAW_STRENGTH,
    DRAW_TOO_LITTLE,
    DrawLine,
)
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.orders.selectors import current_order
from ketamine_clinic.orders.services import syringe_prepare
from ketamine_clinic.visits.models import Visit
from tests.infusion.support import make_ready_visit
from tests.inventory.stock_support import receive_lot, receive_stock, vial_product
from tests.visits.support import NOW, frozen

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(personas: dict[str, User]) -> Visit:
    return make_ready_visit(personas)


@pytest.fixture
def vials(personas: dict[str, User]) -> dict[str, Container]:
    with frozen(NOW - timedelta(days=7)):
        return {container.label: container for container in receive_stock(personas)}


def _prepare(visit: Visit, nurse: User, *lines: tuple[Container, str]) -> SyringePreparation:
    order = current_order(visit)
    assert order is not None
    draws = [DrawLine(container_id=c.pk, volume_ml=Decimal(ml)) for c, ml in lines]
    with frozen():
        return syringe_prepare(order, by=nurse, draws=draws)


def _refused(visit: Visit, nurse: User, *lines: tuple[Container, str]) -> ValidationError:
    before = (SyringePreparation.objects.count(), StockEntry.objects.count())
    with pytest.raises(ValidationError) as info:
        _prepare(visit, nurse, *lines)
    assert (SyringePreparation.objects.count(), StockEntry.objects.count()) == before
    return info.value


def _on_hand(container: Container) -> Decimal:
    return container_buckets([container.pk])[container.pk][Bucket.ON_HAND]


def test_a_syringe_drawn_from_two_vials_records_each(
    personas: dict[str, User], visit: Visit, vials: dict[str, Container]
) -> None:
    first, second = vials["K2611A-01"], vials["K2702B-01"]
    syringe = _prepare(visit, personas["nurse"], (first, "0.40"), (second, "0.33"))
    assert syringe.stock_volume_ml == Decimal("0.73")
    assert syringe.vial_lots == "K2611A, K2702B"
    drawn = StockEntry.objects.filter(preparation=syringe).order_by("id")
    assert [(e.container.label, e.kind, e.mg, e.notes, e.visit_id) for e in drawn] == [
        ("K2611A-01", EntryKind.DRAWN, Decimal("20.00"), "0.40 mL", visit.pk),
        ("K2702B-01", EntryKind.DRAWN, Decimal("16.50"), "0.33 mL", visit.pk),
    ]
    assert (_on_hand(first), _on_hand(second)) == (Decimal("480.00"), Decimal("483.50"))
    bucket = container_buckets([first.pk])[first.pk][Bucket.IN_SYRINGE]
    assert bucket == Decimal("20.00")


def test_no_draw_at_all_is_refused(personas: dict[str, User], visit: Visit) -> None:
    refused = _refused(visit, personas["nurse"])
    assert refused.message_dict == {"draws": [DRAW_NONE]}


def test_less_than_the_order_needs_is_refused(
    personas: dict[str, User], visit: Visit, vials: dict[str, Container]
) -> None:
    refused = _refused(
        visit, personas["nurse"], (vials["K2611A-01"], "0.40"), (vials["K2611A-02"], "0.30")
    )
    message = DRAW_TOO_LITTLE.format(want=Decimal("0.73"), have=Decimal("0.70"))
    assert refused.message_dict == {"draws": [message]}


def test_an_expired_lot_is_refused(personas: dict[str, User], visit: Visit) -> None:
    keeper = personas["custodian"]
    # Received in January, it expired the day before the visit.
    with frozen(NOW - timedelta(days=60)):
        (old,) = receive_lot(keeper, "K2512X", NOW.date() - timedelta(days=1))
    refused = _refused(visit, personas["nurse"], (old, "0.73"))
    message = DRAW_EXPIRED.format(label="K2512X-01", lot="K2512X", day="2026-03-09")
    assert refused.message_dict == {"draws": [message]}
    assert refused.error_dict["draws"][0].params == {"container_id": old.pk}


def test_a_vial_of_another_strength_is_refused(personas: dict[str, User], visit: Visit) -> None:
    weak = vial_product(strength_mg_per_ml="10.00", ndc="0409-2051-05")
    with frozen(NOW - timedelta(days=7)):
        (vial,) = receive_lot(personas["custodian"], "K10MG", NOW.date() + timedelta(days=300), 1,
                              product=weak)  # fmt: skip
    refused = _refused(visit, personas["nurse"], (vial, "3.63"))
    message = DRAW_STRENGTH.format(label="K10MG-01", have=Decimal("10.00"), want=Decimal("50.00"))
    assert refused.message_dict == {"draws": [message]}


def test_a_vial_with_too_little_left_is_refused_and_the_first_syringe_stands(
    personas: dict[str, User], visit: Visit, vials: dict[str, Container]
) -> None:
    vial = vials["K2702B-01"]
    # A first syringe took 9.50 mL (more than the order needs is allowed: the rest is
    # waste when it is accounted for); 0.50 mL (25.00 mg) is left.
    _prepare(visit, personas["nurse"], (vial, "9.50"))
    assert _on_hand(vial) == Decimal("25.00")
    refused = _refused(visit, personas["nurse"], (vials["K2611A-01"], "0.10"), (vial, "0.63"))
    message = DRAW_MORE_THAN_LEFT.format(label="K2702B-01", have=Decimal("0.50"), want="0.63")
    assert refused.message_dict == {"draws": [message]}
    assert refused.error_dict["draws"][0].params == {"container_id": vial.pk}
    assert _on_hand(vials["K2611A-01"]) == Decimal("500.00")


def test_a_refused_preparation_leaves_no_syringe_even_when_its_order_was_fine(
    personas: dict[str, User], visit: Visit, vials: dict[str, Container]
) -> None:
    """The preparation row is written before the draw: the draw's refusal rolls it back."""
    _refused(visit, personas["nurse"], (vials["K2611A-01"], "0.05"))
    assert not SyringePreparation.objects.filter(order__visit=visit).exists()
