"""Reads of the controlled-substance record: stock on hand, per-lot balances, warnings.

Balances are sums of the ledger (ledger.py); nothing here writes. The per-lot balance is
the invariant an inspector checks: received = on hand + in syringes + given + wasted +
disposed + returned + lost, and once every syringe is accounted for, in syringes is 0.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from ketamine_clinic.inventory import ledger
from ketamine_clinic.inventory.enums import Bucket, EntryKind
from ketamine_clinic.inventory.models import (
    Container,
    CountClosure,
    Lot,
    StockEntry,
)
from ketamine_clinic.orders.models import SyringePreparation


@dataclass(frozen=True)
class ContainerStock:
    container: Container
    balances: dict[Bucket, Decimal]

    @property
    def on_hand_mg(self) -> Decimal:
        return self.balances[Bucket.ON_HAND]

    @property
    def on_hand_ml(self) -> Decimal:
        return ledger.mg_of(self.on_hand_mg / self.container.lot.product.base_mg_per_ml)

    @property
    def sealed(self) -> bool:
        """Nothing has ever left it: the count can be a plain "sealed, full"."""
        return self.on_hand_mg == self.container.lot.product.container_mg

    @property
    def expired(self) -> bool:
        return self.container.lot.expiry_date < timezone.localdate()


def stock_on_hand(
    *, location_id: int | None = None, include_empty: bool = False
) -> list[ContainerStock]:
    """Every container with something on hand (or every one), soonest expiry first."""
    containers = Container.objects.select_related("lot__product", "location")
    if location_id is not None:
        containers = containers.filter(location_id=location_id)
    if not include_empty:
        containers = containers.filter(pk__in=ledger.containers_holding(Bucket.ON_HAND))
    by_pk = {c.pk: c for c in containers}
    balances = ledger.container_buckets(by_pk)
    rows = [ContainerStock(by_pk[pk], balances[pk]) for pk in by_pk]
    if not include_empty:
        rows = [row for row in rows if row.on_hand_mg > 0]
    return sorted(rows, key=lambda r: (r.container.lot.expiry_date, r.container.label))


@dataclass
class LotBalance:
    lot: Lot
    received_mg: Decimal = Decimal("0.00")
    buckets: dict[Bucket, Decimal] = field(
        default_factory=lambda: {b: Decimal("0.00") for b in Bucket}
    )
    containers: int = 0

    @property
    def accounted_mg(self) -> Decimal:
        return sum(self.buckets.values(), Decimal("0.00"))

    @property
    def balances(self) -> bool:
        """received = on hand + in syringes + given + wasted + disposed + returned + lost."""
        return self.received_mg == self.accounted_mg


def lot_balances(*, lot_ids: list[int] | None = None, at: date | None = None) -> list[LotBalance]:
    """Each lot's received mg and where it all is, optionally as it stood at end of `at`."""
    lots = Lot.objects.select_related("product")
    if lot_ids is not None:
        lots = lots.filter(pk__in=lot_ids)
    result = {lot.pk: LotBalance(lot=lot) for lot in lots}
    entries = StockEntry.objects.filter(container__lot_id__in=result)
    if at is not None:
        entries = entries.filter(at__date__lte=at)
    sums: dict[int, dict[str, Decimal]] = defaultdict(dict)
    for row in entries.values("container__lot_id", "kind").annotate(total=Sum("mg")).order_by():
        sums[row["container__lot_id"]][row["kind"]] = ledger.mg_of(row["total"])
    counts = Container.objects.filter(lot_id__in=result).values_list("lot_id", flat=True)
    for lot_id in counts:
        result[lot_id].containers += 1
    for lot_id, kinds in sums.items():
        balance = result[lot_id]
        balance.received_mg = kinds.get(EntryKind.RECEIVED, Decimal("0.00"))
        balance.buckets = ledger.buckets_from_sums(kinds)
    return sorted(result.values(), key=lambda b: (b.lot.expiry_date, b.lot.lot_number))


@dataclass(frozen=True)
class ExpiryWarning:
    lot: Lot
    on_hand_mg: Decimal
    containers: list[str]
    days_left: int

    @property
    def expired(self) -> bool:
        return self.days_left < 0


def expiry_warnings(
    *, today: date | None = None, on_hand: list[ContainerStock] | None = None
) -> list[ExpiryWarning]:
    """Lots with stock on hand that have expired or expire within the warning window.

    ``on_hand``: the caller's ``stock_on_hand()`` rows, so a page that shows both sums
    the ledger once (at 19,000 syringes, ~150 ms each time)."""
    day = today or timezone.localdate()
    horizon = day + timedelta(days=settings.KC_CS_EXPIRY_WARNING_DAYS)
    by_lot: dict[int, list[ContainerStock]] = defaultdict(list)
    for row in stock_on_hand() if on_hand is None else on_hand:
        if row.container.lot.expiry_date <= horizon:
            by_lot[row.container.lot_id].append(row)
    warnings = [
        ExpiryWarning(
            lot=rows[0].container.lot,
            on_hand_mg=sum((r.on_hand_mg for r in rows), Decimal("0.00")),
            containers=[r.container.label for r in rows],
            days_left=(rows[0].container.lot.expiry_date - day).days,
        )
        for rows in by_lot.values()
    ]
    return sorted(warnings, key=lambda w: w.days_left)


def syringes_awaiting_account(*, visit_id: int | None = None) -> list[SyringePreparation]:
    """Syringes drawn from stock and not yet closed as given and wasted.

    In two small reads: the syringes without an account (ids only; the visit's, for a
    visit), then which of those were drawn from stock. Reading every drawn and every
    accounted syringe into Python took ~140 ms at 19,000 syringes, for the handful still
    open; asking for both in one query, SQLite checked each of the 19,000 syringes for a
    draw (25 ms on the room page). The entries are read by syringe and their kind
    checked here: filtered on the kind, SQLite reads every draw through (kind, at).
    """
    unaccounted = SyringePreparation.objects.filter(account__isnull=True)
    if visit_id is not None:
        of_visit = StockEntry.objects.filter(visit_id=visit_id).values_list("preparation_id")
        unaccounted = unaccounted.filter(pk__in=of_visit)
    candidates = list(unaccounted.order_by().values_list("pk", flat=True))
    entries = StockEntry.objects.filter(preparation_id__in=candidates)
    if visit_id is not None:
        entries = entries.filter(visit_id=visit_id)
    drawn = {
        preparation_id
        for preparation_id, kind in entries.order_by().values_list("preparation_id", "kind")
        if kind == EntryKind.DRAWN
    }
    return list(
        SyringePreparation.objects.filter(pk__in=drawn)
        .select_related("order__visit__patient", "prepared_by")
        .order_by("prepared_at", "id")
    )


@dataclass(frozen=True)
class CountDue:
    """When the next count is due, at the clinic's chosen frequency (KC_CS_COUNT_EVERY_HOURS)."""

    last_closed_at: datetime | None
    due_at: datetime | None  # None: no count has ever closed, so one is due now
    every_hours: int

    def overdue(self, now: datetime | None = None) -> bool:
        return self.due_at is None or (now or timezone.now()) >= self.due_at


def count_due() -> CountDue:
    every = settings.KC_CS_COUNT_EVERY_HOURS
    last = (
        CountClosure.objects.order_by("-closed_at", "-id")
        .values_list("closed_at", flat=True)
        .first()
    )
    due = last + timedelta(hours=every) if last is not None else None
    return CountDue(last_closed_at=last, due_at=due, every_hours=every)
