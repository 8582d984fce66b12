"""Physical counts by two people, the discrepancies they reveal, and their resolution.

Two stock keepers each enter what they see in every container on hand (a recount is a
newer entry). The count closes when both have counted everything and agree; each
container's figure is set beside the perpetual record at that moment, and any difference
opens a discrepancy. The clinic lead investigates and resolves it with notes; until
then no later count can close, so a difference cannot be buried under the next one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.inventory import ledger
from ketamine_clinic.inventory.enums import (
    Bucket,
    CountKind,
    CountTiming,
    DiscrepancyOutcome,
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
    StockEntry,
    StorageLocation,
)
from ketamine_clinic.inventory.policies import DISCREPANCY_RESOLVERS, STOCK_KEEPER_ROLES
from ketamine_clinic.inventory.selectors import stock_on_hand
from ketamine_clinic.inventory.services.common import audit, require_role

COUNT_OPEN = "Count {pk} is still open: finish or close it before starting another."
COUNT_TIMING = (
    "Say whether the biennial inventory is taken at the opening or the close of business."
)
COUNT_CLOSED = "This count is closed: start a new one."
COUNT_NOT_IN_SCOPE = "{label} is not among the containers this count covers."
COUNT_ML = "Enter the mL in the container: 0 or more, to two decimals, at most {most} mL."
COUNT_UNRESOLVED = (
    "{what} from earlier counts {verb} not resolved ({labels}): the clinic lead must "
    "resolve {them} before another count can close."
)
COUNT_ONE_COUNTER = "Two people must count: {missing}."
COUNT_MISSING = "{who} has not counted {labels}."
COUNT_DISAGREE = "The two counts differ for {labels}: count those containers again."
RESOLVE_DONE = "This discrepancy is already resolved."
RESOLVE_NOTES = "Write what the investigation found."
RESOLVE_LOSS_SURPLUS = "More was counted than the record holds: a surplus cannot be a loss."
RESOLVE_FOUND_SHORTFALL = "Less was counted than the record holds: nothing was found."
RESOLVE_FOUND_NO_LOSS = (
    "{label} has no confirmed loss to reverse: resolve the surplus as a miscount or a "
    "corrected record."
)
RESOLVE_FOUND_MORE = (
    "{surplus} mg more was counted in {label} than the record holds, but only {lost} mg "
    "of it is recorded lost: correct the record for the rest."
)
RESOLVE_LOSS_GONE = (
    "{label} now holds {have} mg on hand, less than the {want} mg missing: "
    "correct the record instead."
)


def open_count() -> Count | None:
    return Count.objects.filter(closure__isnull=True).order_by("-started_at", "-id").first()


def containers_in_scope(count: Count) -> list[Container]:
    """Containers at the count's location (or anywhere) with anything on hand now."""
    rows = stock_on_hand(location_id=count.location_id)
    return sorted((row.container for row in rows), key=lambda container: container.label)


@transaction.atomic
def count_start(
    *,
    by: User,
    kind: CountKind = CountKind.ROUTINE,
    timing: CountTiming | str = "",
    location: StorageLocation | None = None,
) -> Count:
    require_role(by, STOCK_KEEPER_ROLES, "count stock")
    existing = open_count()
    if existing is not None:
        raise ValidationError({"count": COUNT_OPEN.format(pk=existing.pk)})
    if kind == CountKind.BIENNIAL and timing not in CountTiming.values:
        raise ValidationError({"timing": COUNT_TIMING})
    count = Count.objects.create(
        kind=kind, timing=timing, location=location, started_at=timezone.now(), started_by=by
    )
    audit(AuditAction.CREATE, by, "stock_count", count.pk, kind=kind, timing=timing)
    return count


@transaction.atomic
def count_enter(count: Count, *, by: User, container: Container, counted_ml: Decimal) -> CountEntry:
    """One counter's figure for one container; entering again replaces theirs."""
    require_role(by, STOCK_KEEPER_ROLES, "count stock")
    if CountClosure.objects.filter(count=count).exists():
        raise ValidationError({"count": COUNT_CLOSED})
    if container.pk not in {c.pk for c in containers_in_scope(count)}:
        raise ValidationError({"container": COUNT_NOT_IN_SCOPE.format(label=container.label)})
    most = container.lot.product.container_ml
    volume = Decimal(counted_ml)
    if volume < 0 or volume > most or volume != volume.quantize(ledger.CENT):
        raise ValidationError({"counted_ml": COUNT_ML.format(most=most)})
    entry = CountEntry.objects.create(
        count=count, container=container, counter=by, counted_ml=volume, entered_at=timezone.now()
    )
    audit(
        AuditAction.CREATE,
        by,
        "stock_count_entry",
        entry.pk,
        count=count.pk,
        container=container.label,
        counted_ml=volume,
    )
    return entry


def latest_entries(count: Count) -> dict[int, dict[int, Decimal]]:
    """counter id -> container id -> their newest figure in mL."""
    figures: dict[int, dict[int, Decimal]] = {}
    for entry in CountEntry.objects.filter(count=count).order_by("entered_at", "id"):
        figures.setdefault(entry.counter_id, {})[entry.container_id] = entry.counted_ml
    return figures


def unresolved_discrepancies() -> list[Discrepancy]:
    return list(
        Discrepancy.objects.filter(resolution__isnull=True)
        .select_related("line__container", "line__closure__count")
        .order_by("opened_at", "id")
    )


def unresolved_blocker(labels: list[str]) -> str:
    """What stops a count closing while earlier discrepancies wait for the lead."""
    one = len(labels) == 1
    return COUNT_UNRESOLVED.format(
        what="A discrepancy" if one else f"{len(labels)} discrepancies",
        verb="is" if one else "are",
        them="it" if one else "them",
        labels=", ".join(labels),
    )


@dataclass(frozen=True)
class CountProgress:
    """Where a count stands: who has counted what, and what stops it closing."""

    containers: list[Container]
    figures: dict[int, dict[int, Decimal]]
    blockers: list[str]


def count_progress(count: Count) -> CountProgress:
    containers = containers_in_scope(count)
    figures = latest_entries(count)
    blockers: list[str] = []
    pending = unresolved_discrepancies()
    if pending:
        blockers.append(unresolved_blocker([d.line.container.label for d in pending]))
    counters = list(figures)
    if len(counters) < 2:
        missing = "nobody has counted yet" if not counters else "only one person has counted"
        blockers.append(COUNT_ONE_COUNTER.format(missing=missing))
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=counters)}
    for counter in counters:
        absent = [c.label for c in containers if c.pk not in figures[counter]]
        if absent:
            blockers.append(COUNT_MISSING.format(who=names[counter], labels=", ".join(absent)))
    if len(counters) >= 2:
        # Only where everyone has counted: a container someone has not reached yet is
        # "not counted" (above), not a disagreement to recount.
        differ = [
            c.label
            for c in containers
            if all(c.pk in figures[counter] for counter in counters)
            and len({figures[counter][c.pk] for counter in counters}) > 1
        ]
        if differ:
            blockers.append(COUNT_DISAGREE.format(labels=", ".join(differ)))
    return CountProgress(containers=containers, figures=figures, blockers=blockers)


@transaction.atomic
def count_close(count: Count, *, by: User) -> CountClosure:
    """Close the count: lines against the record now, a discrepancy for each difference."""
    require_role(by, STOCK_KEEPER_ROLES, "count stock")
    Count.objects.select_for_update().get(pk=count.pk)
    if CountClosure.objects.filter(count=count).exists():
        raise ValidationError({"count": COUNT_CLOSED})
    progress = count_progress(count)
    if progress.blockers:
        raise ValidationError({"count": progress.blockers})
    locked = ledger.lock_containers(c.pk for c in progress.containers)
    balances = ledger.container_buckets(locked)
    counters = sorted(progress.figures)[:2]
    now = timezone.now()
    closure = CountClosure.objects.create(
        count=count,
        closed_at=now,
        closed_by=by,
        first_counter_id=counters[0],
        second_counter_id=counters[1],
    )
    opened = []
    for container in progress.containers:
        counted_ml = progress.figures[counters[0]][container.pk]
        counted_mg = ledger.mg_of(counted_ml * locked[container.pk].lot.product.base_mg_per_ml)
        expected_mg = balances[container.pk][Bucket.ON_HAND]
        line = CountLine.objects.create(
            closure=closure,
            container=container,
            expected_mg=expected_mg,
            counted_mg=counted_mg,
            counted_ml=counted_ml,
        )
        if counted_mg != expected_mg:
            Discrepancy.objects.create(
                line=line, difference_mg=counted_mg - expected_mg, opened_at=now
            )
            opened.append(f"{container.label}: {counted_mg - expected_mg:+} mg")
    audit(
        AuditAction.CREATE,
        by,
        "stock_count_closure",
        closure.pk,
        count=count.pk,
        containers=len(progress.containers),
        discrepancies=opened,
    )
    return closure


@transaction.atomic
def discrepancy_resolve(
    discrepancy: Discrepancy,
    *,
    by: User,
    outcome: DiscrepancyOutcome,
    notes: str,
    form_106_reference: str = "",
) -> DiscrepancyResolution:
    """The lead's finding. A confirmed loss takes the missing mg off the record (LOST);
    stock found that an earlier loss took off is put back by correcting that loss."""
    require_role(by, DISCREPANCY_RESOLVERS, "resolve a count discrepancy")
    locked = (
        Discrepancy.objects.select_for_update()
        .select_related("line__container")
        .get(pk=discrepancy.pk)
    )
    if DiscrepancyResolution.objects.filter(discrepancy=locked).exists():
        raise ValidationError({"discrepancy": RESOLVE_DONE})
    if not notes.strip():
        raise ValidationError({"notes": RESOLVE_NOTES})
    now = timezone.now()
    loss_entry: StockEntry | None = None
    if outcome == DiscrepancyOutcome.LOSS:
        if locked.difference_mg >= 0:
            raise ValidationError({"outcome": RESOLVE_LOSS_SURPLUS})
        container = ledger.lock_containers([locked.line.container_id])[locked.line.container_id]
        balances = ledger.container_buckets([container.pk])[container.pk]
        missing = -locked.difference_mg
        if balances[Bucket.ON_HAND] < missing:
            raise ValidationError(
                {
                    "outcome": RESOLVE_LOSS_GONE.format(
                        label=container.label, have=balances[Bucket.ON_HAND], want=missing
                    )
                }
            )
        loss_entry = ledger.post(
            container=container,
            kind=EntryKind.LOST,
            mg=missing,
            by=by,
            at=now,
            balances=balances,
            discrepancy=locked,
            reference=form_106_reference.strip(),
            notes=notes.strip(),
        )
    if outcome == DiscrepancyOutcome.FOUND:
        loss_entry = _reverse_loss(locked, by=by, at=now, notes=notes.strip())
    resolution = DiscrepancyResolution.objects.create(
        discrepancy=locked,
        outcome=outcome,
        notes=notes.strip(),
        resolved_by=by,
        resolved_at=now,
        form_106_reference=form_106_reference.strip(),
    )
    audit(
        AuditAction.CREATE,
        by,
        "stock_discrepancy_resolution",
        resolution.pk,
        discrepancy=locked.pk,
        container=locked.line.container.label,
        difference_mg=locked.difference_mg,
        outcome=outcome,
        loss_entry=loss_entry.pk if loss_entry else "",
    )
    return resolution


def _reverse_loss(discrepancy: Discrepancy, *, by: User, at: datetime, notes: str) -> StockEntry:
    """Correct the container's loss entries by the surplus counted (newest loss first)."""
    surplus = discrepancy.difference_mg
    label = discrepancy.line.container.label
    if surplus <= 0:
        raise ValidationError({"outcome": RESOLVE_FOUND_SHORTFALL})
    container = ledger.lock_containers([discrepancy.line.container_id])[
        discrepancy.line.container_id
    ]
    losses = [
        (entry, entry.mg + sum((c.mg for c in entry.corrections.all()), Decimal(0)))
        for entry in StockEntry.objects.filter(
            container=container, kind=EntryKind.LOST, corrects__isnull=True
        )
        .prefetch_related("corrections")
        .order_by("-at", "-id")
    ]
    still_lost = sum((net for _, net in losses), Decimal(0))
    if still_lost <= 0:
        raise ValidationError({"outcome": RESOLVE_FOUND_NO_LOSS.format(label=label)})
    if surplus > still_lost:
        raise ValidationError(
            {"outcome": RESOLVE_FOUND_MORE.format(surplus=surplus, label=label, lost=still_lost)}
        )
    balances = ledger.container_buckets([container.pk])[container.pk]
    to_return = surplus
    last: StockEntry | None = None
    for entry, net in losses:
        if to_return <= 0:
            break
        back = min(net, to_return)
        if back <= 0:
            continue
        last = ledger.post(
            container=container,
            kind=EntryKind.LOST,
            mg=-back,
            by=by,
            at=at,
            balances=balances,
            corrects=entry,
            discrepancy=discrepancy,
            notes=notes,
        )
        to_return -= back
    if last is None:  # cannot happen: surplus > 0 and still_lost >= surplus
        raise ValidationError({"outcome": RESOLVE_FOUND_NO_LOSS.format(label=label)})
    return last
