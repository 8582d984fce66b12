"""Reads of the record: the per-lot balance as it stood at the end of a day, expiry
warnings within the window, and the syringes waiting to be accounted for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.test import override_settings

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory.enums import Bucket
from ketamine_clinic.inventory.selectors import expiry_warnings, lot_balances, stock_on_hand
from ketamine_clinic.inventory.services.stock import stock_receive
from ketamine_clinic.inventory.services.use import DrawLine, syringe_draw
from tests.inventory.support import Stock, cheap_order, preparation

pytestmark = pytest.mark.django_db

D = Decimal
# 10:00 in New York on two days; "end of day" is the clinic's local day.
MONDAY = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
TUESDAY = MONDAY + timedelta(days=1)


def test_a_lot_balance_as_it_stood_at_the_end_of_a_day(personas: dict[str, User]) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    with time_machine.travel(MONDAY, tick=False):
        store = Stock(keeper)
        [vial, _] = store.receive("K2611A")
    with time_machine.travel(TUESDAY, tick=False):
        syringe = preparation(cheap_order(personas["prescriber"]), nurse)
        syringe_draw(syringe, [DrawLine(vial.pk, D("2.00"))], by=nurse)
    monday, tuesday = MONDAY.date(), TUESDAY.date()
    [before] = lot_balances(at=monday - timedelta(days=1))
    [on_monday] = lot_balances(at=monday)
    [on_tuesday] = lot_balances(at=tuesday)
    assert (before.received_mg, before.buckets[Bucket.ON_HAND]) == (D("0.00"), D("0.00"))
    assert (on_monday.buckets[Bucket.ON_HAND], on_monday.buckets[Bucket.IN_SYRINGE]) == (
        D("1000.00"),
        D("0.00"),
    )
    assert (on_tuesday.buckets[Bucket.ON_HAND], on_tuesday.buckets[Bucket.IN_SYRINGE]) == (
        D("900.00"),
        D("100.00"),
    )
    assert before.balances and on_monday.balances and on_tuesday.balances


@override_settings(KC_CS_EXPIRY_WARNING_DAYS=60)
def test_expiry_warnings_list_lots_on_hand_within_the_window_soonest_first(
    personas: dict[str, User],
) -> None:
    keeper = personas["custodian"]
    with time_machine.travel(MONDAY, tick=False):
        store = Stock(keeper)
        today = MONDAY.date()
        for lot, days in (("SOON", 60), ("LATER", 61), ("NEAR", 10)):
            stock_receive(
                store.request(lot, containers=1, expiry=today + timedelta(days=days)), by=keeper
            )
        stock_receive(
            store.request(
                "GONE", containers=2, expiry=today - timedelta(days=1),
                received_on=today - timedelta(days=30),
            ),
            by=keeper,
        )  # fmt: skip
        warnings = expiry_warnings()
        assert [
            (w.lot.lot_number, w.days_left, w.expired, w.on_hand_mg, w.containers) for w in warnings
        ] == [
            ("GONE", -1, True, D("1000.00"), ["GONE-01", "GONE-02"]),
            ("NEAR", 10, False, D("500.00"), ["NEAR-01"]),
            ("SOON", 60, False, D("500.00"), ["SOON-01"]),
        ]
        rows = stock_on_hand()
        assert [row.container.label for row in rows][:2] == ["GONE-01", "GONE-02"]
        assert all(row.sealed for row in rows)
        assert [row.expired for row in rows] == [True, True, False, False, False]
