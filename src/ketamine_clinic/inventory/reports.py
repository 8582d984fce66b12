"""Reads behind the count pages and the printable logs of the controlled-substance record.

Each log is a `Report`: a title, columns and rows of text, and totals. The printable
page and the CSV render the very same rows, so what an inspector prints and what they
load into a spreadsheet cannot disagree. Amounts are read from the ledger's entries (not
from summaries), so a log filtered to one lot adds up to that lot's balance exactly.

Nothing here writes to the record. The one side effect is the audit line of the
dispensing log: it names patients, so reading it is recorded like any read of a chart.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import NamedTuple

from django.db.models import Count as DbCount
from django.db.models import Min, Q, QuerySet, Sum
from django.utils import timezone

from ketamine_clinic.accounts.models import DISPLAY_NAME_FIELDS, User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.inventory import ledger
from ketamine_clinic.inventory.enums import (
    Bucket,
    CountKind,
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
    DeaRegistration,
    Discrepancy,
    Lot,
    Receipt,
    StockEntry,
    SyringeAccount,
)
from ketamine_clinic.inventory.services.counts import count_progress
from ketamine_clinic.inventory.services.stock import current_registration
from ketamine_clinic.orders.models import SyringePreparation

ZERO = Decimal("0.00")


def _mg(value: Decimal) -> str:
    return f"{ledger.mg_of(value)}"


def _ml(mg: Decimal, strength_mg_per_ml: Decimal) -> Decimal:
    return ledger.mg_of(mg / strength_mg_per_ml)


def _when(moment: datetime | None) -> str:
    """A moment in the clinic's time zone, to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _name(user: User | None) -> str:
    return user.display_name if user is not None else ""


@dataclass(frozen=True)
class ReportFilters:
    """Dates are the clinic's local days, both ends included; `lot` narrows to one lot."""

    date_from: date | None = None
    date_to: date | None = None
    lot: Lot | None = None

    def describe(self) -> str:
        if self.date_from and self.date_to:
            days = f"{self.date_from:%Y-%m-%d} to {self.date_to:%Y-%m-%d}"
        elif self.date_from:
            days = f"from {self.date_from:%Y-%m-%d}"
        elif self.date_to:
            days = f"up to {self.date_to:%Y-%m-%d}"
        else:
            days = "all dates"
        lots = f"lot {self.lot.lot_number}" if self.lot is not None else "all lots"
        return f"{days}, {lots}"

    def days(self, queryset: QuerySet, lookup: str) -> QuerySet:  # type: ignore[type-arg]
        """`queryset` narrowed to the range on `lookup` (a date, or a datetime's __date).

        A datetime is compared with the clinic's midnights rather than through __date,
        which the database computes row by row (on SQLite in Python): the log of a month
        in a record of years then reads the month through the index, not every entry.
        """
        field, _, part = lookup.rpartition("__")
        if not field or part != "date":
            if self.date_from is not None:
                queryset = queryset.filter(**{f"{lookup}__gte": self.date_from})
            if self.date_to is not None:
                queryset = queryset.filter(**{f"{lookup}__lte": self.date_to})
            return queryset
        if self.date_from is not None:
            queryset = queryset.filter(**{f"{field}__gte": _clinic_midnight(self.date_from)})
        if self.date_to is not None:
            next_day = self.date_to + timedelta(days=1)
            queryset = queryset.filter(**{f"{field}__lt": _clinic_midnight(next_day)})
        return queryset


def _clinic_midnight(day: date) -> datetime:
    """The start of `day` on the clinic's clock (its zone's midnight, DST included)."""
    return timezone.make_aware(datetime.combine(day, time.min))


# Codes read whole: a lot number or NDC split over two lines is misread.
UNBROKEN = frozenset(
    {"Container", "Lot", "NDC", "Expiry", "MRN", "Date received", "Supplier DEA no.", "Entry"}
)


@dataclass(frozen=True)
class Total:
    label: str
    value: str


# Rows a page of a long log shows (the dispensing log: a month is some 500 syringes).
PAGE_ROWS = 100


@dataclass(frozen=True)
class Paging:
    """Which rows of a log one page shows: `number` of `pages`, rows `first_row` to
    `last_row` (1-based, both included) of `rows` in the whole range."""

    number: int
    pages: int
    rows: int
    first_row: int
    last_row: int

    @classmethod
    def of(cls, page: int, *, rows: int, per_page: int = PAGE_ROWS) -> Paging:
        """Page `page`, brought into 1..pages (an empty log has one empty page)."""
        pages = max(1, -(-rows // per_page))
        number = min(max(1, page), pages)
        first = (number - 1) * per_page + 1
        return cls(number, pages, rows, min(first, rows), min(number * per_page, rows))

    @property
    def previous(self) -> int | None:
        return self.number - 1 if self.number > 1 else None

    @property
    def next(self) -> int | None:
        return self.number + 1 if self.number < self.pages else None


@dataclass
class Report:
    """One log: the same rows for the printed page and the CSV."""

    key: str
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    totals: list[Total] = field(default_factory=list)
    # Facts printed above the table (the biennial inventory's date, registrant, ...).
    facts: list[Total] = field(default_factory=list)
    numeric: frozenset[str] = frozenset()
    empty: str = "Nothing recorded for these filters."
    # Set when `rows` is one page of the range; `totals` are still the whole range's.
    paging: Paging | None = None

    def column_classes(self) -> list[str]:
        """Each column's CSS class: numbers right-aligned; codes and labels never split."""
        return [
            "num" if column in self.numeric else "nowrap" if column in UNBROKEN else ""
            for column in self.columns
        ]


def registration_at(moment: datetime | None = None) -> DeaRegistration | None:
    """The registration in force at `moment` (the newest recorded by then), else now's."""
    if moment is not None:
        then = DeaRegistration.objects.filter(recorded_at__lte=moment).order_by(
            "-recorded_at", "-id"
        )
        found = then.first()
        if found is not None:
            return found
    return current_registration()


# ---- receipt log ----------------------------------------------------------------------

RECEIPT_COLUMNS = (
    "Date received",
    "Supplier",
    "Supplier address",
    "Supplier DEA no.",
    "Invoice",
    "Product",
    "NDC",
    "Lot",
    "Expiry",
    "Containers",
    "Container labels",
    "mg (base)",
    "Received by",
)


def latest_movement_day() -> date | None:
    """The clinic's local day of the newest entry in the record (None when it is empty).

    Each kind's newest, read from the end of the (kind, at) index, a query per kind: the
    newest of all in one query has no index to read and sorted the whole ledger (61,000
    entries on the generated clinic, 6-10 ms of the database's CPU on every movement
    log), and with the kinds as subqueries of one query PostgreSQL scanned the table.
    """
    newest = [
        at
        for kind in EntryKind
        if (
            at := StockEntry.objects.filter(kind=kind)
            .order_by("-at")
            .values_list("at", flat=True)
            .first()
        )
        is not None
    ]
    return timezone.localdate(max(newest)) if newest else None


def receipt_log(filters: ReportFilters) -> Report:
    """Every receipt: what came in, from whom (as the supplier's details were then)."""
    receipts = filters.days(
        Receipt.objects.select_related("lot__product", "received_by"), "received_on"
    )
    if filters.lot is not None:
        receipts = receipts.filter(lot=filters.lot)
    found = list(receipts.order_by("received_on", "id"))
    ids = [receipt.pk for receipt in found]
    # Net of corrections: a corrected receipt entry keeps its receipt.
    mg_by_receipt = {
        row["receipt_id"]: ledger.mg_of(row["total"])
        for row in StockEntry.objects.filter(kind=EntryKind.RECEIVED, receipt_id__in=ids)
        .values("receipt_id")
        .annotate(total=Sum("mg"))
        .order_by()
    }
    labels: dict[int, list[str]] = defaultdict(list)
    for receipt_id, label in (
        Container.objects.filter(receipt_id__in=ids)
        .order_by("label")
        .values_list("receipt_id", "label")
    ):
        labels[receipt_id].append(label)
    report = Report(
        key="receipts",
        title="Receipt log",
        columns=RECEIPT_COLUMNS,
        numeric=frozenset({"Containers", "mg (base)"}),
        empty="No stock was received in this range.",
    )
    containers, total_mg = 0, ZERO
    for receipt in found:
        mg = mg_by_receipt.get(receipt.pk, ZERO)
        product = receipt.lot.product
        report.rows.append(
            (
                f"{receipt.received_on:%Y-%m-%d}",
                receipt.supplier_name,
                receipt.supplier_address,
                receipt.supplier_dea_number,
                receipt.invoice_number,
                product.name,
                product.ndc,
                receipt.lot.lot_number,
                f"{receipt.lot.expiry_date:%Y-%m-%d}",
                str(receipt.container_count),
                ", ".join(labels[receipt.pk]),
                _mg(mg),
                _name(receipt.received_by),
            )
        )
        containers += receipt.container_count
        total_mg += mg
    report.totals = [
        Total("Receipts", str(len(found))),
        Total("Containers received", str(containers)),
        Total("mg received (base)", _mg(total_mg)),
    ]
    return report


# ---- dispensing log -------------------------------------------------------------------

DISPENSING_COLUMNS = (
    "Drawn at",
    "Patient",
    "MRN",
    "Visit",
    "Containers drawn",
    "Lots",
    "mg drawn",
    "mg given",
    "mg wasted",
    "Drawn by",
    "Accounted at",
    "Accounted by",
    "Waste witness",
)


def dispensing_log(
    filters: ReportFilters, *, by: User, purpose: str, page: int | None = None
) -> Report:
    """One row per syringe drawn in the range: the administration record.

    The figures are the ledger's entries for the syringe (drawn, given, wasted), so with
    a lot filter they are that lot's share of each syringe. A syringe not yet accounted
    for shows what was drawn and blanks for given and wasted. `page` (1-based) gives
    PAGE_ROWS syringes of the range, in the order of the whole log; the totals are
    always the whole range's, summed in the database. Without `page`, every row (the
    CSV). Reading it is audited (`purpose`: "page" or "csv"), naming every syringe and
    patient shown.
    """
    drawn = StockEntry.objects.filter(kind=EntryKind.DRAWN, preparation__isnull=False)
    if filters.lot is not None:
        drawn = drawn.filter(container__lot=filters.lot)
    in_range = SyringePreparation.objects.filter(
        pk__in=filters.days(drawn, "at__date").values("preparation_id")
    ).order_by()
    # The entries are reached from their syringes (the preparation index), the kind and
    # lot being conditions of each sum: filtered on the kind, SQLite would read every
    # syringe's entry of the record through the (kind, at) index instead.
    lot = Q(stock_entries__container__lot=filters.lot) if filters.lot is not None else Q()
    kinds = (EntryKind.DRAWN, EntryKind.GIVEN, EntryKind.WASTED)

    def mg_of_kind(kind: EntryKind) -> Sum:
        return Sum("stock_entries__mg", filter=Q(stock_entries__kind=kind) & lot)

    # The log's order (each syringe's first draw, then its id) for the whole range, as
    # ids only: a month is some 500 syringes, of which a page reads 100 in full.
    # With each syringe's account, if any (one at most), for the count awaiting one.
    ordered_accounts = list(
        in_range.values("pk")
        .annotate(
            first=Min("stock_entries__at", filter=Q(stock_entries__kind=EntryKind.DRAWN) & lot)
        )
        .order_by("first", "pk")
        .values_list("pk", "account__id")
    )
    ordered = [pk for pk, _account in ordered_accounts]
    report = Report(
        key="dispensing",
        title="Dispensing log",
        columns=DISPENSING_COLUMNS,
        numeric=frozenset({"mg drawn", "mg given", "mg wasted"}),
        empty="No syringe was drawn in this range.",
    )
    shown = ordered
    if page is not None:
        report.paging = Paging.of(page, rows=len(ordered))
        shown = ordered[report.paging.first_row - 1 : report.paging.last_row]
    report.rows, patient_ids = _dispensing_rows(shown, filters)
    sums = in_range.aggregate(**{kind.value: mg_of_kind(kind) for kind in kinds})
    totals = {kind: ledger.mg_of(sums[kind.value] or ZERO) for kind in kinds}
    accounted = sum(1 for _pk, account in ordered_accounts if account is not None)
    report.totals = [
        Total("Syringes", str(len(ordered))),
        Total("mg drawn", _mg(totals[EntryKind.DRAWN])),
        Total("mg given", _mg(totals[EntryKind.GIVEN])),
        Total("mg wasted", _mg(totals[EntryKind.WASTED])),
        Total("Syringes awaiting account", str(len(ordered) - accounted)),
    ]
    detail: dict[str, object] = {
        "purpose": purpose,
        "date_from": filters.date_from.isoformat() if filters.date_from else "",
        "date_to": filters.date_to.isoformat() if filters.date_to else "",
        "lot": filters.lot.lot_number if filters.lot else "",
        "preparation_ids": sorted(shown),
        "patient_ids": patient_ids,
    }
    if report.paging is not None:
        detail["page"] = report.paging.number
    audit_record(action=AuditAction.READ, actor=by, object_type="dispensing_log", detail=detail)
    return report


class _Entry(NamedTuple):
    """A ledger entry of a syringe, as the dispensing log reads it."""

    kind: str
    mg: Decimal
    at: datetime
    container_id: int
    by_id: int


# A syringe's row: when and by whom it was prepared, and its visit (`label`: the number
# and the course's protocol), and the visit's patient (`display_name`, MRN).
_PREPARATION_SHOWN = (
    "prepared_at",
    "prepared_by",
    "order__visit__scheduled_start",
    "order__visit__number_in_course",
    "order__visit__course__protocol",
    "order__visit__patient__legal_first_name",
    "order__visit__patient__legal_last_name",
    "order__visit__patient__preferred_name",
    "order__visit__patient__mrn",
)


class _Account(NamedTuple):
    """A syringe's account, as the dispensing log shows it."""

    at: datetime
    by_id: int
    witness_id: int | None


def _dispensing_rows(
    preparation_ids: list[int], filters: ReportFilters
) -> tuple[list[tuple[str, ...]], list[int]]:
    """The rows of these syringes, in the order given, and the patients they name."""
    kinds = (EntryKind.DRAWN, EntryKind.GIVEN, EntryKind.WASTED)
    # Read by syringe only, the kind and order applied here: given a kind or an order by
    # time, SQLite reads them through the (kind, at) index, every syringe of the record.
    # As plain values, their containers and people read once each: a page's 300 entries
    # as models with their containers, lots, products and users were 1,500 objects.
    entries = StockEntry.objects.filter(preparation_id__in=preparation_ids)
    if filters.lot is not None:
        entries = entries.filter(container__lot=filters.lot)
    by_preparation: dict[int, list[_Entry]] = defaultdict(list)
    found = entries.order_by().values_list(
        "pk", "preparation_id", "kind", "mg", "at", "container_id", "by_id"
    )
    for _pk, preparation_id, kind, mg, at, container_id, by_id in sorted(
        found, key=lambda row: (row[4], row[0])
    ):
        if kind in kinds:
            by_preparation[preparation_id].append(_Entry(kind, mg, at, container_id, by_id))
    # Only the columns the rows show (with the keys select_related follows): whole rows
    # of orders, visits, patients and users, with the orders' plans decoded from JSON,
    # were half the page's CPU time on PostgreSQL.
    containers = (
        Container.objects.select_related("lot__product")
        .only("label", "lot__lot_number", "lot__product__base_mg_per_ml")
        .in_bulk({e.container_id for rows in by_preparation.values() for e in rows})
    )
    preparations = {
        p.pk: p
        for p in SyringePreparation.objects.filter(pk__in=preparation_ids)
        .select_related("order__visit__patient", "order__visit__course")
        .only(*_PREPARATION_SHOWN)
    }
    # (at, by, witness) per syringe accounted for.
    accounts = {
        preparation_id: _Account(at, by_id, witness_id)
        for preparation_id, at, by_id, witness_id in SyringeAccount.objects.filter(
            preparation_id__in=preparation_ids
        ).values_list("preparation_id", "at", "by_id", "witness_id")
    }
    # The staff named, a few people for a page of syringes: read once each, not a user
    # per row of every syringe and account.
    people = User.objects.only(*DISPLAY_NAME_FIELDS).in_bulk(
        {e.by_id for rows in by_preparation.values() for e in rows}
        | {p.prepared_by_id for p in preparations.values()}
        | {a.by_id for a in accounts.values()}
        | {a.witness_id for a in accounts.values() if a.witness_id is not None}
    )
    rows: list[tuple[str, ...]] = []
    for pk in preparation_ids:
        preparation = preparations[pk]
        visit = preparation.order.visit
        sums = {kind: ZERO for kind in kinds}
        drawn_ml: dict[str, Decimal] = {}
        lots: set[str] = set()
        for entry in by_preparation[pk]:
            sums[EntryKind(entry.kind)] += entry.mg
            if entry.kind == EntryKind.DRAWN:
                container = containers[entry.container_id]
                strength = container.lot.product.base_mg_per_ml
                drawn_ml[container.label] = drawn_ml.get(container.label, ZERO) + _ml(
                    entry.mg, strength
                )
                lots.add(container.lot.lot_number)
        first = next((e for e in by_preparation[pk] if e.kind == EntryKind.DRAWN), None)
        account = accounts.get(pk)
        rows.append(
            (
                _when(first.at if first else preparation.prepared_at),
                visit.patient.display_name,
                visit.patient.mrn,
                f"#{visit.pk} {visit.label}, {timezone.localtime(visit.scheduled_start):%Y-%m-%d}",
                "; ".join(f"{label}: {ml} mL" for label, ml in sorted(drawn_ml.items())),
                ", ".join(sorted(lots)),
                _mg(sums[EntryKind.DRAWN]),
                _mg(sums[EntryKind.GIVEN]) if account else "",
                _mg(sums[EntryKind.WASTED]) if account else "",
                _name(people.get(first.by_id if first else preparation.prepared_by_id)),
                _when(account.at) if account else "",
                _name(people.get(account.by_id)) if account else "awaiting account",
                _name(people.get(account.witness_id)) if account and account.witness_id else "",
            )
        )
    return rows, sorted({p.order.visit.patient_id for p in preparations.values()})


# ---- waste log ------------------------------------------------------------------------

WASTE_COLUMNS = (
    "When",
    "Entry",
    "Kind",
    "Container",
    "Product",
    "NDC",
    "Lot",
    "mg (base)",
    "mL",
    "Visit",
    "Method",
    "Reason",
    "By",
    "Witness",
    "Second witness",
    "Reference",
    "Notes",
)
WASTE_KINDS = (EntryKind.WASTED, EntryKind.DISPOSED, EntryKind.RETURNED)


def waste_log(filters: ReportFilters) -> Report:
    """Witnessed waste of syringes' unused parts, and stock destroyed or returned.

    A correction of a disposal or return is its own row (signed mg, naming the entry it
    corrects), so the totals are the net amounts the ledger holds.
    """
    entries = filters.days(StockEntry.objects.filter(kind__in=WASTE_KINDS), "at__date")
    if filters.lot is not None:
        entries = entries.filter(container__lot=filters.lot)
    report = Report(
        key="waste",
        title="Waste, disposal and return log",
        columns=WASTE_COLUMNS,
        numeric=frozenset({"mg (base)", "mL"}),
        empty="Nothing was wasted, destroyed or returned in this range.",
    )
    # As plain values, their containers and people read once each: a month's 400 entries
    # as models with their containers, lots, products and three users were 3,000 objects,
    # most of the page's CPU.
    found = list(
        entries.order_by("at", "id").values_list(
            "pk", "at", "kind", "container_id", "mg", "visit_id", "method", "reason",
            "by_id", "witness_id", "second_witness_id", "reference", "notes", "corrects_id",
        )
    )  # fmt: skip
    containers = (
        Container.objects.select_related("lot__product")
        .only(
            "label", "lot__lot_number", "lot__product__name", "lot__product__ndc",
            "lot__product__base_mg_per_ml",
        )
        .in_bulk({row[3] for row in found})
    )  # fmt: skip
    people = User.objects.only(*DISPLAY_NAME_FIELDS).in_bulk(
        {person for row in found for person in row[8:11] if person is not None}
    )
    kind_label = dict(EntryKind.choices)
    method_label = dict(DisposalMethod.choices)
    reason_label = dict(DisposalReason.choices)
    totals = {kind: ZERO for kind in WASTE_KINDS}
    for (
        pk, at, kind, container_id, mg, visit_id, method, reason,
        by_id, witness_id, second_witness_id, reference, notes, corrects_id,
    ) in found:  # fmt: skip
        container = containers[container_id]
        product = container.lot.product
        if corrects_id is not None:
            notes = f"Correction of entry {corrects_id}: {notes}"
        report.rows.append(
            (
                _when(at),
                str(pk),
                kind_label.get(kind, kind),
                container.label,
                product.name,
                product.ndc,
                container.lot.lot_number,
                _mg(mg),
                f"{_ml(mg, product.base_mg_per_ml)}",
                f"#{visit_id}" if visit_id else "",
                method_label.get(method, method) if method else "",
                reason_label.get(reason, reason) if reason else "",
                _name(people.get(by_id)) if by_id else "",
                _name(people.get(witness_id)) if witness_id else "",
                _name(people.get(second_witness_id)) if second_witness_id else "",
                reference,
                notes,
            )
        )
        totals[EntryKind(kind)] += mg
    report.totals = [
        Total("mg wasted from syringes (witnessed)", _mg(totals[EntryKind.WASTED])),
        Total("mg destroyed on site", _mg(totals[EntryKind.DISPOSED])),
        Total("mg returned", _mg(totals[EntryKind.RETURNED])),
    ]
    return report


# ---- count history --------------------------------------------------------------------

COUNT_COLUMNS = (
    "Count",
    "Kind",
    "Taken at",
    "Location",
    "Closed",
    "Counted by",
    "Container",
    "Lot",
    "Expected mg",
    "Counted mL",
    "Counted mg",
    "Difference mg",
    "Outcome",
    "Resolution notes",
    "Resolved by",
    "Resolved at",
    "Form 106",
)


def _closures(filters: ReportFilters) -> QuerySet[CountClosure]:
    return filters.days(
        CountClosure.objects.select_related(
            "count__location", "first_counter", "second_counter", "closed_by"
        ),
        "closed_at__date",
    )


def count_history(filters: ReportFilters) -> Report:
    """Each closed count, line by line, with its discrepancies and how they ended."""
    closures = list(_closures(filters).order_by("closed_at", "id"))
    lines = CountLine.objects.filter(closure__in=closures).select_related(
        "container__lot",
        "discrepancy__resolution__resolved_by",
    )
    if filters.lot is not None:
        lines = lines.filter(container__lot=filters.lot)
    by_closure: dict[int, list[CountLine]] = defaultdict(list)
    for line in lines.order_by("container__label", "id"):
        by_closure[line.closure_id].append(line)
    report = Report(
        key="counts",
        title="Count history",
        columns=COUNT_COLUMNS,
        numeric=frozenset({"Expected mg", "Counted mL", "Counted mg", "Difference mg"}),
        empty="No count was closed in this range.",
    )
    shown_counts = line_total = discrepancies = unresolved = 0
    net = ZERO
    for closure in closures:
        count = closure.count
        head = (
            str(count.pk),
            count.get_kind_display(),
            count.get_timing_display() if count.timing else "",
            count.location.name if count.location else "All locations",
            _when(closure.closed_at),
            f"{_name(closure.first_counter)} and {_name(closure.second_counter)}",
        )
        count_lines = by_closure.get(closure.pk, [])
        if not count_lines:
            if filters.lot is None:
                shown_counts += 1
                report.rows.append((*head, "no containers on hand", *[""] * 10))
            continue
        shown_counts += 1
        for line in count_lines:
            line_total += 1
            outcome = notes = resolved_by = resolved_at = form_106 = ""
            difference = ""
            found = getattr(line, "discrepancy", None)
            if found is not None:
                discrepancies += 1
                net += found.difference_mg
                difference = f"{found.difference_mg:+.2f}"
                resolution = getattr(found, "resolution", None)
                if resolution is None:
                    unresolved += 1
                    outcome = "Open: awaiting the clinic lead"
                else:
                    outcome = resolution.get_outcome_display()
                    notes = resolution.notes
                    resolved_by = _name(resolution.resolved_by)
                    resolved_at = _when(resolution.resolved_at)
                    form_106 = resolution.form_106_reference
            report.rows.append(
                (
                    *head,
                    line.container.label,
                    line.container.lot.lot_number,
                    _mg(line.expected_mg),
                    f"{line.counted_ml:.2f}",
                    _mg(line.counted_mg),
                    difference,
                    outcome,
                    notes,
                    resolved_by,
                    resolved_at,
                    form_106,
                )
            )
    report.totals = [
        Total("Counts", str(shown_counts)),
        Total("Containers counted", str(line_total)),
        Total("Discrepancies", str(discrepancies)),
        Total("Discrepancies still open", str(unresolved)),
        Total("Net difference (counted minus record), mg", f"{net:+.2f}"),
    ]
    return report


# ---- biennial inventory ---------------------------------------------------------------

BIENNIAL_COLUMNS = (
    "Container",
    "Product",
    "NDC",
    "Lot",
    "Expiry",
    "Counted mL",
    "Counted mg (base)",
)


def latest_biennial(filters: ReportFilters) -> CountClosure | None:
    """The newest closed biennial count in the date range."""
    return (
        _closures(filters)
        .filter(count__kind=CountKind.BIENNIAL)
        .order_by("-closed_at", "-id")
        .first()
    )


def biennial_inventory(filters: ReportFilters) -> Report:
    """The latest biennial inventory (21 CFR 1304.11): what was counted, container by
    container, with its date, whether at opening or close of business, and the registrant."""
    report = Report(
        key="biennial",
        title="Biennial inventory",
        columns=BIENNIAL_COLUMNS,
        numeric=frozenset({"Counted mL", "Counted mg (base)"}),
        empty="No biennial inventory has been closed in this range: start a count of kind "
        "\u201cBiennial inventory\u201d on the counts page.",
    )
    closure = latest_biennial(filters)
    if closure is None:
        return report
    count = closure.count
    registration = registration_at(closure.closed_at)
    report.facts = [
        Total("Inventory date", f"{timezone.localtime(closure.closed_at):%Y-%m-%d}"),
        Total("Taken at", count.get_timing_display()),
        Total(
            "Registrant",
            registration.registrant_name if registration else "no DEA registration on file",
        ),
        Total("DEA registration", registration.number if registration else ""),
        Total("Address", registration.address if registration else ""),
        Total("Location", count.location.name if count.location else "All locations"),
        Total("Started", _when(count.started_at)),
        Total("Closed", _when(closure.closed_at)),
        Total(
            "Counted by",
            f"{_name(closure.first_counter)} and {_name(closure.second_counter)}",
        ),
        Total("Count", f"#{count.pk}"),
    ]
    lines = closure.lines.select_related("container__lot__product")
    if filters.lot is not None:
        lines = lines.filter(container__lot=filters.lot)
    per_lot: dict[int, tuple[Lot, int, Decimal, Decimal]] = {}
    for line in lines.order_by("container__lot__expiry_date", "container__label"):
        lot = line.container.lot
        product = lot.product
        report.rows.append(
            (
                line.container.label,
                product.name,
                product.ndc,
                lot.lot_number,
                f"{lot.expiry_date:%Y-%m-%d}",
                f"{line.counted_ml:.2f}",
                _mg(line.counted_mg),
            )
        )
        _, n, ml, mg = per_lot.get(lot.pk, (lot, 0, ZERO, ZERO))
        per_lot[lot.pk] = (lot, n + 1, ml + line.counted_ml, mg + line.counted_mg)
    all_n, all_ml, all_mg = 0, ZERO, ZERO
    for lot, n, ml, mg in per_lot.values():
        report.totals.append(
            Total(
                f"Lot {lot.lot_number} (NDC {lot.product.ndc}, expires {lot.expiry_date:%Y-%m-%d})",
                f"{n} container{'s' if n != 1 else ''}, {ml:.2f} mL, {_mg(mg)} mg",
            )
        )
        all_n, all_ml, all_mg = all_n + n, all_ml + ml, all_mg + mg
    report.totals.append(
        Total(
            "All lots",
            f"{all_n} container{'s' if all_n != 1 else ''}, {all_ml:.2f} mL, {_mg(all_mg)} mg",
        )
    )
    return report


REPORTS = {
    "receipts": "Receipt log",
    "dispensing": "Dispensing log",
    "waste": "Waste, disposal and return log",
    "counts": "Count history",
    "biennial": "Biennial inventory",
}


# ---- the count pages ------------------------------------------------------------------


@dataclass(frozen=True)
class CountSummary:
    count: Count
    closure: CountClosure | None
    counters: list[str]
    discrepancies: int
    unresolved: int


def count_summaries(counts: Iterable[Count]) -> list[CountSummary]:
    """The list page's rows: who counted, and how many discrepancies each count opened."""
    found = list(counts)
    ids = [c.pk for c in found]
    closures = {
        c.count_id: c
        for c in CountClosure.objects.filter(count_id__in=ids).select_related(
            "first_counter", "second_counter"
        )
    }
    counters: dict[int, set[str]] = defaultdict(set)
    for count_id, first, last in (
        CountEntry.objects.filter(count_id__in=ids)
        .values_list("count_id", "counter__first_name", "counter__last_name")
        .distinct()
    ):
        counters[count_id].add(f"{first} {last}".strip())
    tallies = {
        row["line__closure__count_id"]: row
        for row in Discrepancy.objects.filter(line__closure__count_id__in=ids)
        .values("line__closure__count_id")
        .annotate(
            n=DbCount("id"),
            open=DbCount("id", filter=Q(resolution__isnull=True)),
        )
        .order_by()
    }
    result = []
    for count in found:
        closure = closures.get(count.pk)
        names = (
            [_name(closure.first_counter), _name(closure.second_counter)]
            if closure
            else sorted(counters[count.pk])
        )
        tally = tallies.get(count.pk, {"n": 0, "open": 0})
        result.append(CountSummary(count, closure, names, tally["n"], tally["open"]))
    return result


@dataclass(frozen=True)
class CounterProgress:
    """What one counter may know of another's work during the count: how far, not what."""

    name: str
    counted: int


@dataclass(frozen=True)
class CountSheetRow:
    container: Container
    capacity_ml: Decimal
    sealed: bool
    mine_ml: Decimal | None


@dataclass(frozen=True)
class CountSheet:
    """An open count as one counter sees it: their own figures only, so the second
    count stays independent of the first, and no expected amounts (a blind count)."""

    count: Count
    rows: list[CountSheetRow]
    others: list[CounterProgress]
    blockers: list[str]
    total: int


def count_sheet(count: Count, *, viewer: User) -> CountSheet:
    progress = count_progress(count)
    balances = ledger.container_buckets(c.pk for c in progress.containers)
    mine = progress.figures.get(viewer.pk, {})
    rows = []
    for container in progress.containers:
        product = container.lot.product
        on_hand = balances[container.pk]
        rows.append(
            CountSheetRow(
                container=container,
                capacity_ml=product.container_ml,
                # Nothing has ever left it by the record: the counter may tick "sealed, full".
                sealed=on_hand[Bucket.ON_HAND] == product.container_mg
                and not any(mg for bucket, mg in on_hand.items() if bucket != Bucket.ON_HAND),
                mine_ml=mine.get(container.pk),
            )
        )
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=list(progress.figures))}
    others = [
        CounterProgress(names[pk], len(figures))
        for pk, figures in sorted(progress.figures.items())
        if pk != viewer.pk
    ]
    return CountSheet(
        count=count,
        rows=rows,
        others=others,
        blockers=progress.blockers,
        total=len(progress.containers),
    )


def count_lines(closure: CountClosure) -> list[CountLine]:
    return list(
        closure.lines.select_related(
            "container__lot__product", "discrepancy__resolution__resolved_by"
        ).order_by("container__label")
    )


def discrepancies_open_first() -> list[Discrepancy]:
    """Open ones first (oldest first: the longest waiting), then resolved, newest first."""
    found = list(
        Discrepancy.objects.select_related(
            "line__container__lot", "line__closure__count", "resolution__resolved_by"
        )
    )
    open_ = sorted(
        (d for d in found if not hasattr(d, "resolution")), key=lambda d: (d.opened_at, d.pk)
    )
    done = sorted(
        (d for d in found if hasattr(d, "resolution")),
        key=lambda d: (d.opened_at, d.pk),
        reverse=True,
    )
    return open_ + done


@dataclass(frozen=True)
class DiscrepancyStory:
    """A discrepancy and the container's entries since it was last counted before."""

    discrepancy: Discrepancy
    previous_closure: CountClosure | None
    entries: list[StockEntry]
    # Entries after this count closed (e.g. the loss the resolution posted).
    later: list[StockEntry]


def discrepancy_story(discrepancy: Discrepancy) -> DiscrepancyStory:
    line = discrepancy.line
    closure = line.closure
    previous_line = (
        CountLine.objects.filter(container=line.container, closure__closed_at__lt=closure.closed_at)
        .select_related("closure")
        .order_by("-closure__closed_at", "-id")
        .first()
    )
    previous = previous_line.closure if previous_line is not None else None
    entries = StockEntry.objects.filter(container=line.container).select_related(
        "by", "witness", "second_witness"
    )
    if previous is not None:
        entries = entries.filter(at__gt=previous.closed_at)
    ordered = list(entries.order_by("at", "id"))
    return DiscrepancyStory(
        discrepancy=discrepancy,
        previous_closure=previous,
        entries=[e for e in ordered if e.at <= closure.closed_at],
        later=[e for e in ordered if e.at > closure.closed_at],
    )
