"""The clinic's records as the scheduling engine's plain data, and its answers back.

The engine (``ketamine_clinic.scheduling``, no Django) counts minutes on the clinic's wall
clock from 00:00 of the first day planned; this module reads rooms, outages, hours, shifts
and booked visits for those days and converts both ways. Three rules of the translation:

- The past cannot be booked: each room is blocked from the start of the frame until now
  (or until a visit still running in it began, which then holds it itself).
- A visit holds its room from its start for preparation + infusion + recovery while it is
  open (scheduled through recovery); a discharged, cancelled, missed or aborted one does
  not. A visit with no room holds none (it cannot be placed against the others).
- A room taken out of use stays in the frame, out of service throughout, so that visits
  still booked in it are seen and nothing new goes there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone

from ketamine_clinic.booking.enums import ShiftRole
from ketamine_clinic.booking.models import (
    AvailabilityWindow,
    ClinicHours,
    Room,
    RoomOutage,
    SchedulingSettings,
    StaffShift,
    UnavailableDate,
)
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.scheduling.model import (
    MINUTES_PER_DAY,
    Appointment,
    Clinic,
    CourseProtocol,
    CourseRequest,
    DailyHours,
    Horizon,
    MinuteInterval,
    NurseShift,
    PatientAvailability,
    PrescriberOnSite,
    VisitTimes,
    WeeklyWindow,
)
from ketamine_clinic.scheduling.model import Room as EngineRoom
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit

# Open visits hold their room; the rest have left it (or never came).
ROOM_HOLDING_STATES = (
    VisitState.SCHEDULED,
    VisitState.CHECKED_IN,
    VisitState.CHECKS_DONE,
    VisitState.READY,
    VisitState.INFUSING,
    VisitState.PAUSED,
    VisitState.RECOVERY,
)
# A patient with no recorded availability can come whenever the clinic is open.
ANY_TIME = tuple(WeeklyWindow(weekday, 0, MINUTES_PER_DAY) for weekday in range(7))


def room_id(room: Room) -> str:
    return str(room.pk)


def visit_times(visit: Visit) -> VisitTimes:
    return VisitTimes(
        preparation_minutes=visit.planned_preparation_min,
        infusion_minutes=visit.planned_infusion_min,
        recovery_minutes=visit.planned_recovery_min,
    )


def visit_end(visit: Visit) -> datetime:
    return visit.scheduled_start + timedelta(minutes=visit_times(visit).total_minutes)


@dataclass(frozen=True)
class Frame:
    """The engine's view of ``days`` days from ``horizon.start_date``, at ``now``."""

    clinic: Clinic
    zone: tzinfo
    now: datetime
    rooms: dict[str, Room]

    @property
    def horizon(self) -> Horizon:
        return self.clinic.horizon

    def minute(self, moment: datetime) -> int:
        """Minutes on the frame's wall clock (a DST change does not shift the diary)."""
        local = timezone.localtime(moment, self.zone)
        return self.horizon.minute_of(local.date(), local.hour * 60 + local.minute)

    def moment(self, minute: int) -> datetime:
        day, minute_of_day = divmod(minute, MINUTES_PER_DAY)
        wall = datetime.combine(self.horizon.date_of(day), time()) + timedelta(
            minutes=minute_of_day
        )
        return wall.replace(tzinfo=self.zone)

    def starts(self) -> datetime:
        return self.moment(0)

    def ends(self) -> datetime:
        return self.moment(self.horizon.end_minute)

    def room(self, engine_room_id: str) -> Room:
        return self.rooms[engine_room_id]


def build_frame(*, start_date: date, days: int, now: datetime | None = None) -> Frame:
    """Read everything the engine needs for ``days`` days from ``start_date``."""
    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    settings = SchedulingSettings.current()
    horizon = Horizon(start_date=start_date, days=days)
    # A provisional frame for the conversions; the clinic is filled in below.
    empty = Clinic(horizon=horizon, hours=(), rooms=(), nurse_shifts=(), prescribers_on_site=())
    probe = Frame(clinic=empty, zone=zone, now=now, rooms={})
    start, end = probe.starts(), probe.ends()

    def span(a: datetime, b: datetime) -> tuple[int, int]:
        return max(0, probe.minute(a)), min(horizon.end_minute, probe.minute(b))

    now_minute = min(max(0, probe.minute(now)), horizon.end_minute)
    running = [
        visit
        for visit in holders(start, end)
        if visit.room_id is not None and visit.scheduled_start <= now
    ]
    outages: dict[int, list[MinuteInterval]] = {}
    for outage in RoomOutage.objects.filter(starts_at__lt=end, ends_at__gt=start):
        lo, hi = span(outage.starts_at, outage.ends_at)
        if lo < hi:
            outages.setdefault(outage.room_id, []).append(MinuteInterval(lo, hi))
    engine_rooms: list[EngineRoom] = []
    rooms: dict[str, Room] = {}
    for room in Room.objects.all():
        periods = list(outages.get(room.pk, []))
        if not room.in_use:
            periods = [MinuteInterval(0, horizon.end_minute)]
        else:
            # The past: blocked up to now, or to the start of a visit still running here.
            blocked_until = min(
                [
                    now_minute,
                    *(probe.minute(v.scheduled_start) for v in running if v.room_id == room.pk),
                ]
            )
            if blocked_until > 0:
                periods.append(MinuteInterval(0, blocked_until))
        rooms[room_id(room)] = room
        engine_rooms.append(EngineRoom(room_id(room), tuple(_without_overlaps(periods))))
    nurses: list[NurseShift] = []
    prescribers: list[PrescriberOnSite] = []
    for shift in StaffShift.objects.filter(starts_at__lt=end, ends_at__gt=start):
        lo, hi = span(shift.starts_at, shift.ends_at)
        if lo >= hi:
            continue
        if shift.role == ShiftRole.NURSE:
            nurses.append(NurseShift(str(shift.staff_id), lo, hi))
        else:
            prescribers.append(PrescriberOnSite(str(shift.staff_id), lo, hi))
    hours = tuple(
        DailyHours(h.weekday, h.opens_at.hour * 60 + h.opens_at.minute,
                   h.closes_at.hour * 60 + h.closes_at.minute)
        for h in ClinicHours.objects.all()
    )  # fmt: skip
    clinic = Clinic(
        horizon=horizon,
        hours=hours,
        rooms=tuple(engine_rooms),
        nurse_shifts=tuple(nurses),
        prescribers_on_site=tuple(prescribers),
        max_infusing_rooms_per_nurse=settings.max_infusing_rooms_per_nurse,
        start_step_minutes=settings.start_step_minutes,
    )
    return Frame(clinic=clinic, zone=zone, now=now, rooms=rooms)


def _without_overlaps(periods: Iterable[MinuteInterval]) -> list[MinuteInterval]:
    """Merged periods: two outages that overlap must not collide with each other."""
    merged: list[MinuteInterval] = []
    for p in sorted(periods, key=lambda p: p.start_minute):
        if merged and p.start_minute <= merged[-1].end_minute:
            last = merged[-1]
            merged[-1] = MinuteInterval(last.start_minute, max(last.end_minute, p.end_minute))
        else:
            merged.append(p)
    return merged


def holders(start: datetime, end: datetime) -> list[Visit]:
    """Open visits that hold a room at some time in ``[start, end)``."""
    # A visit lasts at most a day, so one starting a day before the frame may still run.
    candidates = Visit.objects.filter(
        state__in=ROOM_HOLDING_STATES,
        scheduled_start__gte=start - timedelta(days=1),
        scheduled_start__lt=end,
    ).select_related("course", "room", "patient")
    return [v for v in candidates if visit_end(v) > start]


def appointment_key(visit: Visit) -> tuple[str, int]:
    """The engine's (course_id, infusion_index) of a booked visit."""
    if visit.course_id is not None and visit.number_in_course is not None:
        return course_key(visit.course_id), visit.number_in_course - 1
    return f"visit-{visit.pk}", 0


def course_key(course_pk: int) -> str:
    return f"course-{course_pk}"


def appointment_of(frame: Frame, visit: Visit, *, course_id: str | None = None,
                   index: int | None = None) -> Appointment:  # fmt: skip
    key_course, key_index = appointment_key(visit)
    return Appointment(
        course_id=course_id or key_course,
        patient_id=str(visit.patient_id),
        infusion_index=key_index if index is None else index,
        room_id=str(visit.room_id),
        start_minute=frame.minute(visit.scheduled_start),
        visit=visit_times(visit),
    )


def availability_of(patient: Patient) -> PatientAvailability:
    """The patient's weekly windows and dates away; any time when none are recorded."""
    windows = tuple(
        WeeklyWindow(w.weekday, w.starts_at.hour * 60 + w.starts_at.minute,
                     w.ends_at.hour * 60 + w.ends_at.minute)
        for w in AvailabilityWindow.objects.filter(patient=patient)
    )  # fmt: skip
    away = frozenset(UnavailableDate.objects.filter(patient=patient).values_list("date", flat=True))
    return PatientAvailability(windows=windows or ANY_TIME, unavailable_dates=away)


def single_visit_protocol(times: VisitTimes) -> CourseProtocol:
    """One visit, no spacing: a course's rules are checked on dates by ``course_rules``."""
    return CourseProtocol(
        infusions=1, window_days=1, min_days_between=1, max_days_between=1, visit=times
    )


def pinned_course(frame: Frame, visit: Visit) -> CourseRequest:
    """A one-visit course for a visit that stays where it is (it only takes resources)."""
    course_id, _ = appointment_key(visit)
    return CourseRequest(
        course_id=f"pinned-{visit.pk}" if course_id.startswith("course-") else course_id,
        patient_id=str(visit.patient_id),
        availability=PatientAvailability(windows=ANY_TIME),
        earliest_start_date=frame.horizon.start_date,
        protocol=single_visit_protocol(visit_times(visit)),
        start_within_days=frame.horizon.days,
    )  # fmt: skip


def pinned_appointment(frame: Frame, visit: Visit) -> Appointment:
    return appointment_of(frame, visit, course_id=pinned_course(frame, visit).course_id, index=0)


def protocol_of(snapshot: dict[str, object], times: VisitTimes, infusions: int) -> CourseProtocol:
    """The engine's spacing rules from a course's protocol snapshot."""

    def number(name: str) -> int:
        return int(str(snapshot[name]))

    return CourseProtocol(
        infusions=infusions,
        window_days=number("window_days"),
        min_days_between=number("min_days_between"),
        max_days_between=number("max_days_between"),
        visit=times,
    )


def holders_in(frame: Frame, *, exclude: Sequence[int] = ()) -> list[Visit]:
    """The frame's room-holding visits with a room, less ``exclude`` (visit ids)."""
    return [
        v
        for v in holders(frame.starts(), frame.ends())
        if v.room_id is not None and v.pk not in exclude and str(v.room_id) in frame.rooms
    ]
