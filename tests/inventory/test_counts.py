"""Counts by two people: they must both count every vial on hand and agree; a difference
from the record opens a discrepancy, and no later count closes until the clinic lead has
resolved it. A confirmed loss takes the missing mg off the record as a LOST entry."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.inventory import ledger
from ketamine_clinic.inventory.enums import (
    Bucket,
    CountKind,
    CountTiming,
    DiscrepancyOutcome,
    DisposalMethod,
    DisposalReason,
    EntryKind,
)
from ketamine_clinic.inventory.models import (
    Container,
    Count,
    CountClosure,
    CountEntry,
    Discrepancy,
    DiscrepancyResolution,
    StockEntry,
)
from ketamine_clinic.inventory.selectors import lot_balances
from ketamine_clinic.inventory.services import counts
from ketamine_clinic.inventory.services.counts import (
    count_close,
    count_enter,
    count_progress,
    count_start,
    discrepancy_resolve,
    open_count,
    unresolved_discrepancies,
)
from ketamine_clinic.inventory.services.stock import RemovalRequest, stock_remove
from ketamine_clinic.inventory.services.use import DrawLine, syringe_draw
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
def vials(personas: dict[str, User]) -> list[Container]:
    return Stock(personas["custodian"]).receive("K2611A", containers=2)


def _both_count(count: Count, personas: dict[str, User], figures: dict[Container, str]) -> None:
    for who in ("custodian", "prescriber"):
        for container, ml in figures.items():
            count_enter(count, by=personas[who], container=container, counted_ml=D(ml))


def test_a_count_that_matches_closes_with_no_discrepancy(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper, prescriber = personas["custodian"], personas["prescriber"]
    a, b = vials
    syringe = preparation(cheap_order(prescriber), personas["nurse"])
    syringe_draw(syringe, [DrawLine(a.pk, D("2.70"))], by=personas["nurse"])  # 135.00 mg
    count = count_start(by=keeper)
    assert open_count() == count
    _both_count(count, personas, {a: "7.30", b: "10.00"})
    assert count_progress(count).blockers == []
    closure = count_close(count, by=keeper)
    lines = [
        (line.container, line.expected_mg, line.counted_mg, line.counted_ml)
        for line in closure.lines.all()
    ]
    assert lines == [
        (a, D("365.00"), D("365.00"), D("7.30")),
        (b, D("500.00"), D("500.00"), D("10.00")),
    ]
    assert {closure.first_counter, closure.second_counter} == {keeper, prescriber}
    assert Discrepancy.objects.count() == 0
    assert open_count() is None
    [line] = AuditEntry.objects.filter(object_type="stock_count_closure")
    assert line.detail["discrepancies"] == []


def test_a_count_is_blocked_until_two_people_have_counted_everything_alike(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper, prescriber = personas["custodian"], personas["prescriber"]
    a, b = vials
    count = count_start(by=keeper)
    assert count_progress(count).blockers == [
        counts.COUNT_ONE_COUNTER.format(missing="nobody has counted yet")
    ]
    count_enter(count, by=keeper, container=a, counted_ml=D("10.00"))
    assert count_progress(count).blockers == [
        counts.COUNT_ONE_COUNTER.format(missing="only one person has counted"),
        counts.COUNT_MISSING.format(who=keeper.display_name, labels="K2611A-02"),
    ]
    count_enter(count, by=keeper, container=b, counted_ml=D("10.00"))
    count_enter(count, by=prescriber, container=a, counted_ml=D("9.90"))
    count_enter(count, by=prescriber, container=b, counted_ml=D("10.00"))
    blockers = [counts.COUNT_DISAGREE.format(labels="K2611A-01")]
    assert count_progress(count).blockers == blockers
    with pytest.raises(ValidationError) as refused:
        count_close(count, by=keeper)
    assert refused.value.message_dict == {"count": blockers}
    assert CountClosure.objects.count() == 0
    # A recount is a newer entry; the newest figure of each counter is the one that counts.
    count_enter(count, by=prescriber, container=a, counted_ml=D("10.00"))
    assert CountEntry.objects.filter(count=count, counter=prescriber, container=a).count() == 2
    assert count_progress(count).blockers == []
    count_close(count, by=keeper)


def test_a_difference_opens_a_discrepancy_that_blocks_the_next_count_until_resolved(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper, lead = personas["custodian"], personas["clinic_lead"]
    a, b = vials
    first = count_start(by=keeper)
    _both_count(first, personas, {a: "9.50", b: "10.00"})
    closure = count_close(first, by=keeper)
    [discrepancy] = unresolved_discrepancies()
    assert (discrepancy.line.container, discrepancy.difference_mg) == (a, D("-25.00"))
    assert discrepancy.line.closure == closure
    [line] = AuditEntry.objects.filter(object_type="stock_count_closure")
    assert line.detail["discrepancies"] == ["K2611A-01: -25.00 mg"]

    second = count_start(by=keeper)
    _both_count(second, personas, {a: "9.50", b: "10.00"})
    unresolved = counts.unresolved_blocker(["K2611A-01"])
    assert count_progress(second).blockers == [unresolved]
    with pytest.raises(ValidationError) as blocked:
        count_close(second, by=keeper)
    assert blocked.value.message_dict == {"count": [unresolved]}

    resolution = discrepancy_resolve(
        discrepancy,
        by=lead,
        outcome=DiscrepancyOutcome.LOSS,
        notes=" Vial found cracked at the base; CCTV reviewed ",
        form_106_reference="DEA-106-2026-0042",
    )
    assert (resolution.outcome, resolution.notes, resolution.form_106_reference) == (
        DiscrepancyOutcome.LOSS,
        "Vial found cracked at the base; CCTV reviewed",
        "DEA-106-2026-0042",
    )
    lost = StockEntry.objects.get(kind=EntryKind.LOST)
    assert (lost.container, lost.mg, lost.by, lost.discrepancy, lost.reference) == (
        a,
        D("25.00"),
        lead,
        discrepancy,
        "DEA-106-2026-0042",
    )
    [balance] = lot_balances()
    assert (balance.buckets[Bucket.ON_HAND], balance.buckets[Bucket.LOST]) == (
        D("975.00"),
        D("25.00"),
    )
    assert balance.balances
    assert unresolved_discrepancies() == []
    closed = count_close(second, by=keeper)
    assert [(line.expected_mg, line.counted_mg) for line in closed.lines.all()] == [
        (D("475.00"), D("475.00")),
        (D("500.00"), D("500.00")),
    ]
    assert Discrepancy.objects.count() == 1


def test_a_miscount_is_resolved_without_touching_the_record(
    personas: dict[str, User], vials: list[Container]
) -> None:
    a, b = vials
    count = count_start(by=personas["prescriber"])
    _both_count(count, personas, {a: "9.00", b: "10.00"})
    count_close(count, by=personas["prescriber"])
    [discrepancy] = unresolved_discrepancies()
    before = row_counts(*LEDGER_MODELS)
    discrepancy_resolve(
        discrepancy,
        by=personas["clinic_lead"],
        outcome=DiscrepancyOutcome.COUNT_ERROR,
        notes="Meniscus read at eye level: 10.0 mL",
    )
    assert row_counts(*LEDGER_MODELS) == before
    assert unresolved_discrepancies() == []


def test_each_bad_resolution_is_refused_and_writes_nothing(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper, lead, nurse = personas["custodian"], personas["clinic_lead"], personas["nurse"]
    a, b = vials
    count = count_start(by=keeper)
    _both_count(count, personas, {a: "2.00", b: "10.00"})  # 400.00 mg short on A
    count_close(count, by=keeper)
    [short] = unresolved_discrepancies()
    before = row_counts(*LEDGER_MODELS, DiscrepancyResolution)

    with pytest.raises(PermissionDenied):
        discrepancy_resolve(short, by=keeper, outcome=DiscrepancyOutcome.COUNT_ERROR, notes="n")
    with pytest.raises(ValidationError) as no_notes:
        discrepancy_resolve(short, by=lead, outcome=DiscrepancyOutcome.COUNT_ERROR, notes=" ")
    assert no_notes.value.message_dict == {"notes": [counts.RESOLVE_NOTES]}
    # Since the count, 2 x 4.50 mL were drawn: 50.00 mg left, less than the 400.00 missing.
    syringe = preparation(cheap_order(personas["prescriber"]), nurse, stock_ml="9.00")
    syringe_draw(syringe, [DrawLine(a.pk, D("9.00"))], by=nurse)
    before = row_counts(*LEDGER_MODELS, DiscrepancyResolution)
    with pytest.raises(ValidationError) as gone:
        discrepancy_resolve(short, by=lead, outcome=DiscrepancyOutcome.LOSS, notes="n")
    assert gone.value.message_dict == {
        "outcome": [
            counts.RESOLVE_LOSS_GONE.format(label="K2611A-01", have=D("50.00"), want=D("400.00"))
        ]
    }
    assert row_counts(*LEDGER_MODELS, DiscrepancyResolution) == before
    discrepancy_resolve(
        short, by=lead, outcome=DiscrepancyOutcome.RECORD_CORRECTED, notes="Draws were late"
    )
    with pytest.raises(ValidationError) as again:
        discrepancy_resolve(short, by=lead, outcome=DiscrepancyOutcome.COUNT_ERROR, notes="n")
    assert again.value.message_dict == {"discrepancy": [counts.RESOLVE_DONE]}


def test_a_surplus_cannot_be_resolved_as_a_loss(
    personas: dict[str, User], vials: list[Container]
) -> None:
    keeper = personas["custodian"]
    a, b = vials
    syringe = preparation(cheap_order(personas["prescriber"]), personas["nurse"])
    syringe_draw(syringe, [DrawLine(a.pk, D("1.00"))], by=personas["nurse"])
    count = count_start(by=keeper)
    _both_count(count, personas, {a: "10.00", b: "10.00"})  # 50.00 mg more than the record
    count_close(count, by=keeper)
    [surplus] = unresolved_discrepancies()
    assert surplus.difference_mg == D("50.00")
    with pytest.raises(ValidationError) as refused:
        discrepancy_resolve(
            surplus, by=personas["clinic_lead"], outcome=DiscrepancyOutcome.LOSS, notes="n"
        )
    assert refused.value.message_dict == {"outcome": [counts.RESOLVE_LOSS_SURPLUS]}
    assert not StockEntry.objects.filter(kind=EntryKind.LOST).exists()


def test_count_start_and_enter_refusals(personas: dict[str, User], vials: list[Container]) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    a, b = vials
    with pytest.raises(ValidationError) as no_timing:
        count_start(by=keeper, kind=CountKind.BIENNIAL)
    assert no_timing.value.message_dict == {"timing": [counts.COUNT_TIMING]}
    count = count_start(by=keeper, kind=CountKind.BIENNIAL, timing=CountTiming.CLOSE)
    with pytest.raises(ValidationError) as already:
        count_start(by=keeper)
    assert already.value.message_dict == {"count": [counts.COUNT_OPEN.format(pk=count.pk)]}
    for bad in ("-0.01", "10.01", "5.005"):
        with pytest.raises(ValidationError) as refused:
            count_enter(count, by=keeper, container=a, counted_ml=D(bad))
        assert refused.value.message_dict == {
            "counted_ml": [counts.COUNT_ML.format(most=D("10.00"))]
        }
    # A vial returned to the supplier is no longer counted.
    stock_remove(
        RemovalRequest(b, DisposalMethod.SUPPLIER_RETURN, DisposalReason.RECALLED),
        by=keeper,
        witness=witness(nurse),
    )
    with pytest.raises(ValidationError) as gone:
        count_enter(count, by=keeper, container=b, counted_ml=D("0"))
    assert gone.value.message_dict == {
        "container": [counts.COUNT_NOT_IN_SCOPE.format(label="K2611A-02")]
    }
    assert CountEntry.objects.count() == 0
    _both_count(count, personas, {a: "10.00"})
    closure = count_close(count, by=keeper)
    assert [line.container for line in closure.lines.all()] == [a]
    with pytest.raises(ValidationError) as closed:
        count_enter(count, by=keeper, container=a, counted_ml=D("10.00"))
    assert closed.value.message_dict == {"count": [counts.COUNT_CLOSED]}
    with pytest.raises(ValidationError) as closed_twice:
        count_close(count, by=keeper)
    assert closed_twice.value.message_dict == {"count": [counts.COUNT_CLOSED]}
    assert ledger.container_buckets([b.pk])[b.pk][Bucket.RETURNED] == D("500.00")


def test_a_vial_recorded_lost_and_found_at_the_next_count_is_put_back_by_the_lead(
    personas: dict[str, User], vials: list[Container]
) -> None:
    a, b = vials
    lead = personas["clinic_lead"]
    count = count_start(by=personas["custodian"])
    _both_count(count, personas, {a: "9.00", b: "10.00"})  # 50.00 mg short on A
    count_close(count, by=personas["custodian"])
    [short] = unresolved_discrepancies()
    discrepancy_resolve(short, by=lead, outcome=DiscrepancyOutcome.LOSS, notes="Not found")
    assert ledger.container_buckets([a.pk])[a.pk][Bucket.ON_HAND] == D("450.00")

    # The vial's missing millilitre was a second vial's label misread; it turns up whole.
    again = count_start(by=personas["custodian"])
    _both_count(again, personas, {a: "10.00", b: "10.00"})
    count_close(again, by=personas["custodian"])
    [surplus] = unresolved_discrepancies()
    assert surplus.difference_mg == D("50.00")
    with pytest.raises(ValidationError) as refused:
        discrepancy_resolve(surplus, by=lead, outcome=DiscrepancyOutcome.LOSS, notes="n")
    assert refused.value.message_dict == {"outcome": [counts.RESOLVE_LOSS_SURPLUS]}

    discrepancy_resolve(
        surplus, by=lead, outcome=DiscrepancyOutcome.FOUND, notes="Found behind the safe's shelf"
    )
    buckets = ledger.container_buckets([a.pk])[a.pk]
    assert (buckets[Bucket.ON_HAND], buckets[Bucket.LOST]) == (D("500.00"), D("0.00"))
    [loss] = StockEntry.objects.filter(container=a, kind=EntryKind.LOST, corrects__isnull=True)
    [reversal] = loss.corrections.all()
    assert (reversal.mg, reversal.discrepancy_id, reversal.by) == (D("-50.00"), surplus.pk, lead)
    [balance] = lot_balances()
    assert balance.balances


def test_found_stock_needs_a_recorded_loss_to_reverse(
    personas: dict[str, User], vials: list[Container]
) -> None:
    a, b = vials
    count = count_start(by=personas["custodian"])
    _both_count(count, personas, {a: "10.00", b: "9.00"})  # B short, no loss recorded
    count_close(count, by=personas["custodian"])
    [short] = unresolved_discrepancies()
    before = row_counts(*LEDGER_MODELS, DiscrepancyResolution)
    with pytest.raises(ValidationError) as refused:
        discrepancy_resolve(
            short, by=personas["clinic_lead"], outcome=DiscrepancyOutcome.FOUND, notes="n"
        )
    assert refused.value.message_dict == {"outcome": [counts.RESOLVE_FOUND_SHORTFALL]}
    assert row_counts(*LEDGER_MODELS, DiscrepancyResolution) == before
