"""The week by room: each room's visits and outages on each day, Monday to Sunday.

A read for the week page, audited as the day view's is (it shows patients' names). It
makes a fixed number of queries, whatever the week holds: rooms, hours, visits, outages,
then the audit entry; the grid is built in Python, never a query per cell.

Days are the clinic's local days (``timezone.get_default_timezone()``): a visit at 23:30
on Sunday belongs to Sunday, and a week with a daylight-saving change still runs from
Monday 00:00 to the next Monday 00:00 on the wall clock (167 or 169 hours).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.booking.models import ClinicHours, Room, RoomOutage
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit

NO_ROOM = "No room yet"
DAYS_IN_WEEK = 7
# A cancelled or missed visit gives its room back: shown (struck through), never counted
# as holding the room. An aborted visit did use the room, so it still counts.
ROOM_FREEING_STATES = frozenset({VisitState.CANCELLED, VisitState.DID_NOT_ATTEND})


@dataclass(frozen=True, slots=True)
class WeekVisit:
    """One visit in a cell: times on the clinic's clock, the room held until ``ends_at``."""

    visit_id: int
    starts_at: datetime
    ends_at: datetime
    patient_name: str
    mrn: str
    label: str
    state: str
    state_label: str
    holds_room: bool

    @property
    def is_outage(self) -> bool:
        return False


@dataclass(frozen=True, slots=True)
class WeekOutage:
    """A room out of service on one day, cut to that day.

    ``starts_at`` is None when the outage began on an earlier day, ``ends_at`` None when
    it runs past midnight; both None means all day.
    """

    starts_at: time | None
    ends_at: time | None
    reason: str

    @property
    def all_day(self) -> bool:
        return self.starts_at is None and self.ends_at is None

    @property
    def is_outage(self) -> bool:
        return True


@dataclass(slots=True)
class WeekCell:
    closed: bool
    visits: list[WeekVisit] = field(default_factory=list)
    outages: list[WeekOutage] = field(default_factory=list)

    @property
    def entries(self) -> list[WeekVisit | WeekOutage]:
        """Visits and outages together by start time, as the nurse reads the day down."""

        def starts(entry: WeekVisit | WeekOutage) -> time:
            if isinstance(entry, WeekVisit):
                return entry.starts_at.time()
            return entry.starts_at or time.min

        return sorted([*self.outages, *self.visits], key=starts)


@dataclass(frozen=True, slots=True)
class WeekRow:
    """One room (or the visits without a room) across the week, one cell per day."""

    label: str
    room_id: int | None
    in_use: bool
    cells: list[WeekCell]


@dataclass(frozen=True, slots=True)
class WeekDay:
    """A column: the date, its opening hours and how busy it is.

    ``closed``: the clinic recorded hours for other weekdays but none for this one. With
    no hours recorded at all, no day is closed and the hours are None (unknown).
    """

    date: date
    closed: bool
    opens_at: time | None
    closes_at: time | None
    booked: int
    cancelled: int
    # Room-hours still free in opening hours (rooms in use, outages and visits taken
    # off); None when the day has no opening hours.
    free_room_hours: float | None


@dataclass(frozen=True, slots=True)
class Week:
    monday: date
    days: list[WeekDay]
    rows: list[WeekRow]
    visit_count: int


def week_monday(day: date) -> date:
    """The Monday of the week (Monday to Sunday) that holds ``day``."""
    return day - timedelta(days=day.weekday())


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    # Wall-clock midnight: combining in the zone gives the right UTC offset on either
    # side of a daylight-saving change (adding 24 h in UTC would not).
    return datetime.combine(day, time.min, tzinfo=zone)


def _outage_on(outage: RoomOutage, day: date, zone: ZoneInfo) -> WeekOutage | None:
    day_start = _local_midnight(day, zone)
    day_end = _local_midnight(day + timedelta(days=1), zone)
    if outage.ends_at <= day_start or outage.starts_at >= day_end:
        return None
    starts = outage.starts_at.astimezone(zone)
    ends = outage.ends_at.astimezone(zone)
    return WeekOutage(
        starts_at=starts.time() if starts > day_start else None,
        ends_at=ends.time() if ends < day_end else None,
        reason=outage.reason,
    )


def _free_minutes(
    opens: datetime, closes: datetime, taken: list[tuple[datetime, datetime]]
) -> float:
    """Minutes of ``[opens, closes)`` not covered by any of the ``taken`` intervals."""
    free = (closes - opens).total_seconds() / 60
    cursor = opens
    for start, end in sorted(taken):
        start, end = max(start, cursor), min(end, closes)
        if end > start:
            free -= (end - start).total_seconds() / 60
            cursor = end
    return free


def week_grid(*, day: date, by: User) -> Week:
    """The week (Monday to Sunday) holding ``day``: rooms by days by visits; audited.

    Rows: every room in use in the clinic's order, a room no longer in use only when it
    holds a visit that week, and the visits without a room last (only if there are any).
    If the clinic has recorded no opening hours at all, no day is marked closed: hours
    not yet set up are not a closed clinic.
    """
    zone = timezone.get_default_timezone()
    monday = week_monday(day)
    dates = [monday + timedelta(days=i) for i in range(DAYS_IN_WEEK)]
    week_start = _local_midnight(monday, zone)
    week_end = _local_midnight(monday + timedelta(days=DAYS_IN_WEEK), zone)

    rooms = list(Room.objects.order_by("display_order", "name"))
    hours = {row.weekday: row for row in ClinicHours.objects.all()}
    visits = list(
        Visit.objects.filter(scheduled_start__gte=week_start, scheduled_start__lt=week_end)
        .select_related("patient", "course")
        .order_by("scheduled_start", "id")
    )
    outages = list(
        RoomOutage.objects.filter(starts_at__lt=week_end, ends_at__gt=week_start).order_by(
            "starts_at", "id"
        )
    )

    # Closed: the clinic recorded hours, none for this weekday (see WeekDay).
    closed = [bool(hours) and d.weekday() not in hours for d in dates]
    column = {d: i for i, d in enumerate(dates)}
    cells: dict[int | None, list[WeekCell]] = defaultdict(
        lambda: [WeekCell(closed=shut) for shut in closed]
    )
    taken: dict[tuple[int, int], list[tuple[datetime, datetime]]] = defaultdict(list)
    booked = [0] * DAYS_IN_WEEK
    cancelled = [0] * DAYS_IN_WEEK
    for visit in visits:
        starts = visit.scheduled_start.astimezone(zone)
        # Held for preparation, infusion and recovery; added in UTC so a visit across a
        # clock change ends at the right wall time.
        held_min = (
            visit.planned_preparation_min + visit.planned_infusion_min + visit.planned_recovery_min
        )
        ends = (visit.scheduled_start + timedelta(minutes=held_min)).astimezone(zone)
        holds_room = visit.state not in ROOM_FREEING_STATES
        i = column[starts.date()]
        cells[visit.room_id][i].visits.append(
            WeekVisit(
                visit_id=visit.pk,
                starts_at=starts,
                ends_at=ends,
                patient_name=visit.patient.display_name,
                mrn=visit.patient.mrn,
                label=visit.label,
                state=visit.state,
                state_label=visit.get_state_display(),
                holds_room=holds_room,
            )
        )
        if holds_room:
            booked[i] += 1
            if visit.room_id is not None:
                taken[(visit.room_id, i)].append((starts, ends))
        else:
            cancelled[i] += 1

    for outage in outages:
        for i, d in enumerate(dates):
            shown = _outage_on(outage, d, zone)
            if shown is not None:
                cells[outage.room_id][i].outages.append(shown)
                taken[(outage.room_id, i)].append(
                    (max(outage.starts_at, week_start), min(outage.ends_at, week_end))
                )

    rows = [
        WeekRow(room.name, room.pk, room.in_use, cells[room.pk])
        for room in rooms
        if room.in_use or any(cell.visits for cell in cells.get(room.pk, []))
    ]
    if any(cell.visits for cell in cells.get(None, [])):
        rows.append(WeekRow(NO_ROOM, None, True, cells[None]))

    days = []
    for i, d in enumerate(dates):
        opening = hours.get(d.weekday())
        free_hours: float | None = None
        if opening is not None:
            opens = datetime.combine(d, opening.opens_at, tzinfo=zone)
            closes = datetime.combine(d, opening.closes_at, tzinfo=zone)
            free_min = sum(
                _free_minutes(opens, closes, taken.get((room.pk, i), []))
                for room in rooms
                if room.in_use
            )
            free_hours = round(free_min / 60, 1)
        days.append(
            WeekDay(
                date=d,
                closed=closed[i],
                opens_at=opening.opens_at if opening is not None else None,
                closes_at=opening.closes_at if opening is not None else None,
                booked=booked[i],
                cancelled=cancelled[i],
                free_room_hours=free_hours,
            )
        )

    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="visit_week",
        detail={
            "week_start": monday.isoformat(),
            "visit_ids": [visit.pk for visit in visits],
            "patient_ids": sorted({visit.patient_id for visit in visits}),
        },
    )
    return Week(monday=monday, days=days, rows=rows, visit_count=len(visits))
