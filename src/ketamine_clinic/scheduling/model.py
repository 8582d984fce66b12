"""The scheduling problem and its answers as plain, frozen data.

Time convention (one for the whole package): an instant is an ``int`` number of minutes
from 00:00 of ``Horizon.start_date`` on the clinic's local wall clock, so day ``d`` of
the horizon spans minutes ``[d * 1440, (d + 1) * 1440)``. Intervals are half-open
``[start_minute, end_minute)``. Wall-clock minutes ignore daylight-saving shifts on
purpose: the clinic books by its local clock, and turning that into UTC is the job of the
Django side that stores the appointments.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

MINUTES_PER_DAY = 1440


@dataclass(frozen=True, slots=True)
class MinuteInterval:
    """A half-open span ``[start_minute, end_minute)`` on the horizon's clock."""

    start_minute: int
    end_minute: int

    @property
    def duration_minutes(self) -> int:
        return self.end_minute - self.start_minute

    def contains(self, start_minute: int, end_minute: int) -> bool:
        return self.start_minute <= start_minute and end_minute <= self.end_minute


@dataclass(frozen=True, slots=True)
class Horizon:
    """The planning window: ``days`` calendar days from ``start_date`` 00:00."""

    start_date: dt.date
    days: int

    @property
    def end_minute(self) -> int:
        return self.days * MINUTES_PER_DAY

    def day_of(self, date: dt.date) -> int:
        """Day index of ``date`` (may be negative or beyond the horizon)."""
        return (date - self.start_date).days

    def date_of(self, day: int) -> dt.date:
        return self.start_date + dt.timedelta(days=day)

    def minute_of(self, date: dt.date, minute_of_day: int) -> int:
        return self.day_of(date) * MINUTES_PER_DAY + minute_of_day

    def wall_clock(self, minute: int) -> dt.datetime:
        """The naive local wall-clock time of a horizon minute (for display and tests)."""
        return dt.datetime.combine(self.start_date, dt.time()) + dt.timedelta(minutes=minute)


@dataclass(frozen=True, slots=True)
class DailyHours:
    """Opening hours on one weekday (0 = Monday), as minutes of the day."""

    weekday: int
    open_minute_of_day: int
    close_minute_of_day: int


@dataclass(frozen=True, slots=True)
class Room:
    """An infusion room; in service during clinic hours except its out-of-service periods."""

    room_id: str
    out_of_service: tuple[MinuteInterval, ...] = ()


@dataclass(frozen=True, slots=True)
class NurseShift:
    """One nurse on the floor for ``[start_minute, end_minute)``."""

    nurse_id: str
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class PrescriberOnSite:
    """A prescriber present for ``[start_minute, end_minute)``.

    Presence of different prescribers is merged: a hand-over at 12:00 leaves a prescriber on
    site throughout, which is what the rule (someone who can act is on site) asks.
    """

    prescriber_id: str
    start_minute: int
    end_minute: int


@dataclass(frozen=True, slots=True)
class Clinic:
    """Everything the clinic brings: hours, rooms, staff, and the start-time grid.

    ``start_step_minutes`` is the grid of bookable start times (a visit starts at a multiple
    of it); it must divide a day. ``max_infusing_rooms_per_nurse`` caps how many infusions
    one nurse watches at once: the clinic's capacity at an instant is that number times
    the nurses on shift.
    """

    horizon: Horizon
    hours: tuple[DailyHours, ...]
    rooms: tuple[Room, ...]
    nurse_shifts: tuple[NurseShift, ...]
    prescribers_on_site: tuple[PrescriberOnSite, ...]
    max_infusing_rooms_per_nurse: int = 2
    start_step_minutes: int = 15


@dataclass(frozen=True, slots=True)
class VisitTimes:
    """How long a visit holds its room: preparation, then infusion, then recovery.

    The room is blocked for all three parts; the nurse's load and the prescriber's presence
    concern the infusion part only.
    """

    preparation_minutes: int = 15
    infusion_minutes: int = 55
    recovery_minutes: int = 30

    @property
    def total_minutes(self) -> int:
        return self.preparation_minutes + self.infusion_minutes + self.recovery_minutes


@dataclass(frozen=True, slots=True)
class CourseProtocol:
    """The spacing rules of a course.

    All ``infusions`` fall within ``window_days`` consecutive calendar days (first to last
    day inclusive), consecutive infusions ``min_days_between``..``max_days_between`` days
    apart (one infusion a day at most, so the minimum is at least 1).
    """

    infusions: int = 6
    window_days: int = 21
    min_days_between: int = 1
    max_days_between: int = 7
    visit: VisitTimes = field(default_factory=VisitTimes)


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A time of the week the patient can be at the clinic for a whole visit."""

    weekday: int
    start_minute_of_day: int
    end_minute_of_day: int


@dataclass(frozen=True, slots=True)
class PatientAvailability:
    windows: tuple[WeeklyWindow, ...]
    unavailable_dates: frozenset[dt.date] = frozenset()


@dataclass(frozen=True, slots=True)
class CourseRequest:
    """A course to place (or already placed, when replanning).

    The first infusion falls on or after ``earliest_start_date`` and at most
    ``start_within_days`` days after it. ``preferred_start_minute_of_day`` (optional) is a
    soft wish: the planner prefers starts close to it.
    """

    course_id: str
    patient_id: str
    availability: PatientAvailability
    earliest_start_date: dt.date
    protocol: CourseProtocol = field(default_factory=CourseProtocol)
    start_within_days: int = 14
    preferred_start_minute_of_day: int | None = None


@dataclass(frozen=True, slots=True)
class Appointment:
    """One placed infusion visit: the room is held from ``start_minute`` for the whole visit."""

    course_id: str
    patient_id: str
    infusion_index: int
    room_id: str
    start_minute: int
    visit: VisitTimes = field(default_factory=VisitTimes)

    @property
    def end_minute(self) -> int:
        return self.start_minute + self.visit.total_minutes

    @property
    def infusion_start_minute(self) -> int:
        return self.start_minute + self.visit.preparation_minutes

    @property
    def infusion_end_minute(self) -> int:
        return self.infusion_start_minute + self.visit.infusion_minutes

    @property
    def day(self) -> int:
        return self.start_minute // MINUTES_PER_DAY

    @property
    def key(self) -> tuple[str, int]:
        return (self.course_id, self.infusion_index)


@dataclass(frozen=True, slots=True)
class BookedVisit:
    """An appointment already in the book.

    ``movable`` False pins it (it is in the past, or the patient was promised it);
    ``move_cost`` weighs how much moving it disturbs (1 = one ordinary change).
    """

    visit_id: str
    appointment: Appointment
    movable: bool = True
    move_cost: int = 1


@dataclass(frozen=True, slots=True)
class SolverSettings:
    """CP-SAT settings: a time limit and a fixed seed so that runs are repeatable.

    With one worker CP-SAT is fully deterministic; with several its result may vary with
    thread timing unless the search finishes (proves optimality) within the limit.
    """

    time_limit_seconds: float = 10.0
    num_workers: int = 2
    random_seed: int = 20261126
    log_search_progress: bool = False


@dataclass(frozen=True, slots=True)
class CoursePlan:
    """The answer of ``plan_course``: appointments, or the reason there are none."""

    course_id: str
    appointments: tuple[Appointment, ...]
    infeasible_reason: str | None
    solver_status: str
    wall_seconds: float

    @property
    def placed(self) -> bool:
        return self.infeasible_reason is None


@dataclass(frozen=True, slots=True)
class MonthPlan:
    """The answer of ``plan_month`` and of the greedy baseline: placed courses only.

    A course is placed whole or not at all; ``unplaced_course_ids`` lists the rest.
    """

    appointments: tuple[Appointment, ...]
    unplaced_course_ids: tuple[str, ...]
    solver_status: str
    wall_seconds: float


@dataclass(frozen=True, slots=True)
class ScheduleChange:
    """One appointment that ``replan`` changed: where it was and where it is now."""

    visit_id: str
    patient_id: str
    old: Appointment
    new: Appointment
    affected: bool  # True: the event forced it; False: moved to make room


@dataclass(frozen=True, slots=True)
class Replan:
    """The answer of ``replan``.

    ``other_patients_moved`` counts changed visits of patients none of whose visits the
    event touched; it is the first thing replan minimises.
    """

    visits: tuple[BookedVisit, ...]
    changes: tuple[ScheduleChange, ...]
    other_patients_moved: int
    total_displacement_minutes: int
    infeasible_reason: str | None
    solver_status: str
    wall_seconds: float
