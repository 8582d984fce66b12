"""Corrections: a new entry, linked to the wrong one, carrying the signed difference, the
reason and a witness; never taking a bucket below zero, never of a correction, never of
an accounted syringe's given or wasted amounts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.inventory import ledger
from ketamine_clinic.inventory import witness as witness_rules
from ketamine_clinic.inventory.enums import Bucket, EntryKind
from ketamine_clinic.inventory.models import Container, StockEntry
from ketamine_clinic.inventory.selectors import lot_balances
from ketamine_clinic.inventory.services import stock
from ketamine_clinic.inventory.services.stock import entry_correct
from ketamine_clinic.inventory.services.use import DrawLine, SyringeFigures, _account, syringe_draw
from ketamine_clinic.visits.enums import VisitState
from tests.inventory.support import (
    LEDGER_MODELS,
    Stock,
    cheap_order,
    preparation,
    row_counts,
    witness,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def vial(personas: dict[str, User]) -> Container:
    [only] = Stock(personas["custodian"]).receive("K2611A", containers=1)
    return only


def _received(vial: Container) -> StockEntry:
    return StockEntry.objects.get(container=vial, kind=EntryKind.RECEIVED)


def _draw(personas: dict[str, User], vial: Container, ml: str) -> StockEntry:
    syringe = preparation(cheap_order(personas["prescriber"]), personas["nurse"])
    [entry] = syringe_draw(syringe, [DrawLine(vial.pk, D(ml))], by=personas["nurse"])
    return entry


def test_a_short_filled_vial_is_corrected_by_a_linked_negative_entry(
    personas: dict[str, User], vial: Container
) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    original = _received(vial)
    correction = entry_correct(
        original,
        by=keeper,
        difference_mg=D("-20"),
        reason=" Vial holds 9.6 mL on arrival ",
        witness=witness(nurse),
    )
    assert (correction.kind, correction.mg, correction.corrects, correction.witness) == (
        EntryKind.RECEIVED,
        D("-20.00"),
        original,
        nurse,
    )
    assert (correction.notes, correction.receipt_id) == (
        "Vial holds 9.6 mL on arrival",
        original.receipt_id,
    )
    # The wrong entry stands as it was.
    assert StockEntry.objects.get(pk=original.pk).mg == D("500.00")
    [balance] = lot_balances()
    assert (balance.received_mg, balance.buckets[Bucket.ON_HAND]) == (D("480.00"), D("480.00"))
    assert balance.balances
    [line] = AuditEntry.objects.filter(object_type="stock_correction")
    assert (line.detail["corrects"], line.detail["difference_mg"], line.detail["witness"]) == (
        original.pk,
        "-20.00",
        nurse.username,
    )


def test_a_draw_recorded_short_is_corrected_upwards(
    personas: dict[str, User], vial: Container
) -> None:
    drawn = _draw(personas, vial, "1.00")
    correction = entry_correct(
        drawn,
        by=personas["prescriber"],
        difference_mg=D("5.00"),
        reason="1.1 mL was drawn, 1.0 typed",
        witness=witness(personas["nurse"]),
    )
    assert (correction.mg, correction.preparation_id, correction.visit_id) == (
        D("5.00"),
        drawn.preparation_id,
        drawn.visit_id,
    )
    buckets = ledger.container_buckets([vial.pk])[vial.pk]
    assert (buckets[Bucket.ON_HAND], buckets[Bucket.IN_SYRINGE]) == (D("445.00"), D("55.00"))


def test_a_correction_cannot_take_a_bucket_below_zero(
    personas: dict[str, User], vial: Container
) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    drawn = _draw(personas, vial, "2.00")  # 100.00 mg into the syringe, 400.00 on hand
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as on_hand:
        entry_correct(
            _received(vial), by=keeper, difference_mg=D("-400.01"), reason="r",
            witness=witness(nurse),
        )  # fmt: skip
    assert on_hand.value.message_dict == {
        "mg": [
            ledger.NOT_ENOUGH.format(
                label="K2611A-01", have=D("400.00"), where="on hand", want=D("400.01")
            )
        ]
    }
    # The syringe drew 100.00 mg from the vial: no more than that can be taken back.
    with pytest.raises(ValidationError) as in_syringe:
        entry_correct(
            drawn, by=keeper, difference_mg=D("-100.01"), reason="r", witness=witness(nurse)
        )
    assert in_syringe.value.message_dict == {
        "difference_mg": [stock.CORRECT_BELOW_ZERO.format(net=D("100.00"))]
    }
    with pytest.raises(ValidationError) as more_than_left:
        entry_correct(
            drawn, by=keeper, difference_mg=D("400.01"), reason="r", witness=witness(nurse)
        )
    assert list(more_than_left.value.message_dict) == ["mg"]
    assert row_counts(*LEDGER_MODELS) == before
    # Exactly to zero is allowed.
    entry_correct(
        _received(vial), by=keeper, difference_mg=D("-400.00"), reason="r", witness=witness(nurse)
    )
    assert ledger.container_buckets([vial.pk])[vial.pk][Bucket.ON_HAND] == D("0.00")


def test_a_correction_is_not_itself_corrected(personas: dict[str, User], vial: Container) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    first = entry_correct(
        _received(vial), by=keeper, difference_mg=D("-1"), reason="r", witness=witness(nurse)
    )
    with pytest.raises(ValidationError) as refused:
        entry_correct(first, by=keeper, difference_mg=D("1"), reason="r", witness=witness(nurse))
    assert refused.value.message_dict == {"entry": [stock.CORRECT_CORRECTION]}


@pytest.mark.parametrize(
    ("difference", "reason", "credentials_of", "field", "message"),
    [
        (D("0"), "why", "nurse", "difference_mg", stock.CORRECT_ZERO),
        (D("0.004"), "why", "nurse", "difference_mg", stock.CORRECT_ZERO),
        (D("-1"), "   ", "nurse", "reason", stock.CORRECT_REASON),
        (D("-1"), "why", None, "witness", witness_rules.WITNESS_MISSING),
        (D("-1"), "why", "custodian", "witness", witness_rules.WITNESS_IS_ACTOR),
        (D("-1"), "why", "front_desk", "witness", witness_rules.WITNESS_NOT_LICENSED),
    ],
)
def test_a_bad_correction_is_named_and_writes_nothing(
    personas: dict[str, User],
    vial: Container,
    difference: Decimal,
    reason: str,
    credentials_of: str | None,
    field: str,
    message: str,
) -> None:
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as refused:
        entry_correct(
            _received(vial),
            by=personas["custodian"],
            difference_mg=difference,
            reason=reason,
            witness=witness(personas[credentials_of]) if credentials_of else None,
        )
    assert refused.value.message_dict == {
        field: [message.format(name=personas["front_desk"].display_name)]
    }
    assert row_counts(*LEDGER_MODELS) == before


def test_an_accounted_syringe_cannot_be_corrected(
    personas: dict[str, User], vial: Container
) -> None:
    order = cheap_order(personas["prescriber"], state=VisitState.RECOVERY)
    syringe = preparation(order, personas["nurse"])
    [drawn] = syringe_draw(syringe, [DrawLine(vial.pk, D("1.00"))], by=personas["nurse"])
    _account(
        SyringeFigures(syringe, D("50.00"), D("30.00"), D("20.00"), "stub"),
        by=personas["nurse"],
        witness=personas["prescriber"],
    )
    given = StockEntry.objects.get(kind=EntryKind.GIVEN)
    wasted = StockEntry.objects.get(kind=EntryKind.WASTED)
    for entry in (drawn, given, wasted):
        with pytest.raises(ValidationError) as refused:
            entry_correct(
                StockEntry.objects.get(pk=entry.pk),
                by=personas["custodian"],
                difference_mg=D("-1"),
                reason="r",
                witness=witness(personas["nurse"]),
            )
        assert refused.value.message_dict == {"entry": [stock.CORRECT_ACCOUNTED]}


def test_a_draw_cannot_be_corrected_below_what_that_syringe_drew(
    personas: dict[str, User], vial: Container
) -> None:
    """Found by the stateful test: vial X holds 150 mg in two syringes, 50 of them in B;
    taking 100 back from B's draw passed the vial's bucket check, left B at -50 mg from
    X, and B's account then posted given and waste out of its other vial's draw."""
    nurse, keeper = personas["nurse"], personas["custodian"]
    _draw(personas, vial, "2.00")  # syringe A: 100.00 mg
    b_draw = _draw(personas, vial, "1.00")  # syringe B: 50.00 mg
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as refused:
        entry_correct(
            b_draw, by=keeper, difference_mg=D("-100.00"), reason="r", witness=witness(nurse)
        )
    assert refused.value.message_dict == {
        "difference_mg": [stock.CORRECT_BELOW_ZERO.format(net=D("50.00"))]
    }
    assert row_counts(*LEDGER_MODELS) == before
    entry_correct(b_draw, by=keeper, difference_mg=D("-30.00"), reason="r", witness=witness(nurse))
    with pytest.raises(ValidationError) as again:
        entry_correct(
            b_draw, by=keeper, difference_mg=D("-20.01"), reason="r", witness=witness(nurse)
        )
    assert again.value.message_dict == {
        "difference_mg": [stock.CORRECT_BELOW_ZERO.format(net=D("20.00"))]
    }
    entry_correct(b_draw, by=keeper, difference_mg=D("-20.00"), reason="r", witness=witness(nurse))
    buckets = ledger.container_buckets([vial.pk])[vial.pk]
    assert (buckets[Bucket.ON_HAND], buckets[Bucket.IN_SYRINGE]) == (D("400.00"), D("100.00"))


def test_a_draw_accounted_after_the_check_is_still_refused_under_the_lock(
    personas: dict[str, User], vial: Container
) -> None:
    """The accounted check is repeated inside the transaction, under the syringe's lock:
    an entry read (with its syringe) before another user closed the syringe still sees
    it open, as a page loaded a minute earlier would."""
    drawn = _draw(personas, vial, "1.00")
    stale = StockEntry.objects.select_related("preparation").get(pk=drawn.pk)
    assert stale.preparation is not None
    assert not hasattr(stale.preparation, "account")  # read while still open
    _account(
        SyringeFigures(stale.preparation, D("50.00"), D("50.00"), D("0.00"), "stub"),
        by=personas["nurse"],
        witness=None,
    )
    assert not hasattr(stale.preparation, "account")  # the stale copy has not noticed
    before = row_counts(*LEDGER_MODELS)
    with pytest.raises(ValidationError) as refused:
        entry_correct(
            stale,
            by=personas["custodian"],
            difference_mg=D("1.00"),
            reason="r",
            witness=witness(personas["nurse"]),
        )
    assert refused.value.message_dict == {"entry": [stock.CORRECT_ACCOUNTED]}
    assert row_counts(*LEDGER_MODELS) == before
