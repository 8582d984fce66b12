"""Drawing a syringe from named vials and closing it: given per the pump, the rest wasted
before a witness; drawn = given + wasted to the hundredth of a mg.

Known answer for the real infusion: 72.5 kg x 0.5 mg/kg at 1 mg/mL runs at 39.5 mL/h
(tests/infusion/test_infusion.py); stopped after 30 min the pump has given 19.75 mL =
19.75 mg. A syringe drawn with 0.80 mL of 50 mg/mL stock holds 40.00 mg, so 20.25 mg is
waste.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.infusion.services import infusion_start, infusion_stop
from ketamine_clinic.inventory import ledger
from ketamine_clinic.inventory import witness as witness_rules
from ketamine_clinic.inventory.enums import Bucket, EntryKind
from ketamine_clinic.inventory.models import Container, StockEntry, SyringeAccount
from ketamine_clinic.inventory.selectors import lot_balances, syringes_awaiting_account
from ketamine_clinic.inventory.services import use
from ketamine_clinic.inventory.services.stock import ReceiptRequest, stock_receive
from ketamine_clinic.inventory.services.use import (
    DrawLine,
    SyringeFigures,
    lots_drawn,
    syringe_account,
    syringe_draw,
    syringe_figures,
)
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation, SyringeVerification
from ketamine_clinic.orders.selectors import current_order
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from tests.infusion.support import at, make_ready_visit
from tests.inventory.support import (
    LEDGER_MODELS,
    Stock,
    cheap_order,
    entries,
    preparation,
    product,
    row_counts,
    today,
    witness,
)
from tests.visits.support import frozen

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def store(personas: dict[str, User]) -> Stock:
    return Stock(personas["custodian"])


@pytest.fixture
def order(personas: dict[str, User]) -> InfusionOrder:
    return cheap_order(personas["prescriber"])


def _draw(syringe: SyringePreparation, by: User, *lines: tuple[Container, str]) -> list[StockEntry]:
    return syringe_draw(syringe, [DrawLine(c.pk, D(ml)) for c, ml in lines], by=by)


# ---- drawing ----------------------------------------------------------------------------


def test_a_draw_from_two_vials_moves_their_mg_into_the_syringe(
    personas: dict[str, User], store: Stock, order: InfusionOrder
) -> None:
    nurse = personas["nurse"]
    a, b = store.receive("K2611A")
    syringe = preparation(order, nurse, stock_ml="1.20")
    drawn = _draw(syringe, nurse, (a, "0.75"), (b, "0.45"))
    assert [(e.container, e.kind, e.mg, e.notes, e.visit_id) for e in drawn] == [
        (a, EntryKind.DRAWN, D("37.50"), "0.75 mL", order.visit_id),
        (b, EntryKind.DRAWN, D("22.50"), "0.45 mL", order.visit_id),
    ]
    [balance] = lot_balances()
    assert balance.buckets[Bucket.ON_HAND] == D("940.00")
    assert balance.buckets[Bucket.IN_SYRINGE] == D("60.00")
    assert balance.balances
    assert lots_drawn(syringe) == "K2611A"
    assert syringes_awaiting_account() == [syringe]
    [line] = AuditEntry.objects.filter(object_type="stock_draw")
    assert line.detail["draws"] == [
        "K2611A-01: 0.75 mL = 37.50 mg",
        "K2611A-02: 0.45 mL = 22.50 mg",
    ]


def test_a_whole_vial_can_be_drawn_but_not_a_hundredth_more(
    personas: dict[str, User], store: Stock, order: InfusionOrder
) -> None:
    nurse = personas["nurse"]
    [vial] = store.receive("K2611A", containers=1)
    first = preparation(order, nurse)
    _draw(first, nurse, (vial, "9.99"))
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as refused:
        _draw(preparation(order, nurse), nurse, (vial, "0.02"))
    assert refused.value.message_dict == {
        "draws": [use.DRAW_MORE_THAN_LEFT.format(label="K2611A-01", have=D("0.01"), want=D("0.02"))]
    }
    assert row_counts(*LEDGER_MODELS) == before
    _draw(preparation(order, nurse), nurse, (vial, "0.01"))
    assert ledger.container_buckets([vial.pk])[vial.pk][Bucket.ON_HAND] == D("0.00")


def test_a_draw_that_fails_on_its_second_vial_writes_nothing(
    personas: dict[str, User], store: Stock, order: InfusionOrder
) -> None:
    nurse = personas["nurse"]
    a, b = store.receive("K2611A")
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as refused:
        _draw(preparation(order, nurse), nurse, (a, "1.00"), (b, "10.01"))
    assert refused.value.message_dict == {
        "draws": [
            use.DRAW_MORE_THAN_LEFT.format(label="K2611A-02", have=D("10.00"), want=D("10.01"))
        ]
    }
    assert row_counts(*LEDGER_MODELS) == before


def test_each_bad_draw_is_named(
    personas: dict[str, User], store: Stock, order: InfusionOrder
) -> None:
    nurse = personas["nurse"]
    a, b = store.receive("K2611A")
    syringe = preparation(order, nurse, stock_ml="0.73")
    cases: list[tuple[list[DrawLine], str]] = [
        ([], use.DRAW_NONE),
        ([DrawLine(999_999, D("1.00"))], use.DRAW_UNKNOWN.format(pk=999_999)),
        (
            [DrawLine(a.pk, D("0.50")), DrawLine(a.pk, D("0.50"))],
            use.DRAW_TWICE.format(label="K2611A-01"),
        ),
        ([DrawLine(a.pk, D("0"))], use.DRAW_VOLUME.format(label="K2611A-01")),
        ([DrawLine(a.pk, D("-1.00"))], use.DRAW_VOLUME.format(label="K2611A-01")),
        ([DrawLine(a.pk, D("0.755"))], use.DRAW_VOLUME.format(label="K2611A-01")),
        (
            [DrawLine(a.pk, D("0.40")), DrawLine(b.pk, D("0.32"))],
            use.DRAW_TOO_LITTLE.format(want=D("0.73"), have=D("0.72")),
        ),
    ]
    before = row_counts(*LEDGER_MODELS)
    for draws, message in cases:
        with pytest.raises(ValidationError) as refused:
            syringe_draw(syringe, draws, by=nurse)
        assert refused.value.message_dict == {"draws": [message]}, draws
    assert row_counts(*LEDGER_MODELS) == before


def test_no_draw_from_an_expired_lot(
    personas: dict[str, User], store: Stock, order: InfusionOrder
) -> None:
    nurse = personas["nurse"]
    expired_on = today() - timedelta(days=1)
    receipt = stock_receive(
        store.request("OLD01", expiry=expired_on, received_on=today() - timedelta(days=30)),
        by=store.keeper,
    )
    vial = receipt.containers.get(label="OLD01-01")
    with pytest.raises(ValidationError) as refused:
        _draw(preparation(order, nurse), nurse, (vial, "1.00"))
    assert refused.value.message_dict == {
        "draws": [use.DRAW_EXPIRED.format(label="OLD01-01", lot="OLD01", day=expired_on)]
    }


def test_no_draw_from_a_vial_of_another_strength(
    personas: dict[str, User], store: Stock, order: InfusionOrder
) -> None:
    nurse = personas["nurse"]
    strong = product(strength_mg_per_ml="100.00", ndc="0409-2051-05")
    request: ReceiptRequest = store.request("K100A")
    receipt = stock_receive(
        ReceiptRequest(**{**request.__dict__, "product": strong}), by=store.keeper
    )
    vial = receipt.containers.first()
    assert vial is not None
    with pytest.raises(ValidationError) as refused:
        _draw(preparation(order, nurse), nurse, (vial, "1.00"))
    assert refused.value.message_dict == {
        "draws": [use.DRAW_STRENGTH.format(label=vial.label, have=D("100.00"), want=D("50.00"))]
    }


# ---- accounting with the pump's record --------------------------------------------------


@pytest.fixture
def infused(personas: dict[str, User], store: Stock) -> tuple[Visit, list[Container]]:
    """A real visit: ready, ordered, syringe verified, run 30 minutes and stopped."""
    visit = make_ready_visit(personas)
    vials = store.receive("K2611A")
    return visit, vials


def _hung_syringe(
    visit: Visit, personas: dict[str, User], stock_ml: str = "0.73"
) -> SyringePreparation:
    order = current_order(visit)
    assert order is not None
    syringe = preparation(order, personas["nurse"], stock_ml=stock_ml)
    SyringeVerification.objects.create(
        preparation=syringe, verified_by=personas["prescriber"], verified_at=timezone.now()
    )
    return syringe


def _run_30_minutes(
    visit: Visit, personas: dict[str, User], syringe: SyringePreparation
) -> SyringePreparation:
    """Start, stop after 30 minutes; the syringe read again, as the next page would."""
    with frozen(at(0)):
        infusion_start(visit, by=personas["nurse"])
    with frozen(at(30)):
        infusion_stop(visit, by=personas["prescriber"])
    return SyringePreparation.objects.get(pk=syringe.pk)


def test_the_syringe_on_the_pump_is_given_per_the_pump_and_the_rest_wasted(
    personas: dict[str, User], infused: tuple[Visit, list[Container]]
) -> None:
    visit, (a, b) = infused
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    syringe = _hung_syringe(visit, personas)
    _draw(syringe, nurse, (a, "0.30"), (b, "0.50"))  # 15.00 + 25.00 mg
    with pytest.raises(ValidationError) as early:
        syringe_account(syringe, by=nurse, witness=witness(prescriber))
    assert early.value.message_dict == {"visit": [use.ACCOUNT_TOO_EARLY.format(state="ready")]}
    syringe = _run_30_minutes(visit, personas, syringe)
    figures = syringe_figures(syringe)
    assert (figures.drawn_mg, figures.given_mg, figures.wasted_mg) == (
        D("40.00"),
        D("19.75"),
        D("20.25"),
    )
    assert figures.given_source == "pump record: 19.75 mL infused at 1.00 mg/mL"
    with pytest.raises(ValidationError) as no_witness:
        syringe_account(syringe, by=nurse, witness=None)
    assert no_witness.value.message_dict == {"witness": [witness_rules.WITNESS_MISSING]}
    assert SyringeAccount.objects.count() == 0
    account = syringe_account(syringe, by=nurse, witness=witness(prescriber))
    assert (account.drawn_mg, account.given_mg, account.wasted_mg, account.witness) == (
        D("40.00"),
        D("19.75"),
        D("20.25"),
        prescriber,
    )
    # Given first from the vial drawn first: all 15.00 of A, then 4.75 of B.
    assert entries(a)[-1:] == [(EntryKind.GIVEN, D("15.00"))]
    assert entries(b)[-2:] == [(EntryKind.GIVEN, D("4.75")), (EntryKind.WASTED, D("20.25"))]
    wasted = StockEntry.objects.get(kind=EntryKind.WASTED)
    assert (wasted.witness, wasted.visit, wasted.preparation) == (prescriber, visit, syringe)
    [balance] = lot_balances()
    assert balance.buckets == {
        Bucket.ON_HAND: D("960.00"),
        Bucket.IN_SYRINGE: D("0.00"),
        Bucket.GIVEN: D("19.75"),
        Bucket.WASTED: D("20.25"),
        Bucket.DISPOSED: D("0.00"),
        Bucket.RETURNED: D("0.00"),
        Bucket.LOST: D("0.00"),
    }
    assert balance.balances
    assert syringes_awaiting_account() == []
    before = row_counts(*LEDGER_MODELS, SyringeAccount)
    with pytest.raises(ValidationError) as again:
        syringe_account(syringe, by=nurse, witness=witness(prescriber))
    assert again.value.message_dict == {"preparation": [use.ACCOUNT_AGAIN]}
    assert row_counts(*LEDGER_MODELS, SyringeAccount) == before


def test_a_syringe_never_hung_is_all_waste(
    personas: dict[str, User], infused: tuple[Visit, list[Container]]
) -> None:
    visit, (a, _) = infused
    nurse = personas["nurse"]
    order = current_order(visit)
    assert order is not None
    spare = preparation(order, nurse)  # drawn, never verified
    _hung_syringe(visit, personas)
    _draw(spare, nurse, (a, "0.80"))
    spare = _run_30_minutes(visit, personas, spare)
    figures = syringe_figures(spare)
    assert (figures.given_mg, figures.wasted_mg) == (D("0.00"), D("40.00"))
    account = syringe_account(spare, by=nurse, witness=witness(personas["custodian"]))
    assert account.wasted_mg == D("40.00")
    assert entries(a)[-1] == (EntryKind.WASTED, D("40.00"))


def test_a_pump_total_above_what_was_drawn_is_refused(
    personas: dict[str, User], infused: tuple[Visit, list[Container]]
) -> None:
    visit, (a, _) = infused
    syringe = _hung_syringe(visit, personas, stock_ml="0.30")
    _draw(syringe, personas["nurse"], (a, "0.30"))  # 15.00 mg, the pump gives 19.75
    syringe = _run_30_minutes(visit, personas, syringe)
    with pytest.raises(ValidationError) as refused:
        syringe_account(syringe, by=personas["nurse"], witness=witness(personas["prescriber"]))
    assert refused.value.message_dict == {
        "given_mg": [use.ACCOUNT_GIVEN_EXCEEDS.format(given=D("19.75"), drawn=D("15.00"))]
    }
    assert SyringeAccount.objects.count() == 0


def test_nothing_drawn_nothing_to_account(personas: dict[str, User]) -> None:
    order = cheap_order(personas["prescriber"], state=VisitState.RECOVERY)
    syringe = preparation(order, personas["nurse"])
    with pytest.raises(ValidationError) as refused:
        syringe_account(syringe, by=personas["nurse"], witness=None)
    assert refused.value.message_dict == {"preparation": [use.ACCOUNT_NOTHING_DRAWN]}


def test_nothing_wasted_needs_no_witness(
    personas: dict[str, User], store: Stock, monkeypatch: pytest.MonkeyPatch
) -> None:
    order = cheap_order(personas["prescriber"], state=VisitState.DISCHARGED)
    [vial] = store.receive("K2611A", containers=1)
    syringe = preparation(order, personas["nurse"])
    _draw(syringe, personas["nurse"], (vial, "0.40"))
    whole = SyringeFigures(syringe, D("20.00"), D("20.00"), D("0.00"), "stub: all given")
    monkeypatch.setattr(use, "syringe_figures", lambda preparation: whole)
    account = syringe_account(syringe, by=personas["nurse"], witness=None)
    assert (account.witness, account.wasted_mg) == (None, D("0.00"))
    assert entries(vial)[-1] == (EntryKind.GIVEN, D("20.00"))
    assert not StockEntry.objects.filter(kind=EntryKind.WASTED).exists()
