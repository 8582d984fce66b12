"""Receiving stock: the registration on file, the lot's dates, one labelled vial and one
RECEIVED entry of 500.00 mg each; every refusal names its field and writes nothing."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.inventory.enums import Bucket, EntryKind
from ketamine_clinic.inventory.models import Container, DeaRegistration, Lot, Receipt, StockEntry
from ketamine_clinic.inventory.selectors import lot_balances
from ketamine_clinic.inventory.services import stock
from ketamine_clinic.inventory.services.stock import (
    dea_check_digit_ok,
    registration_record,
    stock_receive,
    supplier_save,
)
from tests.inventory.support import (
    CLINIC_DEA,
    LEDGER_MODELS,
    SUPPLIER_DEA,
    Stock,
    registration,
    row_counts,
    today,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def keeper(personas: dict[str, User]) -> User:
    return personas["custodian"]


def test_a_receipt_labels_each_vial_and_records_500_mg_in_each(keeper: User) -> None:
    store = Stock(keeper)
    receipt = stock_receive(store.request("k2611a", containers=3), by=keeper)
    labels = list(receipt.containers.order_by("label").values_list("label", flat=True))
    assert labels == ["K2611A-01", "K2611A-02", "K2611A-03"]
    assert receipt.lot.lot_number == "K2611A"
    assert (receipt.supplier_name, receipt.supplier_dea_number) == (
        "Synthetic Pharma Distribution",
        SUPPLIER_DEA,
    )
    assert receipt.registration == store.registration
    rows = StockEntry.objects.filter(receipt=receipt).order_by("container__label")
    assert [(e.container.label, e.kind, e.mg, e.by) for e in rows] == [
        (label, EntryKind.RECEIVED, Decimal("500.00"), keeper) for label in labels
    ]
    [balance] = lot_balances()
    assert balance.received_mg == Decimal("1500.00")
    assert balance.buckets[Bucket.ON_HAND] == Decimal("1500.00")
    assert balance.containers == 3 and balance.balances
    [line] = AuditEntry.objects.filter(object_type="stock_receipt")
    assert line.actor == keeper
    assert line.detail["containers"] == labels
    assert line.detail["mg_each"] == "500.00"


def test_a_second_receipt_of_a_lot_continues_its_numbering(keeper: User) -> None:
    store = Stock(keeper)
    store.receive("K2611A", containers=2)
    later = stock_receive(store.request("K2611A", containers=2, invoice="INV-0002"), by=keeper)
    assert list(later.containers.order_by("label").values_list("label", flat=True)) == [
        "K2611A-03",
        "K2611A-04",
    ]
    assert Lot.objects.count() == 1
    [balance] = lot_balances()
    assert balance.received_mg == Decimal("2000.00")


def test_a_supplier_edit_leaves_the_receipts_copy_as_it_was(keeper: User) -> None:
    store = Stock(keeper)
    receipt = stock_receive(store.request(), by=keeper)
    supplier_save(
        by=keeper,
        supplier=store.supplier,
        name="Renamed Distribution",
        address="New address",
        dea_number=SUPPLIER_DEA,
    )
    receipt = Receipt.objects.get(pk=receipt.pk)
    assert receipt.supplier.name == "Renamed Distribution"
    assert receipt.supplier_name == "Synthetic Pharma Distribution"
    assert receipt.supplier_address == "9 Depot Road"


@pytest.mark.parametrize(
    ("number", "ok"),
    [
        ("BK1234563", True),
        ("PA7352014", True),
        ("AB0000000", True),
        ("BK1234564", False),
        ("BK1234560", False),
        ("PA7352013", False),
    ],
)
def test_the_dea_check_digit(number: str, ok: bool) -> None:
    assert dea_check_digit_ok(number) is ok


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("BK123456", stock.DEA_FORMAT),
        ("B11234563", stock.DEA_FORMAT),
        ("BK12345634", stock.DEA_FORMAT),
        ("BK1234564", stock.DEA_CHECK_DIGIT.format(number="BK1234564")),
        (" bk1234564 ", stock.DEA_CHECK_DIGIT.format(number="BK1234564")),
    ],
)
def test_a_bad_dea_number_is_refused_and_nothing_recorded(
    keeper: User, typed: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        registration_record(
            by=keeper,
            number=typed,
            registrant_name="Clinic",
            address="1 Quay",
            expires_on=today() + timedelta(days=90),
        )
    assert refused.value.message_dict == {"number": [message]}
    assert DeaRegistration.objects.count() == 0


def test_a_registration_is_normalised_audited_and_the_newest_is_in_force(keeper: User) -> None:
    first = registration_record(
        by=keeper,
        number=" bk1234563 ",
        registrant_name="Clinic",
        address="1 Quay",
        expires_on=today() + timedelta(days=10),
    )
    assert first.number == CLINIC_DEA
    second = registration_record(
        by=keeper,
        number=CLINIC_DEA,
        registrant_name="Clinic",
        address="1 Quay",
        expires_on=today() + timedelta(days=1000),
    )
    assert stock.current_registration() == second
    assert AuditEntry.objects.filter(object_type="dea_registration").count() == 2


def test_no_receipt_without_a_registration(keeper: User) -> None:
    store = Stock(keeper, with_registration=False)
    with pytest.raises(ValidationError) as refused:
        stock_receive(store.request(), by=keeper)
    assert refused.value.message_dict == {"registration": [stock.NO_REGISTRATION]}
    assert row_counts(*LEDGER_MODELS, Lot) == {
        "StockEntry": 0,
        "Container": 0,
        "Receipt": 0,
        "Lot": 0,
    }


def test_no_receipt_on_an_expired_registration(keeper: User) -> None:
    store = Stock(keeper, with_registration=False)
    lapsed = today() - timedelta(days=1)
    registration(keeper, expires_on=lapsed)
    with pytest.raises(ValidationError) as refused:
        stock_receive(store.request(), by=keeper)
    assert refused.value.message_dict == {
        "registration": [stock.REGISTRATION_EXPIRED.format(day=lapsed)]
    }
    assert Receipt.objects.count() == 0
    # A renewal recorded afterwards is the one in force.
    registration(keeper)
    assert stock_receive(store.request(), by=keeper).container_count == 2


def test_stock_received_on_the_registrations_last_day_is_accepted(keeper: User) -> None:
    store = Stock(keeper, with_registration=False)
    registration(keeper, expires_on=today())
    assert stock_receive(store.request(), by=keeper).containers.count() == 2


def test_a_lot_that_expired_before_it_arrived_is_refused(keeper: User) -> None:
    store = Stock(keeper)
    for expiry in (today(), today() - timedelta(days=3)):
        with pytest.raises(ValidationError) as refused:
            stock_receive(store.request(expiry=expiry), by=keeper)
        assert refused.value.message_dict == {
            "expiry_date": [stock.EXPIRY_BEFORE_RECEIPT.format(day=expiry)]
        }
    assert row_counts(*LEDGER_MODELS, Lot) == {
        "StockEntry": 0,
        "Container": 0,
        "Receipt": 0,
        "Lot": 0,
    }


def test_a_lot_received_again_with_another_expiry_is_refused(keeper: User) -> None:
    store = Stock(keeper)
    first_expiry = today() + timedelta(days=400)
    store.receive("K2611A")
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as refused:
        stock_receive(store.request("K2611A", expiry=first_expiry + timedelta(days=1)), by=keeper)
    assert refused.value.message_dict == {
        "expiry_date": [stock.LOT_EXPIRY_DIFFERS.format(lot="K2611A", day=first_expiry)]
    }
    assert row_counts(*LEDGER_MODELS) == before


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"lot_number": "  "}, "lot_number", stock.REQUIRED),
        ({"invoice_number": ""}, "invoice_number", stock.REQUIRED),
        ({"container_count": 0}, "container_count", stock.COUNT_RANGE),
        ({"container_count": 201}, "container_count", stock.COUNT_RANGE),
    ],
)
def test_a_bad_receipt_field_is_named_and_nothing_written(
    keeper: User, change: dict[str, object], field: str, message: str
) -> None:
    store = Stock(keeper)
    with pytest.raises(ValidationError) as refused:
        stock_receive(replace(store.request(), **change), by=keeper)  # type: ignore[arg-type]
    assert refused.value.message_dict == {field: [message]}
    assert Container.objects.count() == 0


def test_a_receipt_dated_tomorrow_is_refused(keeper: User) -> None:
    store = Stock(keeper, with_registration=False)
    registration(keeper, expires_on=today() + timedelta(days=30))
    with pytest.raises(ValidationError) as refused:
        stock_receive(store.request(received_on=today() + timedelta(days=1)), by=keeper)
    assert refused.value.message_dict == {"received_on": [stock.RECEIVED_IN_FUTURE]}
    assert Receipt.objects.count() == 0
