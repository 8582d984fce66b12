"""Reads for the clinic-day pages: the day's visits and one visit, each read audited.

Both show patients' names, so each read leaves one READ entry naming the patients
shown, as the patient search does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.booking.models import Room
from ketamine_clinic.courses.selectors import course_progress
from ketamine_clinic.inventory.enums import EntryKind
from ketamine_clinic.inventory.models import StockEntry, SyringeAccount
from ketamine_clinic.inventory.selectors import stock_on_hand
from ketamine_clinic.inventory.services.use import (
    ACCOUNTABLE_STATES,
    SyringeFigures,
    syringe_figures,
)
from ketamine_clinic.orders.models import SyringePreparation
from ketamine_clinic.visits.models import Visit

NO_ROOM = "No room yet"


@dataclass(frozen=True, slots=True)
class DayVisit:
    """One row of the day: the visit and its course progress ("3 of 6"), if in a course."""

    visit: Visit
    progress: str | None


@dataclass(frozen=True, slots=True)
class DayRoom:
    label: str
    visits: list[DayVisit]


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def day_visits(*, day: date, by: User) -> list[DayRoom]:
    """The visits booked on ``day`` (clinic time), by room, by time; audited.

    Every room in use is listed, empty ones too (a free room is what the desk looks for);
    a room no longer in use appears only when it holds a visit that day.
    """
    start, end = _day_bounds(day)
    visits = list(
        Visit.objects.filter(scheduled_start__gte=start, scheduled_start__lt=end)
        .select_related("patient", "course", "room")
        .order_by("scheduled_start", "id")
    )
    rooms: dict[str, list[DayVisit]] = {room.name: [] for room in Room.objects.filter(in_use=True)}
    for visit in visits:
        progress = course_progress(visit.course).label if visit.course is not None else None
        label = visit.room.name if visit.room is not None else NO_ROOM
        rooms.setdefault(label, []).append(DayVisit(visit, progress))
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="visit_day",
        detail={
            "date": day.isoformat(),
            "visit_ids": [visit.pk for visit in visits],
            "patient_ids": sorted({visit.patient_id for visit in visits}),
        },
    )
    # Rooms in the clinic's order (rooms in use first, as listed), the unassigned last.
    order = {name: i for i, name in enumerate(Room.objects.values_list("name", flat=True))}
    labels = sorted(rooms, key=lambda label: (label == NO_ROOM, order.get(label, 0)))
    return [DayRoom(label, rooms[label]) for label in labels]


def visit_for_page(*, visit_id: int, by: User, page: str) -> Visit:
    """One visit with its patient, for a page that shows it; the read is audited.

    Raises Visit.DoesNotExist (a 404) without an entry: nothing was read.
    """
    visit = Visit.objects.select_related("patient", "course").get(pk=visit_id)
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="visit",
        object_id=visit.pk,
        patient_id=visit.patient_id,
        detail={"page": page},
    )
    return visit


@dataclass(frozen=True, slots=True)
class DrawOption:
    """A container a syringe may be drawn from, as the prepare form lists it."""

    container_id: int
    label: str
    lot_number: str
    expiry_date: date
    on_hand_ml: Decimal
    strength_mg_per_ml: Decimal

    @property
    def text(self) -> str:
        # What tells vials apart first: a narrow select cuts the end off.
        return (
            f"{self.label} · {self.on_hand_ml} mL left · exp {self.expiry_date:%Y-%m-%d} · "
            f"lot {self.lot_number} · {self.strength_mg_per_ml.normalize():f} mg/mL"
        )


def draw_options() -> list[DrawOption]:
    """Containers with stock on hand that have not expired, soonest expiry first.

    Expired stock is never offered: it waits in the safe for disposal with witnesses.
    """
    return [
        DrawOption(
            container_id=row.container.pk,
            label=row.container.label,
            lot_number=row.container.lot.lot_number,
            expiry_date=row.container.lot.expiry_date,
            on_hand_ml=row.on_hand_ml,
            strength_mg_per_ml=row.container.lot.product.base_mg_per_ml,
        )
        for row in stock_on_hand()
        if not row.expired
    ]


@dataclass(frozen=True, slots=True)
class VisitSyringe:
    """A syringe drawn from stock for the visit: its account, or what it would record."""

    preparation: SyringePreparation
    draws: list[StockEntry]
    account: SyringeAccount | None
    figures: SyringeFigures | None  # only while it awaits its account, after the infusion


def visit_syringes(visit: Visit) -> list[VisitSyringe]:
    """Every syringe drawn from stock for the visit, oldest first.

    The figures (drawn, given per the pump, waste) are computed only once the pump has
    stopped for good (``ACCOUNTABLE_STATES``); before that what was given is not final.
    """
    # The visit's syringes first, then their entries by the syringe index, the kind and
    # the order applied here: filtered on the kind, SQLite reads every draw of the
    # record through the (kind, at) index (24 ms of a 45 ms page on the generated clinic).
    syringe_ids = list(
        SyringePreparation.objects.filter(order__visit=visit).values_list("pk", flat=True)
    )
    entries = (
        StockEntry.objects.filter(preparation_id__in=syringe_ids)
        .select_related("container__lot")
        .order_by()
    )
    by_preparation: dict[int, list[StockEntry]] = {}
    for entry in sorted(entries, key=lambda e: e.pk):
        if entry.kind == EntryKind.DRAWN and entry.corrects_id is None:
            by_preparation.setdefault(entry.preparation_id or 0, []).append(entry)
    preparations = (
        SyringePreparation.objects.filter(pk__in=by_preparation)
        .select_related("prepared_by", "account__by", "account__witness", "order")
        .order_by("prepared_at", "id")
    )
    accountable = visit.state in ACCOUNTABLE_STATES
    rows = []
    for preparation in preparations:
        account = getattr(preparation, "account", None)
        figures = syringe_figures(preparation) if accountable and account is None else None
        rows.append(
            VisitSyringe(
                preparation=preparation,
                draws=by_preparation[preparation.pk],
                account=account,
                figures=figures,
            )
        )
    return rows
