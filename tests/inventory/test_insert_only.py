"""Nothing in the controlled-substance record is edited or deleted: `save` on an existing
row raises on both databases; on PostgreSQL triggers also refuse a queryset update or
delete and a hand-typed SQL statement."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import Model

from ketamine_clinic.accounts.models import User
from ketamine_clinic.insert_only import RECORD_IS_IMMUTABLE
from ketamine_clinic.inventory.enums import DiscrepancyOutcome, EntryKind
from ketamine_clinic.inventory.models import (
    Container,
    Count,
    CountClosure,
    CountEntry,
    CountLine,
    DeaRegistration,
    Discrepancy,
    DiscrepancyResolution,
    Lot,
    Receipt,
    StockEntry,
    SyringeAccount,
)
from ketamine_clinic.inventory.services.counts import (
    count_close,
    count_enter,
    count_start,
    discrepancy_resolve,
    unresolved_discrepancies,
)
from ketamine_clinic.inventory.services.use import DrawLine, SyringeFigures, _account, syringe_draw
from ketamine_clinic.visits.enums import VisitState
from tests.inventory.support import Stock, cheap_order, preparation

pytestmark = pytest.mark.django_db

REFUSED = "controlled-substance records are never edited or deleted"


@pytest.fixture
def record(personas: dict[str, User]) -> list[Model]:
    """One row of every insert-only inventory model."""
    keeper, nurse = personas["custodian"], personas["nurse"]
    [vial] = Stock(keeper).receive("K2611A", containers=1)
    syringe = preparation(cheap_order(personas["prescriber"], state=VisitState.RECOVERY), nurse)
    syringe_draw(syringe, [DrawLine(vial.pk, Decimal("1.00"))], by=nurse)
    _account(
        SyringeFigures(syringe, Decimal("50.00"), Decimal("50.00"), Decimal("0.00"), "stub"),
        by=nurse,
        witness=None,
    )
    count = count_start(by=keeper)
    for who in ("custodian", "prescriber"):
        count_enter(count, by=personas[who], container=vial, counted_ml=Decimal("8.00"))
    count_close(count, by=keeper)
    discrepancy_resolve(
        unresolved_discrepancies()[0],
        by=personas["clinic_lead"],
        outcome=DiscrepancyOutcome.LOSS,
        notes="Spilled",
    )
    models: list[type[Model]] = [
        DeaRegistration,
        Lot,
        Receipt,
        Container,
        StockEntry,
        SyringeAccount,
        Count,
        CountEntry,
        CountClosure,
        CountLine,
        Discrepancy,
        DiscrepancyResolution,
    ]
    rows = [model._default_manager.first() for model in models]
    assert all(row is not None for row in rows)
    return [row for row in rows if row is not None]


def test_save_on_an_existing_row_raises_on_either_database(record: list[Model]) -> None:
    for row in record:
        with pytest.raises(TypeError) as refused:
            row.save()
        assert str(refused.value) == RECORD_IS_IMMUTABLE.format(model=type(row).__name__)


def test_a_fresh_copy_read_back_is_no_more_editable(record: list[Model]) -> None:
    entry = StockEntry.objects.get(kind=EntryKind.LOST)
    entry.mg = Decimal("0.01")
    with pytest.raises(TypeError):
        entry.save(update_fields=["mg"])
    assert StockEntry.objects.get(pk=entry.pk).mg == Decimal("50.00")


@pytest.mark.postgres
def test_postgresql_refuses_a_queryset_update_or_delete_of_any_record(record: list[Model]) -> None:
    for row in record:
        model = type(row)
        rows = model._default_manager.filter(pk=row.pk)
        with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
            rows.update(id=row.pk)
        with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic():
            connection.cursor().execute(
                f"DELETE FROM {model._meta.db_table} WHERE id = %s",  # noqa: S608 - our table
                [row.pk],
            )
        assert rows.exists()


@pytest.mark.postgres
def test_postgresql_refuses_the_ledger_changed_by_hand(record: list[Model]) -> None:
    received = StockEntry.objects.filter(kind=EntryKind.RECEIVED)
    update = rf"{REFUSED}: UPDATE on inventory_stockentry"
    with pytest.raises(DatabaseError, match=update), transaction.atomic():
        received.update(mg=Decimal("5000.00"))
    delete = rf"{REFUSED}: DELETE on inventory_stockentry"
    with pytest.raises(DatabaseError, match=delete), transaction.atomic():
        StockEntry.objects.filter(kind=EntryKind.LOST).delete()
    with (
        pytest.raises(DatabaseError, match=update),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("UPDATE inventory_stockentry SET mg = mg * 2")
    assert [entry.mg for entry in received] == [Decimal("500.00")]
    assert StockEntry.objects.filter(kind=EntryKind.LOST).get().mg == Decimal("50.00")
