"""The demo clinic's ketamine: stock received a week before, every demo syringe drawn
from it, this morning's finished visits accounted for with a witness, and every lot
balancing (received = on hand + in syringes + given + wasted + ...)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ketamine_clinic.demo.seed import seed_demo_clinic
from ketamine_clinic.demo.stock import DEMO_LOTS, seed_demo_stock
from ketamine_clinic.inventory.enums import Bucket, EntryKind
from ketamine_clinic.inventory.models import Receipt, StockEntry, SyringeAccount
from ketamine_clinic.inventory.selectors import expiry_warnings, lot_balances
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.visits.models import Visit

pytestmark = pytest.mark.django_db

LATE_MORNING = datetime(2026, 3, 10, 11, 30, tzinfo=ZoneInfo("America/New_York"))


def test_the_demo_clinic_draws_from_its_safe_and_accounts_for_it() -> None:
    with time_machine.travel(LATE_MORNING, tick=False):
        seed_demo_clinic()
        warnings = expiry_warnings()
        assert seed_demo_stock() == 0  # idempotent
    receipts = Receipt.objects.order_by("lot__lot_number")
    assert [(r.lot.lot_number, r.container_count, str(r.received_on)) for r in receipts] == [
        (lot, vials, "2026-03-03") for lot, _, vials in DEMO_LOTS
    ]
    assert [w.lot.lot_number for w in warnings] == ["KD2601A"]
    syringes = list(SyringePreparation.objects.select_related("order__visit"))
    states = sorted(s.order.visit.state for s in syringes)
    assert states == ["aborted", "discharged", "infusing", "paused", "ready", "recovery"]
    for syringe in syringes:
        drawn = StockEntry.objects.filter(preparation=syringe, kind=EntryKind.DRAWN)
        assert [e.container.lot.lot_number for e in drawn] == ["KD2601A"]
        assert syringe.vial_lots == "KD2601A"
    accounts = {a.visit.state: a for a in SyringeAccount.objects.select_related("visit")}
    assert sorted(accounts) == ["aborted", "discharged"]
    aborted = accounts["aborted"]
    assert aborted.wasted_mg > 0
    assert aborted.witness is not None and aborted.witness.username == "prescriber"
    for account in accounts.values():
        assert account.given_mg + account.wasted_mg == account.drawn_mg
    recovery = Visit.objects.get(state="recovery")
    assert not SyringeAccount.objects.filter(visit=recovery).exists()
    for balance in lot_balances():
        assert balance.balances, balance.lot.lot_number
    (first,) = [b for b in lot_balances() if b.lot.lot_number == "KD2601A"]
    # The four syringes not yet accounted for (recovery, paused, infusing, ready) are
    # still "in syringes"; the two accounted ones are given and wasted.
    open_ids = [s.pk for s in syringes if s.order.visit.state not in accounts]
    in_syringes = sum(
        (e.mg for e in StockEntry.objects.filter(preparation_id__in=open_ids)), Decimal("0.00")
    )
    assert len(open_ids) == 4
    assert first.buckets[Bucket.IN_SYRINGE] == in_syringes > 0
    assert first.buckets[Bucket.GIVEN] == sum(a.given_mg for a in accounts.values())
    assert first.buckets[Bucket.WASTED] == sum(a.wasted_mg for a in accounts.values())
