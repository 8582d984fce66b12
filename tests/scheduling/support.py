"""Small clinics and courses for the scheduling tests (times in minutes, see model.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from ketamine_clinic.scheduling.model import (
    MINUTES_PER_DAY,
    Appointment,
    BookedVisit,
    Clinic,
    CourseProtocol,
    CourseRequest,
    DailyHours,
    Horizon,
    MinuteInterval,
    NurseShift,
    PatientAvailability,
    PrescriberOnSite,
    Room,
    SolverSettings,
    VisitTimes,
    WeeklyWindow,
)

MONDAY = dt.date(2027, 1, 4)  # day 0 of every test horizon is a Monday
WEEKDAYS = range(5)
FAST = SolverSettings(time_limit_seconds=5.0, num_workers=1)


def at(day: int, hour: int, minute: int = 0) -> int:
    """Horizon minute of ``hour:minute`` on day ``day``."""
    return day * MINUTES_PER_DAY + hour * 60 + minute


def clinic(
    *,
    days: int = 28,
    rooms: int = 2,
    nurses: int = 1,
    open_hour: int = 8,
    close_hour: int = 18,
    prescriber_hours: tuple[int, int] | None = None,
    out_of_service: Mapping[str, tuple[MinuteInterval, ...]] | None = None,
    step_minutes: int = 15,
    max_per_nurse: int = 2,
) -> Clinic:
    """A weekday clinic; every nurse and a prescriber are on site whenever it is open."""
    oos = out_of_service or {}
    p_open, p_close = prescriber_hours or (open_hour, close_hour)
    open_days = [d for d in range(days) if (MONDAY + dt.timedelta(days=d)).weekday() < 5]
    return Clinic(
        horizon=Horizon(MONDAY, days),
        hours=tuple(DailyHours(w, open_hour * 60, close_hour * 60) for w in WEEKDAYS),
        rooms=tuple(Room(f"R{i + 1}", oos.get(f"R{i + 1}", ())) for i in range(rooms)),
        nurse_shifts=tuple(
            NurseShift(f"N{n + 1}", at(d, open_hour), at(d, close_hour))
            for d in open_days
            for n in range(nurses)
        ),
        prescribers_on_site=tuple(
            PrescriberOnSite("P1", at(d, p_open), at(d, p_close)) for d in open_days
        ),
        max_infusing_rooms_per_nurse=max_per_nurse,
        start_step_minutes=step_minutes,
    )


def every_weekday(start_hour: int = 8, end_hour: int = 18) -> PatientAvailability:
    return PatientAvailability(
        tuple(WeeklyWindow(w, start_hour * 60, end_hour * 60) for w in WEEKDAYS)
    )


def course(
    course_id: str,
    *,
    availability: PatientAvailability | None = None,
    earliest: dt.date = MONDAY,
    infusions: int = 6,
    window_days: int = 21,
    min_days: int = 1,
    max_days: int = 7,
    start_within_days: int = 14,
    preferred: int | None = None,
    visit: VisitTimes | None = None,
) -> CourseRequest:
    return CourseRequest(
        course_id=course_id,
        patient_id=f"patient-{course_id}",
        availability=availability or every_weekday(),
        earliest_start_date=earliest,
        protocol=CourseProtocol(infusions, window_days, min_days, max_days, visit or VisitTimes()),
        start_within_days=start_within_days,
        preferred_start_minute_of_day=preferred,
    )


def booked(
    visit_id: str, c: CourseRequest, index: int, room_id: str, start_minute: int, **kw: object
) -> BookedVisit:
    appointment = Appointment(
        c.course_id, c.patient_id, index, room_id, start_minute, c.protocol.visit
    )
    return BookedVisit(visit_id, appointment, **kw)  # type: ignore[arg-type]
