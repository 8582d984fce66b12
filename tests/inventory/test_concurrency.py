"""On PostgreSQL, people acting on the same stock at the same moment: the vial's row lock
serialises them, so nobody draws what another has just taken, a count is closed against
the record as it stands after (or before) a draw, never half-way, and a syringe is
accounted for once.

As in tests/visits/test_transition_race.py (whose helpers this reuses): each person is a
thread on its own connection, and really commits. Where the order matters, the first
holds its transaction open until the second is seen waiting for a lock (pg_locks), so
the second must read what the first committed. The test's own connection reads nothing
of the inventory (it would hold locks the clean-up needs); every check runs on a
connection of its own. Afterwards the committed rows are removed with the insert-only
triggers switched off inside one transaction, as the audit tests do for their trail.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import RoleGrant, User
from ketamine_clinic.inventory import ledger
from ketamine_clinic.inventory.enums import Bucket, DiscrepancyOutcome, EntryKind
from ketamine_clinic.inventory.models import (
    Container,
    Count,
    CountClosure,
    Discrepancy,
    Lot,
    StockEntry,
    SyringeAccount,
)
from ketamine_clinic.inventory.services import counts, use
from ketamine_clinic.inventory.services.counts import (
    count_close,
    count_enter,
    count_start,
    discrepancy_resolve,
)
from ketamine_clinic.inventory.services.stock import stock_receive
from ketamine_clinic.inventory.services.use import DrawLine, syringe_account, syringe_draw
from ketamine_clinic.orders.models import InfusionOrder, SyringePreparation
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from tests.audit.test_audit_concurrency import (
    TIMEOUT_S,
    Worker,
    backend_pid,
    on_own_connection,
    waiting_for_a_lock,
    wipe_committed_trail,
)
from tests.conftest import PERSONA_PASSWORD
from tests.inventory.support import Stock, cheap_order, preparation, witness

AT = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
D = Decimal
PREPARATIONS = 8


@dataclass(frozen=True)
class Committed:
    vial: int
    keeper: int
    prescriber: int
    nurse: int
    lead: int
    preparations: list[int]


def _user(username: str, role: Role) -> User:
    user = User.objects.create(username=username, first_name="Race", last_name=role.label)
    user.set_password(PERSONA_PASSWORD)
    user.save()
    RoleGrant.objects.create(user=user, role=role, granted_at=AT)
    return user


def _committed_setup() -> Committed:
    """One sealed 500 mg vial, three staff, and syringes waiting to be drawn."""
    with transaction.atomic():
        keeper = _user("race_inv_custodian", Role.CUSTODIAN)
        prescriber = _user("race_inv_prescriber", Role.PRESCRIBER)
        nurse = _user("race_inv_nurse", Role.NURSE)
        lead = _user("race_inv_lead", Role.CLINIC_LEAD)
        [vial] = Stock(keeper).receive("RACE01", containers=1)
        order = cheap_order(prescriber, state=VisitState.RECOVERY)
        preparations = [preparation(order, nurse).pk for _ in range(PREPARATIONS)]
    return Committed(vial.pk, keeper.pk, prescriber.pk, nurse.pk, lead.pk, preparations)


def _remove_committed() -> None:
    wipe_committed_trail()
    tables = [model._meta.db_table for model in apps.get_app_config("inventory").get_models()]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '15s'")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - the app's own tables
        # Check the (deferred) foreign keys now: a table with checks pending cannot be
        # altered, and its triggers must be switched back on before the commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table in tables:
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    with transaction.atomic():
        SyringePreparation.objects.filter(prepared_by__username__startswith="race_inv_").delete()
        orders = InfusionOrder.objects.filter(ordered_by__username__startswith="race_inv_")
        visits = list(orders.values_list("visit_id", flat=True))
        orders.delete()
        patients = list(Visit.objects.filter(pk__in=visits).values_list("patient_id", flat=True))
        Visit.objects.filter(pk__in=visits).delete()
        Patient.objects.filter(pk__in=patients).delete()
        RoleGrant.objects.filter(user__username__startswith="race_inv_").delete()
        User.objects.filter(username__startswith="race_inv_").delete()


@pytest.fixture
def committed() -> Iterator[Committed]:
    ids = on_own_connection(_committed_setup)
    yield ids
    on_own_connection(_remove_committed)


def _balance(vial: int) -> dict[Bucket, Decimal]:
    return on_own_connection(lambda: ledger.container_buckets([vial])[vial])


def _draw(ids: Committed, preparation_pk: int, ml: str) -> list[StockEntry]:
    return syringe_draw(
        SyringePreparation.objects.select_related("order__visit").get(pk=preparation_pk),
        [DrawLine(ids.vial, D(ml))],
        by=User.objects.get(pk=ids.nurse),
    )


def _first_holds_then_second(
    first: Callable[[], Any], second: Callable[[], Any]
) -> tuple[Worker, Worker]:
    """Run `first` and hold its transaction open until `second` is seen waiting for a
    lock; then let `first` commit. Returns both workers, finished or finishing."""
    done, release, ready = threading.Event(), threading.Event(), threading.Event()
    second_pid: list[int] = []

    def hold() -> Any:
        with transaction.atomic():
            result = first()
            done.set()
            assert release.wait(TIMEOUT_S)
        return result

    def wait_then_act() -> Any:
        second_pid.append(backend_pid())
        ready.set()
        return second()

    a, b = Worker(hold), Worker(wait_then_act)
    a.start()
    assert done.wait(TIMEOUT_S)
    b.start()
    assert ready.wait(TIMEOUT_S)
    deadline = time.monotonic() + TIMEOUT_S
    while not waiting_for_a_lock(second_pid[0]):
        assert time.monotonic() < deadline, "the second never waited for the first"
        assert b.is_alive(), "the second finished while the first held its lock"
        time.sleep(0.02)
    release.set()
    return a, b


def _refusal_of(worker: Worker) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as refused:
        worker.outcome()
    return refused.value.message_dict


# ---- two people drawing from one vial ---------------------------------------------------


@pytest.mark.postgres
def test_the_second_draw_waits_for_the_first_and_is_refused_what_it_took(
    committed: Committed,
) -> None:
    ids = committed
    a, b = _first_holds_then_second(
        lambda: _draw(ids, ids.preparations[0], "6.00"),
        lambda: _draw(ids, ids.preparations[1], "6.00"),
    )
    [entry] = a.outcome()
    assert (entry.kind, entry.mg) == (EntryKind.DRAWN, D("300.00"))
    assert _refusal_of(b) == {
        "draws": [use.DRAW_MORE_THAN_LEFT.format(label="RACE01-01", have=D("4.00"), want=D("6.00"))]
    }
    balance = _balance(ids.vial)
    assert (balance[Bucket.ON_HAND], balance[Bucket.IN_SYRINGE]) == (D("200.00"), D("300.00"))


def _draw_all_at_once(ids: Committed, ml: str) -> tuple[list[Worker], list[Worker]]:
    """Every syringe draws `ml` from the vial at the same moment; (succeeded, refused)."""
    start = threading.Barrier(PREPARATIONS)

    def draw(preparation_pk: int) -> list[StockEntry]:
        start.wait(TIMEOUT_S)
        return _draw(ids, preparation_pk, ml)

    workers = [Worker(functools.partial(draw, pk)) for pk in ids.preparations]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(TIMEOUT_S)
    assert not any(worker.is_alive() for worker in workers)
    won = [worker for worker in workers if worker.error is None]
    lost = [worker for worker in workers if worker.error is not None]
    for worker in lost:
        assert isinstance(worker.error, ValidationError), worker.error
        assert list(worker.error.message_dict) == ["draws"]
    return won, lost


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("ml", "winners", "on_hand_mg"),
    [
        ("6.00", 1, D("200.00")),  # more than half: exactly one
        ("3.00", 3, D("50.00")),  # 150 mg each from 500: exactly three
        ("1.25", 8, D("0.00")),  # all eight fit exactly
    ],
)
def test_eight_nurses_drawing_at_once_never_take_more_than_the_vial(
    committed: Committed, ml: str, winners: int, on_hand_mg: Decimal
) -> None:
    won, lost = _draw_all_at_once(committed, ml)
    assert (len(won), len(lost)) == (winners, PREPARATIONS - winners)
    balance = _balance(committed.vial)
    drawn = D(ml) * 50 * winners
    assert (balance[Bucket.ON_HAND], balance[Bucket.IN_SYRINGE]) == (on_hand_mg, drawn)
    entries = on_own_connection(
        lambda: list(StockEntry.objects.filter(kind=EntryKind.DRAWN).values_list("mg", flat=True))
    )
    assert entries == [D(ml) * 50] * winners


# ---- a count closing while someone draws ------------------------------------------------


def _counted_in_full(ids: Committed, ml: str = "10.00") -> int:
    """A count in which both keepers saw the sealed vial: 10.00 mL (or `ml`)."""

    def make() -> int:
        count = count_start(by=User.objects.get(pk=ids.keeper))
        vial = Container.objects.get(pk=ids.vial)
        for who in (ids.keeper, ids.prescriber):
            count_enter(count, by=User.objects.get(pk=who), container=vial, counted_ml=D(ml))
        return count.pk

    return on_own_connection(make)


def _close(ids: Committed, count_pk: int) -> CountClosure:
    return count_close(Count.objects.get(pk=count_pk), by=User.objects.get(pk=ids.keeper))


def _lines_and_discrepancies(count_pk: int) -> tuple[list[tuple[Decimal, Decimal]], list[Decimal]]:
    def read() -> tuple[list[tuple[Decimal, Decimal]], list[Decimal]]:
        closure = CountClosure.objects.get(count_id=count_pk)
        lines = [(line.expected_mg, line.counted_mg) for line in closure.lines.all()]
        opened = list(
            Discrepancy.objects.filter(line__closure=closure).values_list(
                "difference_mg", flat=True
            )
        )
        return lines, opened

    return on_own_connection(read)


@pytest.mark.postgres
def test_a_count_closing_during_a_draw_waits_and_sets_the_vial_beside_the_record_after_it(
    committed: Committed,
) -> None:
    ids = committed
    count_pk = _counted_in_full(ids)
    a, b = _first_holds_then_second(
        lambda: _draw(ids, ids.preparations[0], "6.00"), lambda: _close(ids, count_pk)
    )
    a.outcome()
    b.outcome()
    # The keepers saw 10 mL before the draw; the record after it holds 200 mg: +300 mg.
    assert _lines_and_discrepancies(count_pk) == ([(D("200.00"), D("500.00"))], [D("300.00")])


@pytest.mark.postgres
def test_a_draw_during_a_count_closing_waits_and_the_count_matches_the_record_before_it(
    committed: Committed,
) -> None:
    ids = committed
    count_pk = _counted_in_full(ids)
    a, b = _first_holds_then_second(
        lambda: _close(ids, count_pk), lambda: _draw(ids, ids.preparations[0], "6.00")
    )
    a.outcome()
    [entry] = b.outcome()
    assert entry.mg == D("300.00")
    assert _lines_and_discrepancies(count_pk) == ([(D("500.00"), D("500.00"))], [])
    balance = _balance(ids.vial)
    assert (balance[Bucket.ON_HAND], balance[Bucket.IN_SYRINGE]) == (D("200.00"), D("300.00"))


@pytest.mark.postgres
def test_a_count_closed_twice_at_once_closes_once(committed: Committed) -> None:
    ids = committed
    count_pk = _counted_in_full(ids)
    a, b = _first_holds_then_second(lambda: _close(ids, count_pk), lambda: _close(ids, count_pk))
    a.outcome()
    assert _refusal_of(b) == {"count": [counts.COUNT_CLOSED]}
    assert on_own_connection(lambda: CountClosure.objects.filter(count_id=count_pk).count()) == 1


@pytest.mark.postgres
def test_a_loss_resolved_twice_at_once_takes_the_missing_mg_off_once(
    committed: Committed,
) -> None:
    ids = committed
    count_pk = _counted_in_full(ids, ml="9.00")  # 50.00 mg short
    on_own_connection(lambda: _close(ids, count_pk))

    def resolve() -> object:
        discrepancy = Discrepancy.objects.get(line__closure__count_id=count_pk)
        return discrepancy_resolve(
            discrepancy,
            by=User.objects.get(pk=ids.lead),
            outcome=DiscrepancyOutcome.LOSS,
            notes="Vial cracked in the safe",
        )

    a, b = _first_holds_then_second(resolve, resolve)
    a.outcome()
    assert _refusal_of(b) == {"discrepancy": [counts.RESOLVE_DONE]}
    lost = on_own_connection(
        lambda: list(StockEntry.objects.filter(kind=EntryKind.LOST).values_list("mg", flat=True))
    )
    assert lost == [D("50.00")]
    assert _balance(ids.vial)[Bucket.ON_HAND] == D("450.00")


# ---- two people closing one syringe -----------------------------------------------------


@pytest.mark.postgres
def test_a_syringe_accounted_twice_at_once_is_accounted_once(committed: Committed) -> None:
    ids = committed
    syringe = ids.preparations[0]
    on_own_connection(lambda: _draw(ids, syringe, "0.80"))  # 40.00 mg, never on the pump

    def account() -> SyringeAccount:
        prep = SyringePreparation.objects.select_related("order__visit").get(pk=syringe)
        return syringe_account(
            prep,
            by=User.objects.get(pk=ids.nurse),
            witness=witness(User.objects.get(pk=ids.prescriber)),
        )

    a, b = _first_holds_then_second(account, account)
    first = a.outcome()
    assert (first.drawn_mg, first.given_mg, first.wasted_mg) == (D("40.00"), D("0.00"), D("40.00"))
    assert _refusal_of(b) == {"preparation": [use.ACCOUNT_AGAIN]}

    def read() -> tuple[int, list[tuple[str, Decimal]]]:
        out = StockEntry.objects.filter(preparation_id=syringe).exclude(kind=EntryKind.DRAWN)
        return SyringeAccount.objects.count(), list(out.values_list("kind", "mg"))

    assert on_own_connection(read) == (1, [(EntryKind.WASTED, D("40.00"))])
    balance = _balance(ids.vial)
    assert (balance[Bucket.IN_SYRINGE], balance[Bucket.WASTED]) == (D("0.00"), D("40.00"))


# ---- two receipts of one lot ------------------------------------------------------------


def _receive(ids: Committed, lot_number: str) -> list[str]:
    keeper = User.objects.get(pk=ids.keeper)
    vial = Container.objects.select_related("lot__product", "receipt__supplier").get(pk=ids.vial)
    request = Stock.on_file(keeper, vial).request(
        lot_number, containers=2, expiry=vial.lot.expiry_date
    )
    receipt = stock_receive(request, by=keeper)
    return list(receipt.containers.order_by("label").values_list("label", flat=True))


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("lot_number", "first", "second"),
    [
        ("RACE01", ["RACE01-02", "RACE01-03"], ["RACE01-04", "RACE01-05"]),  # on file
        ("RACE02", ["RACE02-01", "RACE02-02"], ["RACE02-03", "RACE02-04"]),  # new
    ],
)
def test_two_receipts_of_one_lot_at_once_number_their_vials_apart(
    committed: Committed, lot_number: str, first: list[str], second: list[str]
) -> None:
    """Without the lot's lock both would read the same count of vials and the second
    would fail on the label's unique constraint, a database error instead of a receipt."""
    ids = committed
    a, b = _first_holds_then_second(
        lambda: _receive(ids, lot_number), lambda: _receive(ids, lot_number)
    )
    assert (a.outcome(), b.outcome()) == (first, second)
    lots = on_own_connection(lambda: Lot.objects.filter(lot_number=lot_number).count())
    assert lots == 1
