"""The one place stock moves: lock the containers, check the buckets, write the entry.

Every service that changes stock goes through `post`, inside its transaction, after
`lock_containers`. Balances are never stored; they are sums of the insert-only entries,
read under the container's row lock, so two nurses drawing from one vial at once are
serialised and the second sees what the first left (PostgreSQL `SELECT ... FOR
UPDATE`; SQLite serialises writers itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Case, DecimalField, F, QuerySet, Sum, Value, When

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory.enums import BUCKET_MOVES, Bucket, EntryKind
from ketamine_clinic.inventory.models import Container, StockEntry

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

NOT_ENOUGH = "{label} holds {have} mg {where}; {want} mg cannot come out of it."
WHERE = {
    Bucket.ON_HAND: "on hand",
    Bucket.IN_SYRINGE: "drawn and not yet accounted for",
}


def mg_of(value: Decimal | float | int | str) -> Decimal:
    """Milligrams to the record's resolution (0.01 mg), rounded half-even like a ledger."""
    return Decimal(str(value)).quantize(CENT)


def buckets_from_sums(sums: Mapping[str, Decimal]) -> dict[Bucket, Decimal]:
    """Each bucket's balance from the total mg per entry kind (corrections included)."""
    balance = {bucket: ZERO for bucket in Bucket}
    for kind, (source, destination) in BUCKET_MOVES.items():
        amount = sums.get(kind, ZERO)
        if source is not None:
            balance[source] -= amount
        balance[destination] += amount
    return balance


def received_from_sums(sums: Mapping[str, Decimal]) -> Decimal:
    return sums.get(EntryKind.RECEIVED, ZERO)


def kind_sums(container_ids: Iterable[int]) -> dict[int, dict[str, Decimal]]:
    """Total mg per container and entry kind, in one query."""
    ids = list(container_ids)
    sums: dict[int, dict[str, Decimal]] = {pk: {} for pk in ids}
    rows = (
        StockEntry.objects.filter(container_id__in=ids)
        .values("container_id", "kind")
        .annotate(total=Sum("mg"))
        .order_by()
    )
    for row in rows:
        sums[row["container_id"]][row["kind"]] = mg_of(row["total"])
    return sums


def bucket_balance(bucket: Bucket) -> Sum:
    """The SQL sum of a bucket's balance over entries, from the same `BUCKET_MOVES` table
    (an entry into the bucket adds its mg, one out of it takes it away; a correction's
    negative mg does the reverse)."""
    into = [kind for kind, (_, destination) in BUCKET_MOVES.items() if destination == bucket]
    out_of = [kind for kind, (source, _) in BUCKET_MOVES.items() if source == bucket]
    return Sum(
        Case(
            When(kind__in=into, then=F("mg")),
            When(kind__in=out_of, then=-F("mg")),
            default=Value(ZERO),
            output_field=DecimalField(max_digits=12, decimal_places=2),
        )
    )


def containers_holding(bucket: Bucket) -> QuerySet[StockEntry, int]:
    """The ids of the containers whose `bucket` holds something, computed in the database:
    a clinic's record keeps thousands of empty vials a page need not load."""
    return (
        StockEntry.objects.values("container_id")
        .annotate(balance=bucket_balance(bucket))
        .filter(balance__gt=0)
        .order_by()
        .values_list("container_id", flat=True)
    )


def container_buckets(container_ids: Iterable[int]) -> dict[int, dict[Bucket, Decimal]]:
    return {pk: buckets_from_sums(s) for pk, s in kind_sums(container_ids).items()}


def lock_containers(container_ids: Iterable[int]) -> dict[int, Container]:
    """Lock the containers' rows, in id order so two transactions cannot deadlock."""
    ids = sorted(set(container_ids))
    locked = Container.objects.select_for_update().select_related("lot__product").filter(pk__in=ids)
    return {container.pk: container for container in locked.order_by("pk")}


def post(
    *,
    container: Container,
    kind: EntryKind,
    mg: Decimal,
    by: User,
    at: datetime,
    balances: dict[Bucket, Decimal] | None = None,
    **fields: Any,
) -> StockEntry:
    """Write one entry after checking that its source bucket holds enough.

    The caller holds the container's lock (`lock_containers`). `balances`, when given,
    is the container's balance the caller already read under that lock; it is updated
    in place, so several entries on one container in one transaction check each other.
    """
    amount = mg_of(mg)
    source, destination = BUCKET_MOVES[kind]
    if balances is None:
        balances = container_buckets([container.pk])[container.pk]
    # A positive move takes from the source; a negative correction takes back from the
    # destination. Either way nothing may go below zero.
    giving_up = source if amount > 0 else destination
    if giving_up is not None and balances[giving_up] < abs(amount):
        raise ValidationError(
            {
                "mg": NOT_ENOUGH.format(
                    label=container.label,
                    have=balances[giving_up],
                    where=WHERE.get(giving_up, f"as {giving_up.value.replace('_', ' ')}"),
                    want=abs(amount),
                )
            }
        )
    entry = StockEntry.objects.create(
        container=container, kind=kind, mg=amount, by=by, at=at, **fields
    )
    if source is not None:
        balances[source] -= amount
    balances[destination] += amount
    return entry
