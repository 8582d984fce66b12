"""After the infusion a syringe is closed: given per the pump's record, the rest wasted
before a witness who re-enters their password; never twice, never while the pump runs.

The recovering visit (tests/clinicday/support.py): 72.5 kg, 36.25 mg ordered in 36.25 mL
at 1 mg/mL, 39.5 mL/h for 55 min = 36.21 mL (36.21 mg) given; 0.73 mL of 50 mg/mL
stock drawn = 36.50 mg; 0.29 mg to waste.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.infusion.services import infusion_start, infusion_stop
from ketamine_clinic.inventory.enums import Bucket, EntryKind
from ketamine_clinic.inventory.models import StockEntry, SyringeAccount
from ketamine_clinic.inventory.selectors import lot_balances, syringes_awaiting_account
from ketamine_clinic.inventory.services.use import (
    ACCOUNT_AGAIN,
    ACCOUNT_TOO_EARLY,
    syringe_account,
    syringe_figures,
)
from ketamine_clinic.inventory.witness import WITNESS_IS_ACTOR, WITNESS_MISSING
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.orders.services import order_infusion
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_transition
from tests.clinicday.support import infusing_visit, recovering_visit
from tests.infusion.support import at, make_ready_visit, prepared
from tests.inventory.stock_support import witness
from tests.visits.support import frozen

pytestmark = pytest.mark.django_db


def _syringe(visit: Visit) -> SyringePreparation:
    return SyringePreparation.objects.filter(order__visit=visit).latest("prepared_at", "id")


def _nothing_written(syringe: SyringePreparation) -> None:
    assert not SyringeAccount.objects.exists()
    kinds = StockEntry.objects.filter(preparation=syringe).values_list("kind", flat=True)
    assert list(kinds) == [EntryKind.DRAWN]


def test_what_was_given_comes_from_the_pump_record(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    with frozen(at(60)):
        figures = syringe_figures(_syringe(visit))
    assert (figures.drawn_mg, figures.given_mg, figures.wasted_mg) == (
        Decimal("36.50"),
        Decimal("36.21"),
        Decimal("0.29"),
    )
    assert figures.given_source == "pump record: 36.21 mL infused at 1.00 mg/mL"


def test_the_waste_is_recorded_with_its_witness(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    syringe = _syringe(visit)
    with frozen(at(60)):
        account = syringe_account(syringe, by=nurse, witness=witness(prescriber))
    assert (account.drawn_mg, account.given_mg, account.wasted_mg) == (
        Decimal("36.50"),
        Decimal("36.21"),
        Decimal("0.29"),
    )
    assert (account.by, account.witness, account.visit_id) == (nurse, prescriber, visit.pk)
    closing = StockEntry.objects.filter(preparation=syringe).exclude(kind=EntryKind.DRAWN)
    assert sorted((e.kind, e.mg, e.witness_id) for e in closing) == [
        (EntryKind.GIVEN, Decimal("36.21"), None),
        (EntryKind.WASTED, Decimal("0.29"), prescriber.pk),
    ]
    assert syringes_awaiting_account(visit_id=visit.pk) == []
    (lot,) = [b for b in lot_balances() if b.lot.lot_number == "K2611A"]
    assert lot.balances
    buckets = lot.buckets
    assert (buckets[Bucket.GIVEN], buckets[Bucket.WASTED], buckets[Bucket.IN_SYRINGE]) == (
        Decimal("36.21"),
        Decimal("0.29"),
        Decimal("0.00"),
    )


def test_a_wrong_witness_password_is_refused(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    syringe = _syringe(visit)
    wrong = witness(personas["prescriber"], password="not-their-password")
    with frozen(at(60)), pytest.raises(ValidationError) as info:
        syringe_account(syringe, by=personas["nurse"], witness=wrong)
    assert list(info.value.message_dict) == ["witness"]
    assert info.value.message_dict["witness"][0].startswith(
        "The witness's username and password were not accepted"
    )
    _nothing_written(syringe)


def test_the_nurse_cannot_witness_their_own_waste(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    syringe = _syringe(visit)
    with frozen(at(60)), pytest.raises(ValidationError) as info:
        syringe_account(syringe, by=personas["nurse"], witness=witness(personas["nurse"]))
    assert info.value.message_dict == {"witness": [WITNESS_IS_ACTOR]}
    _nothing_written(syringe)


def test_waste_needs_a_witness(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    syringe = _syringe(visit)
    with frozen(at(60)), pytest.raises(ValidationError) as info:
        syringe_account(syringe, by=personas["nurse"], witness=None)
    assert info.value.message_dict == {"witness": [WITNESS_MISSING]}
    _nothing_written(syringe)


def test_a_syringe_given_whole_needs_no_witness(personas: dict[str, User]) -> None:
    """0.4 mg/kg x 72.5 kg = 29.00 mg: 0.58 mL exactly, 29 mL to infuse. The nurse stops
    the pump at 60 min, after it ran out at 55: the pump gave the VTBI, not more."""
    visit = make_ready_visit(personas)
    nurse = personas["nurse"]
    with frozen():
        order_infusion(
            visit, by=personas["prescriber"], dose_mg_per_kg=0.4, duration_min=55,
            concentration_mg_per_ml=1.0,
        )  # fmt: skip
    prepared(visit, personas)
    with frozen(at(0)):
        infusion_start(visit, by=nurse)
    with frozen(at(60)):
        infusion_stop(visit, by=nurse)
    syringe = _syringe(visit)
    with frozen(at(61)):
        figures = syringe_figures(syringe)
        account = syringe_account(syringe, by=nurse, witness=None)
    assert figures.given_source.endswith("(the whole VTBI)")
    assert (account.drawn_mg, account.given_mg, account.wasted_mg) == (
        Decimal("29.00"),
        Decimal("29.00"),
        Decimal("0.00"),
    )
    assert account.witness is None
    assert not StockEntry.objects.filter(kind=EntryKind.WASTED).exists()


def test_a_syringe_is_accounted_for_once(personas: dict[str, User]) -> None:
    visit = recovering_visit(personas)
    syringe = _syringe(visit)
    with frozen(at(60)):
        syringe_account(syringe, by=personas["nurse"], witness=witness(personas["prescriber"]))
        with pytest.raises(ValidationError) as info:
            syringe_account(syringe, by=personas["prescriber"], witness=witness(personas["nurse"]))
    assert info.value.message_dict == {"preparation": [ACCOUNT_AGAIN]}
    assert SyringeAccount.objects.count() == 1
    assert StockEntry.objects.filter(kind=EntryKind.WASTED).count() == 1


def test_not_while_the_pump_runs(personas: dict[str, User]) -> None:
    visit = infusing_visit(personas)
    syringe = _syringe(visit)
    with frozen(at(20)), pytest.raises(ValidationError) as info:
        syringe_account(syringe, by=personas["nurse"], witness=witness(personas["prescriber"]))
    assert info.value.message_dict == {"visit": [ACCOUNT_TOO_EARLY.format(state="infusing")]}
    _nothing_written(syringe)


def test_a_syringe_never_hung_is_all_waste(personas: dict[str, User]) -> None:
    """The order was replaced after the first syringe was drawn: only the second went on
    the pump; the first is wasted whole, before a witness, once the infusion is over."""
    visit = make_ready_visit(personas)
    nurse = personas["nurse"]
    first = prepared(visit, personas, verify=False)
    with frozen():
        order_infusion(
            visit, by=personas["prescriber"], dose_mg_per_kg=0.4, duration_min=55,
            concentration_mg_per_ml=1.0,
        )  # fmt: skip
    second = prepared(visit, personas)
    with frozen(at(0)):
        infusion_start(visit, by=nurse)
    with frozen(at(30)):
        infusion_stop(visit, by=nurse)
    assert syringes_awaiting_account(visit_id=visit.pk) == [first, second]
    with frozen(at(31)):
        never = syringe_account(first, by=nurse, witness=witness(personas["prescriber"]))
        hung = syringe_account(second, by=nurse, witness=witness(personas["prescriber"]))
    assert (never.drawn_mg, never.given_mg, never.wasted_mg) == (
        Decimal("36.50"),
        Decimal("0.00"),
        Decimal("36.50"),
    )
    assert never.given_source.startswith("never on the pump")
    # The second order's 29 mL over 55 min runs at 31.6 mL/h: 15.80 mL in 30 min.
    rate = visit.pump_events.get(kind="start").rate_ml_per_h
    assert rate == Decimal("31.6")
    assert (hung.drawn_mg, hung.given_mg, hung.wasted_mg) == (
        Decimal("29.00"),
        Decimal("15.80"),
        Decimal("13.20"),
    )


def test_an_aborted_visits_unused_syringe_is_wasted_with_a_witness(
    personas: dict[str, User],
) -> None:
    visit = make_ready_visit(personas)
    syringe = prepared(visit, personas)
    with frozen(at(5)):
        visit_transition(visit, "aborted", by=personas["nurse"], reason="Unwell before the start")
        account = syringe_account(
            syringe, by=personas["nurse"], witness=witness(personas["custodian"])
        )
    assert (account.given_mg, account.wasted_mg, account.witness) == (
        Decimal("0.00"),
        Decimal("36.50"),
        personas["custodian"],
    )
