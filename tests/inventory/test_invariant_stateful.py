"""The invariant over random sequences of operations (hypothesis, stateful).

For every lot at every step: received = on hand + in syringes + given + wasted +
disposed + returned + lost, no bucket below zero, and every bucket of every lot and
container equal to a model kept beside the database by the rules below. The sequences
mix receipts, draws, accounting, disposal and returns, corrections, counts and the
lead's resolutions, including operations that must be refused (over-draws, a second
account, corrections below zero, a loss larger than what is left): a refusal is a
ValidationError naming its field, and it changes no row.

What the pump gave is the one input stubbed: the real figure needs pump events, so the
syringe's given mg is chosen by the test and everything after it (the checks, the
witness, FIFO over the draws) is the service's own. Each example runs in a savepoint
rolled back at its end, so examples do not see each other's rows.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory import ledger
from ketamine_clinic.inventory.enums import (
    BUCKET_MOVES,
    Bucket,
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
    CountLine,
    Discrepancy,
    DiscrepancyResolution,
    Lot,
    Receipt,
    StockEntry,
    SyringeAccount,
)
from ketamine_clinic.inventory.selectors import lot_balances
from ketamine_clinic.inventory.services import use
from ketamine_clinic.inventory.services.counts import (
    count_close,
    count_enter,
    count_start,
    discrepancy_resolve,
)
from ketamine_clinic.inventory.services.stock import (
    RemovalRequest,
    entry_correct,
    stock_receive,
    stock_remove,
)
from ketamine_clinic.inventory.services.use import (
    DrawLine,
    SyringeFigures,
    syringe_account,
    syringe_draw,
)
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation
from ketamine_clinic.visits.enums import VisitState
from tests.inventory.support import Stock, cheap_order, preparation, today, witness

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")
CENT = D("0.01")
STRENGTH = D("50.00")  # mg/mL
VIAL_ML = D("10.00")
LEDGER: tuple[type[Model], ...] = (
    Lot,
    Receipt,
    Container,
    StockEntry,
    SyringeAccount,
    CountClosure,
    CountLine,
    Discrepancy,
    DiscrepancyResolution,
)
CORRECTABLE = {
    EntryKind.RECEIVED,
    EntryKind.DRAWN,
    EntryKind.DISPOSED,
    EntryKind.RETURNED,
    EntryKind.LOST,
}
cents = st.integers


@dataclass
class EntryModel:
    kind: EntryKind
    container: int
    preparation: int | None
    is_correction: bool
    net_mg: Decimal  # the entry plus its corrections


@dataclass
class DiscrepancyModel:
    container: int
    difference_mg: Decimal
    resolved: bool = False


def _counts() -> dict[str, int]:
    return {model.__name__: model._default_manager.count() for model in LEDGER}


def _move(balance: dict[Bucket, Decimal], kind: EntryKind, mg: Decimal) -> None:
    source, destination = BUCKET_MOVES[kind]
    if source is not None:
        balance[source] -= mg
    balance[destination] += mg


def test_the_invariant_holds_over_random_sequences(
    personas: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    keeper, nurse = personas["custodian"], personas["nurse"]
    prescriber, lead = personas["prescriber"], personas["clinic_lead"]
    store = Stock(keeper)
    # Accountable: the visit's infusion has ended.
    order: InfusionOrder = cheap_order(prescriber, state=VisitState.RECOVERY)
    given_for: dict[int, Decimal] = {}
    real_figures = use.syringe_figures

    def figures(prep: SyringePreparation) -> SyringeFigures:
        drawn = real_figures(prep).drawn_mg
        given = given_for[prep.pk]
        return SyringeFigures(prep, drawn, given, drawn - given, "chosen by the test")

    monkeypatch.setattr(use, "syringe_figures", figures)
    seen: Counter[str] = Counter()

    class Ledger(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.savepoint = transaction.atomic()
            self.savepoint.__enter__()
            self.containers: dict[int, dict[Bucket, Decimal]] = {}
            self.lot_of: dict[int, int] = {}
            self.syringes: dict[int, dict[int, Decimal]] = {}
            self.accounted: set[int] = set()
            self.entries: dict[int, EntryModel] = {}
            self.open_count: Count | None = None
            self.counted_on_open = False  # both have entered a figure on the open count
            self.discrepancies: dict[int, DiscrepancyModel] = {}

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.savepoint.__exit__(None, None, None)

        # ---- helpers --------------------------------------------------------------------

        def refused(self, field: str, act: Any) -> None:
            """`act` must raise a ValidationError on `field` and change no row."""
            seen[f"refused on {field}"] += 1
            before = _counts()
            with pytest.raises(ValidationError) as error:
                act()
            assert field in error.value.message_dict, error.value.message_dict
            assert _counts() == before

        def on_hand(self, container: int) -> Decimal:
            return self.containers[container][Bucket.ON_HAND]

        def record(self, entry: StockEntry, *, correction: bool = False) -> None:
            self.entries[entry.pk] = EntryModel(
                EntryKind(entry.kind),
                entry.container_id,
                entry.preparation_id,
                correction,
                entry.mg,
            )

        # ---- stock in -------------------------------------------------------------------

        @rule(lot=st.integers(0, 2), containers=st.integers(1, 2))
        def receive(self, lot: int, containers: int) -> None:
            request = store.request(
                f"L{lot}", containers=containers, expiry=today() + timedelta(days=400 + lot)
            )
            receipt = stock_receive(request, by=keeper)
            new = list(receipt.containers.all())
            assert len(new) == containers
            for container in new:
                balance = {bucket: ZERO for bucket in Bucket}
                balance[Bucket.ON_HAND] = D("500.00")
                self.containers[container.pk] = balance
                self.lot_of[container.pk] = container.lot_id
            for entry in StockEntry.objects.filter(receipt=receipt, corrects=None):
                self.record(entry)

        # ---- use ------------------------------------------------------------------------

        @precondition(lambda self: bool(self.containers))
        @rule(data=st.data())
        def draw(self, data: st.DataObject) -> None:
            picks = data.draw(
                st.lists(st.sampled_from(sorted(self.containers)), min_size=1, max_size=2)
            )
            volume = st.one_of(cents(1, 150), cents(1, 1100))  # mostly a dose, some too much
            volumes = [D(data.draw(volume, label="cents of mL")) / 100 for _ in picks]
            prep = preparation(order, nurse)
            self.syringes[prep.pk] = {}
            lines = [DrawLine(pk, ml) for pk, ml in zip(picks, volumes, strict=True)]
            wanted = [
                (pk, ledger.mg_of(ml * STRENGTH)) for pk, ml in zip(picks, volumes, strict=True)
            ]
            if len(set(picks)) < len(picks) or any(self.on_hand(pk) < mg for pk, mg in wanted):
                self.refused("draws", lambda: syringe_draw(prep, lines, by=nurse))
                return
            drawn = syringe_draw(prep, lines, by=nurse)
            seen["drawn"] += 1
            assert [(e.container_id, e.mg) for e in drawn] == wanted
            for entry in drawn:
                _move(self.containers[entry.container_id], EntryKind.DRAWN, entry.mg)
                self.syringes[prep.pk][entry.container_id] = entry.mg
                self.record(entry)

        # Rules have no weights: the same draw again makes use as likely as everything
        # else together, so the syringes are not starved by removals and counts.
        @precondition(lambda self: bool(self.containers))
        @rule(data=st.data())
        def draw_again(self, data: st.DataObject) -> None:
            self.draw(data)

        @precondition(lambda self: bool(self.syringes))
        @rule(data=st.data())
        def account_again(self, data: st.DataObject) -> None:
            self.account(data)

        @precondition(lambda self: bool(self.syringes))
        @rule(data=st.data())
        def account(self, data: st.DataObject) -> None:
            waiting = sorted(
                pk
                for pk, draws in self.syringes.items()
                if pk not in self.accounted and sum(draws.values(), ZERO) > 0
            )
            anyone = st.sampled_from(sorted(self.syringes))
            prep_pk = data.draw(st.one_of(st.sampled_from(waiting), anyone) if waiting else anyone)
            drawn = sum(self.syringes[prep_pk].values(), ZERO)
            drawn_cents = int(max(drawn, ZERO) * 100)
            given = (
                D(
                    data.draw(
                        st.one_of(
                            st.just(drawn_cents),
                            cents(0, drawn_cents),
                            cents(drawn_cents + 1, drawn_cents + 200),
                        )
                    )
                )
                / 100
            )
            given_for[prep_pk] = given
            prep = SyringePreparation.objects.select_related("order__visit").get(pk=prep_pk)

            def act() -> SyringeAccount:
                return syringe_account(prep, by=nurse, witness=witness(prescriber))

            if drawn <= 0:
                self.refused("preparation", act)
                return
            if given > drawn:
                self.refused("given_mg", act)
                return
            if prep_pk in self.accounted:
                self.refused("preparation", act)
                return
            account = act()
            seen["accounted with waste" if given < drawn else "accounted, all given"] += 1
            assert (account.drawn_mg, account.given_mg, account.wasted_mg) == (
                drawn,
                given,
                drawn - given,
            )
            self.accounted.add(prep_pk)
            to_give = given
            for container, net in self.syringes[prep_pk].items():
                given_here = min(net, to_give)
                to_give -= given_here
                if given_here > 0:
                    _move(self.containers[container], EntryKind.GIVEN, given_here)
                if net - given_here > 0:
                    _move(self.containers[container], EntryKind.WASTED, net - given_here)
            for entry in StockEntry.objects.filter(
                preparation_id=prep_pk, kind__in=[EntryKind.GIVEN, EntryKind.WASTED]
            ):
                self.record(entry)

        # ---- stock out ------------------------------------------------------------------

        @precondition(lambda self: bool(self.containers))
        @rule(
            data=st.data(),
            method=st.sampled_from(DisposalMethod),
            reason=st.sampled_from(
                [DisposalReason.EXPIRED, DisposalReason.RECALLED, DisposalReason.DAMAGED]
            ),
        )
        def remove(
            self, data: st.DataObject, method: DisposalMethod, reason: DisposalReason
        ) -> None:
            pk = data.draw(st.sampled_from(sorted(self.containers)))
            request = RemovalRequest(Container.objects.get(pk=pk), method, reason)

            def act() -> StockEntry:
                return stock_remove(
                    request, by=keeper, witness=witness(nurse), second_witness=witness(prescriber)
                )

            if self.on_hand(pk) <= 0:
                self.refused("container", act)
                return
            entry = act()
            seen["removed"] += 1
            kind = (
                EntryKind.DISPOSED
                if method == DisposalMethod.ON_SITE_DESTRUCTION
                else EntryKind.RETURNED
            )
            assert (entry.kind, entry.mg) == (kind, self.on_hand(pk))
            _move(self.containers[pk], kind, entry.mg)
            self.record(entry)

        @precondition(lambda self: bool(self.entries))
        @rule(
            data=st.data(),
            difference=st.one_of(st.just(0), cents(-600, 600), cents(-60_000, 60_000)),
        )
        def correct(self, data: st.DataObject, difference: int) -> None:
            open_draws = sorted(
                pk
                for pk, e in self.entries.items()
                if e.kind == EntryKind.DRAWN and e.preparation not in self.accounted
            )
            anything = st.sampled_from(sorted(self.entries))
            pk = data.draw(
                st.one_of(st.sampled_from(open_draws), anything) if open_draws else anything
            )
            target = self.entries[pk]
            amount = D(difference) / 100
            balance = self.containers[target.container]

            def act() -> StockEntry:
                return entry_correct(
                    StockEntry.objects.get(pk=pk),
                    by=keeper,
                    difference_mg=amount,
                    reason="Transcription error",
                    witness=witness(nurse),
                )

            if target.is_correction or target.kind not in CORRECTABLE:
                self.refused("entry", act)
                return
            if target.preparation in self.accounted:
                self.refused("entry", act)
                return
            if amount == 0:
                self.refused("difference_mg", act)
                return
            if target.net_mg + amount < 0:
                self.refused("difference_mg", act)
                return
            source, destination = BUCKET_MOVES[target.kind]
            giving_up = source if amount > 0 else destination
            if giving_up is not None and balance[giving_up] < abs(amount):
                self.refused("mg", act)
                return
            correction = act()
            seen[f"corrected {target.kind}"] += 1
            assert (correction.kind, correction.mg, correction.corrects_id) == (
                target.kind,
                amount,
                pk,
            )
            _move(balance, target.kind, amount)
            target.net_mg += amount
            if target.kind == EntryKind.DRAWN and target.preparation is not None:
                self.syringes[target.preparation][target.container] += amount
            self.record(correction, correction=True)

        # ---- counts ---------------------------------------------------------------------

        @precondition(lambda self: bool(self.containers))
        @rule(data=st.data())
        def count(self, data: st.DataObject) -> None:
            if self.open_count is None:
                self.open_count = count_start(by=keeper)
            count = self.open_count
            in_scope = sorted(pk for pk in self.containers if self.on_hand(pk) > 0)
            counted: dict[int, Decimal] = {}
            for pk in in_scope:
                off = D(data.draw(st.sampled_from([0, 0, 0, 0, -50, -1, 20]))) / 100
                seen_ml = (self.on_hand(pk) / STRENGTH).quantize(CENT) + off
                counted[pk] = min(max(seen_ml, ZERO), VIAL_ML)
                container = Container.objects.get(pk=pk)
                for who in (keeper, prescriber):
                    count_enter(count, by=who, container=container, counted_ml=counted[pk])
                self.counted_on_open = True
            unresolved = any(not d.resolved for d in self.discrepancies.values())
            if unresolved or not self.counted_on_open:
                self.refused("count", lambda: count_close(count, by=keeper))
                return
            closure = count_close(count, by=keeper)
            self.open_count, self.counted_on_open = None, False
            seen["count closed"] += 1
            lines = {
                line.container_id: (line.expected_mg, line.counted_mg)
                for line in closure.lines.all()
            }
            assert lines == {
                pk: (self.on_hand(pk), ledger.mg_of(counted[pk] * STRENGTH)) for pk in in_scope
            }
            opened = {
                d.line.container_id: d
                for d in Discrepancy.objects.filter(line__closure=closure).select_related("line")
            }
            assert {pk: d.difference_mg for pk, d in opened.items()} == {
                pk: counted_mg - expected
                for pk, (expected, counted_mg) in lines.items()
                if counted_mg != expected
            }
            for pk, discrepancy in opened.items():
                self.discrepancies[discrepancy.pk] = DiscrepancyModel(pk, discrepancy.difference_mg)

        @precondition(lambda self: any(not d.resolved for d in self.discrepancies.values()))
        @rule(data=st.data())
        def resolve_open_as_loss(self, data: st.DataObject) -> None:
            """The lead's commonest finding is the one that moves stock: weight it."""
            pk = data.draw(
                st.sampled_from(sorted(k for k, d in self.discrepancies.items() if not d.resolved))
            )
            self.resolve_one(pk, DiscrepancyOutcome.LOSS)

        @precondition(lambda self: bool(self.discrepancies))
        @rule(data=st.data(), outcome=st.sampled_from(DiscrepancyOutcome))
        def resolve(self, data: st.DataObject, outcome: DiscrepancyOutcome) -> None:
            self.resolve_one(data.draw(st.sampled_from(sorted(self.discrepancies))), outcome)

        def resolve_one(self, pk: int, outcome: DiscrepancyOutcome) -> None:
            target = self.discrepancies[pk]
            missing = -target.difference_mg

            def act() -> DiscrepancyResolution:
                return discrepancy_resolve(
                    Discrepancy.objects.get(pk=pk),
                    by=lead,
                    outcome=outcome,
                    notes="Investigated with both counters",
                )

            if target.resolved:
                self.refused("discrepancy", act)
                return
            if outcome == DiscrepancyOutcome.LOSS and (
                missing <= 0 or self.on_hand(target.container) < missing
            ):
                self.refused("outcome", act)
                return
            act()
            seen[
                "resolved as a loss" if outcome == DiscrepancyOutcome.LOSS else "resolved, no loss"
            ] += 1
            target.resolved = True
            if outcome == DiscrepancyOutcome.LOSS:
                _move(self.containers[target.container], EntryKind.LOST, missing)
                self.record(StockEntry.objects.get(discrepancy_id=pk))

        # ---- after every step -----------------------------------------------------------

        @invariant()
        def every_lot_and_container_matches_the_model(self) -> None:
            expected_lots: dict[int, dict[Bucket, Decimal]] = {}
            for pk, balance in self.containers.items():
                assert all(amount >= 0 for amount in balance.values()), (pk, balance)
                lot = expected_lots.setdefault(self.lot_of[pk], {b: ZERO for b in Bucket})
                for bucket, amount in balance.items():
                    lot[bucket] += amount
            assert ledger.container_buckets(self.containers) == self.containers
            actual = {b.lot.pk: b for b in lot_balances()}
            assert {pk: b.buckets for pk, b in actual.items()} == expected_lots
            for lot_balance in actual.values():
                assert lot_balance.received_mg == sum(lot_balance.buckets.values(), ZERO)
                assert lot_balance.balances
                assert all(amount >= 0 for amount in lot_balance.buckets.values())

        @invariant()
        def every_account_closes_its_syringe(self) -> None:
            for account in SyringeAccount.objects.all():
                assert account.drawn_mg == account.given_mg + account.wasted_mg
                out = StockEntry.objects.filter(preparation_id=account.preparation_id)
                for kind, amount in (
                    (EntryKind.GIVEN, account.given_mg),
                    (EntryKind.WASTED, account.wasted_mg),
                ):
                    total = out.filter(kind=kind).aggregate(total=Sum("mg"))["total"] or ZERO
                    assert total == amount, (account.preparation_id, kind)

        @invariant()
        def no_count_entry_without_its_count(self) -> None:
            assert not CountEntry.objects.exclude(count__in=Count.objects.all()).exists()

    run_state_machine_as_test(
        Ledger,
        settings=settings(
            max_examples=30,
            stateful_step_count=25,
            deadline=None,
            # Fixed examples: the coverage asserted below must not depend on the run.
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # The sequences went everywhere, refusals included (a test that never reached a rule
    # could not have failed on it).
    for outcome in (
        "drawn",
        "accounted with waste",
        "accounted, all given",
        "removed",
        "corrected received",
        "corrected drawn",
        "count closed",
        "resolved as a loss",
        "resolved, no loss",
        "refused on draws",
        "refused on preparation",
        "refused on given_mg",
        "refused on container",
        "refused on entry",
        "refused on difference_mg",
        "refused on count",
        "refused on outcome",
        "refused on discrepancy",
    ):
        assert seen[outcome] > 0, f"never {outcome}: {dict(seen)}"
