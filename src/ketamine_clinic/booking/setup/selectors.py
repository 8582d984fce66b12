"""Reading the clinic's set-up for its pages: rooms, hours, the week's rota with its
gaps, and a patient's availability (an audited read of patient data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.booking.enums import ShiftRole, Weekday
from ketamine_clinic.booking.models import (
    AvailabilityWindow,
    ClinicHours,
    Room,
    RoomOutage,
    SchedulingSettings,
    StaffShift,
    UnavailableDate,
)
from ketamine_clinic.booking.setup.services import (
    STAFF_ROLE_FOR_SHIFT,
    local_datetime,
    week_start,
)
from ketamine_clinic.patients.models import Patient

# ---- rooms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoomRow:
    room: Room
    upcoming_outages: list[RoomOutage]


def rooms_overview(*, now: datetime | None = None) -> list[RoomRow]:
    """Every room in display order (out of use ones too), each with its outages not yet over."""
    at = now or timezone.now()
    outages: dict[int, list[RoomOutage]] = {}
    for outage in RoomOutage.objects.filter(ends_at__gt=at).order_by("starts_at", "id"):
        outages.setdefault(outage.room_id, []).append(outage)
    return [
        RoomRow(room=room, upcoming_outages=outages.get(room.pk, [])) for room in Room.objects.all()
    ]


# ---- opening hours ----------------------------------------------------------------------


@dataclass(frozen=True)
class WeekdayHours:
    weekday: Weekday
    hours: ClinicHours | None


def clinic_week_hours() -> list[WeekdayHours]:
    """Monday to Sunday, each with its opening hours or None (closed)."""
    rows = {row.weekday: row for row in ClinicHours.objects.all()}
    return [WeekdayHours(weekday=Weekday(day), hours=rows.get(day)) for day in Weekday.values]


def scheduling_settings() -> SchedulingSettings:
    return SchedulingSettings.current()


# ---- the rota ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Gap:
    """Part of the opening hours with nobody of one shift role on the floor."""

    role: ShiftRole
    starts: time
    ends: time
    whole_day: bool


@dataclass
class RotaDay:
    day: date
    hours: ClinicHours | None
    nurses: list[StaffShift] = field(default_factory=list)
    prescribers: list[StaffShift] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    is_past: bool = False

    @property
    def is_open(self) -> bool:
        return self.hours is not None


@dataclass(frozen=True)
class RotaWeek:
    monday: date
    days: list[RotaDay]

    @property
    def previous(self) -> date:
        return self.monday - timedelta(days=7)

    @property
    def next(self) -> date:
        return self.monday + timedelta(days=7)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    @property
    def gap_count(self) -> int:
        return sum(len(day.gaps) for day in self.days)


def _minutes(at: datetime) -> int:
    local = timezone.localtime(at)
    return local.hour * 60 + local.minute


def _uncovered(
    opens_min: int, closes_min: int, shifts: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """The parts of [opens, closes) that no shift covers, in minutes of the day."""
    gaps = []
    cursor = opens_min
    for starts, ends in sorted(shifts):
        if starts > cursor:
            gaps.append((cursor, min(starts, closes_min)))
        cursor = max(cursor, ends)
        if cursor >= closes_min:
            break
    if cursor < closes_min:
        gaps.append((cursor, closes_min))
    return [(a, b) for a, b in gaps if b > a]


def _gaps(day: RotaDay) -> list[Gap]:
    if day.hours is None:
        return []
    opens = day.hours.opens_at.hour * 60 + day.hours.opens_at.minute
    closes = day.hours.closes_at.hour * 60 + day.hours.closes_at.minute
    found = []
    # The prescriber first: without one on site nothing is given at all.
    for role, shifts in ((ShiftRole.PRESCRIBER, day.prescribers), (ShiftRole.NURSE, day.nurses)):
        spans = [(_minutes(s.starts_at), _minutes(s.ends_at)) for s in shifts]
        for a, b in _uncovered(opens, closes, spans):
            found.append(
                Gap(
                    role=role,
                    starts=time(a // 60, a % 60),
                    ends=time(b // 60, b % 60) if b < 24 * 60 else time(23, 59),
                    whole_day=(a, b) == (opens, closes),
                )
            )
    return found


def rota_week(*, day: date, today: date | None = None) -> RotaWeek:
    """The week (Monday to Sunday) holding ``day``: each day's hours, nurses, prescribers,
    and the opening hours nobody of a role covers (no infusion can be booked then)."""
    monday = week_start(day)
    current = today or timezone.localdate()
    hours = {row.weekday: row for row in ClinicHours.objects.all()}
    days = [
        RotaDay(
            day=monday + timedelta(days=offset),
            hours=hours.get(offset),
            is_past=monday + timedelta(days=offset) < current,
        )
        for offset in range(7)
    ]
    shifts = StaffShift.objects.filter(
        starts_at__gte=local_datetime(monday, time(0)),
        starts_at__lt=local_datetime(monday + timedelta(days=7), time(0)),
    ).select_related("staff")
    for shift in shifts.order_by("starts_at", "staff__last_name", "id"):
        rota_day = days[(timezone.localtime(shift.starts_at).date() - monday).days]
        if shift.role == ShiftRole.PRESCRIBER:
            rota_day.prescribers.append(shift)
        else:
            rota_day.nurses.append(shift)
    for rota_day in days:
        rota_day.gaps = _gaps(rota_day)
    return RotaWeek(monday=monday, days=days)


def rota_staff() -> list[User]:
    """Active staff who can be on the rota: holders of the nurse or the prescriber role."""
    wanted = [role.value for role in STAFF_ROLE_FOR_SHIFT.values()]
    return list(
        User.objects.filter(is_active=True, role_grants__role__in=wanted)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def shift_for_page(*, shift_id: int) -> StaffShift:
    """One shift with its person; raises StaffShift.DoesNotExist (a 404 to the view)."""
    return StaffShift.objects.select_related("staff").get(pk=shift_id)


# ---- a patient's availability -----------------------------------------------------------


@dataclass(frozen=True)
class DayWindows:
    weekday: Weekday
    windows: list[AvailabilityWindow]


@dataclass(frozen=True)
class PatientAvailability:
    patient: Patient
    week: list[DayWindows]
    upcoming_unavailable: list[date]
    past_unavailable_count: int

    @property
    def has_windows(self) -> bool:
        return any(day.windows for day in self.week)


def patient_availability(
    *, patient_id: int, by: User, today: date | None = None
) -> PatientAvailability:
    """The patient's weekly windows and the dates they cannot come, read as patient data:
    the read is in the audit trail. Raises Patient.DoesNotExist without an entry."""
    patient = Patient.objects.get(pk=patient_id)
    current = today or timezone.localdate()
    windows: dict[int, list[AvailabilityWindow]] = {}
    for window in AvailabilityWindow.objects.filter(patient=patient).order_by(
        "weekday", "starts_at"
    ):
        windows.setdefault(window.weekday, []).append(window)
    dates = list(
        UnavailableDate.objects.filter(patient=patient)
        .order_by("date")
        .values_list("date", flat=True)
    )
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="patient_availability",
        object_id=patient.pk,
        patient_id=patient.pk,
    )
    return PatientAvailability(
        patient=patient,
        week=[
            DayWindows(weekday=Weekday(day), windows=windows.get(day, [])) for day in Weekday.values
        ],
        upcoming_unavailable=[day for day in dates if day >= current],
        past_unavailable_count=sum(1 for day in dates if day < current),
    )
