"""Proposals from the scheduling engine, read from the clinic's records; nothing is written.

- ``propose_course_plan``: the rest of a course (every number not yet booked) placed by
  CP-SAT around every other booked visit, within the patient's availability.
- ``propose_replan``: after an event (a visit the patient cannot keep, a room out of
  service), the affected visits re-placed with the fewest changes to other patients.
- ``placement_problems``: why one visit may not go at a given time and room (for a move,
  and to re-check a proposal at the moment it is booked).

The services in ``booking.services`` book what these propose, re-checking each placement
under a lock, so a proposal that went stale in between is refused rather than booked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django.utils import timezone

from ketamine_clinic.booking.course_rules import course_dates, course_rule_problems
from ketamine_clinic.booking.frame import (
    ANY_TIME,
    appointment_key,
    appointment_of,
    availability_of,
    build_frame,
    course_key,
    holders_in,
    pinned_appointment,
    pinned_course,
    protocol_of,
    room_id,
    single_visit_protocol,
    visit_times,
)
from ketamine_clinic.booking.models import Room, SchedulingSettings
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.scheduling import cpsat
from ketamine_clinic.scheduling.errors import SchedulingInputError
from ketamine_clinic.scheduling.model import (
    Appointment,
    BookedVisit,
    CourseRequest,
    PatientAvailability,
    SolverSettings,
    VisitTimes,
)
from ketamine_clinic.scheduling.validation import validate_schedule
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.selectors import visits_holding_a_number

# A page waits for the solver: a course plan is small, a replan may touch a month's book.
PLAN_SETTINGS = SolverSettings(time_limit_seconds=10.0)
# The first, narrow replan (only the affected courses move) answers fast or not at all.
NARROW_SETTINGS = SolverSettings(time_limit_seconds=3.0)
# A replan looks this far ahead of the event for room to move visits into.
REPLAN_DAYS = 35
# A visit starting within this many minutes is the nurse's, not the planner's, to move.
FROZEN_MINUTES = 30

# Rules a placement is checked against, in the words the desk reads.
RULE_TEXT = {
    "clinic hours": "outside the clinic's opening hours",
    "room out of service": "the room is out of service then",
    "room overlap": "the room is taken then",
    "patient overlap": "the patient has another visit then",
    "nurse capacity": "no nurse is free to watch the infusion (rota and nurse ratio)",
    "prescriber": "no prescriber is on site for the whole infusion",
    "grid": "appointments start on the clinic's {step}-minute grid",
    "horizon": "outside the planned days",
}


@dataclass(frozen=True, slots=True)
class ProposedVisit:
    """One visit of a proposal: a course number (None for a booster), when and where."""

    number: int | None
    start: datetime
    room: Room
    times: VisitTimes

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.times.total_minutes)


@dataclass(frozen=True)
class CoursePlanProposal:
    course: Course
    visits: list[ProposedVisit]
    problem: str | None
    solver_status: str
    wall_seconds: float
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ProposedMove:
    """A booked visit the replan moves: from where to where, and whether the event forced it."""

    visit: Visit
    start: datetime
    room: Room
    forced: bool


@dataclass(frozen=True)
class ReplanProposal:
    moves: list[ProposedMove]
    other_patients_moved: int
    problem: str | None
    solver_status: str
    wall_seconds: float


# ---- placements ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Placement:
    """A visit going to ``start`` in ``room``: a new one (``visit_id`` None) or a move."""

    patient_id: int
    times: VisitTimes
    start: datetime
    room: Room
    course: Course | None = None
    number: int | None = None
    visit_id: int | None = None


def placement_problems(
    placements: list[Placement], *, now: datetime | None = None
) -> dict[int, list[str]]:
    """Why each placement may not go where it is proposed: {index: reasons}, empty if all may.

    The placements are checked together against every other open visit (the moved ones
    at their new places): opening hours, room in use, free and in service, nurse
    capacity, a prescriber on site, the patient elsewhere, the start grid, not in the past,
    and each course's spacing with its other infusions.
    """
    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    problems: dict[int, list[str]] = defaultdict(list)
    moved = tuple(p.visit_id for p in placements if p.visit_id is not None)
    by_day: dict[date, list[int]] = defaultdict(list)
    for i, p in enumerate(placements):
        if p.start < now:
            problems[i].append("That time has passed.")
        elif not p.room.in_use:
            problems[i].append(f"{p.room.name} is not in use.")
        else:
            by_day[timezone.localtime(p.start, zone).date()].append(i)
    for day, indices in by_day.items():
        frame = build_frame(start_date=day, days=1, now=now)
        courses: list[CourseRequest] = []
        appointments: list[Appointment] = []
        for other in holders_in(frame, exclude=moved):
            courses.append(pinned_course(frame, other))
            appointments.append(pinned_appointment(frame, other))
        key_of: dict[tuple[str, int], int] = {}
        for i in indices:
            p = placements[i]
            course_id = f"placement-{i}"
            courses.append(
                CourseRequest(
                    course_id=course_id,
                    patient_id=str(p.patient_id),
                    availability=PatientAvailability(windows=ANY_TIME),
                    earliest_start_date=day,
                    protocol=single_visit_protocol(p.times),
                )
            )
            appointment = Appointment(course_id, str(p.patient_id), 0, room_id(p.room),
                                      frame.minute(p.start), p.times)  # fmt: skip
            appointments.append(appointment)
            key_of[appointment.key] = i
        step = frame.clinic.start_step_minutes
        for violation in validate_schedule(
            frame.clinic, courses, appointments, require_complete=False
        ):
            if violation.rule not in RULE_TEXT:
                continue
            text = RULE_TEXT[violation.rule].format(step=step)
            text = text[0].upper() + text[1:] + "."
            for key in violation.keys:
                i = key_of.get(key, -1)
                if i >= 0 and text not in problems[i]:
                    problems[i].append(text)
    proposed: dict[int, dict[int, date]] = defaultdict(dict)
    first_of_course: dict[int, tuple[int, Course]] = {}
    for i, p in enumerate(placements):
        if p.course is not None and p.number is not None:
            proposed[p.course.pk][p.number] = timezone.localtime(p.start, zone).date()
            first_of_course.setdefault(p.course.pk, (i, p.course))
    for course_pk, dates in proposed.items():
        i, course = first_of_course[course_pk]
        problems[i] += course_rule_problems(course, dates)
    return {i: texts for i, texts in problems.items() if texts}


# ---- a course's remaining infusions -------------------------------------------------


def unbooked_numbers(course: Course) -> list[int]:
    held = set(visits_holding_a_number(course).values_list("number_in_course", flat=True))
    return [n for n in range(1, course.infusions_planned + 1) if n not in held]


def course_times(course: Course) -> VisitTimes:
    p = course.protocol
    return VisitTimes(p["preparation_min"], p["infusion_min"], p["recovery_min"])


def propose_course_plan(
    course: Course,
    *,
    earliest: date,
    preferred_minute_of_day: int | None = None,
    now: datetime | None = None,
    settings: SolverSettings = PLAN_SETTINGS,
) -> CoursePlanProposal:
    """Place every number of ``course`` not yet booked, after the ones that are.

    The first new infusion keeps the protocol's spacing from the last booked or given one
    (or starts on or after ``earliest`` within the clinic's start window when the course
    has none yet); the rest follow the protocol. Numbers free *between* booked ones (a
    cancelled visit) are re-placed by the cancel flow, not here.
    """
    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    today = timezone.localtime(now, zone).date()

    def fail(problem: str) -> CoursePlanProposal:
        return CoursePlanProposal(course, [], problem, "NOT_SOLVED", 0.0)

    if course.status not in (CourseStatus.PLANNED, CourseStatus.ACTIVE):
        return fail(f"The course is {course.get_status_display().lower()}: nothing to plan.")
    numbers = unbooked_numbers(course)
    if not numbers:
        return fail("Every infusion of this course is already booked or given.")
    held = course_dates(course, {}).dates
    if held and max(held) > numbers[0]:
        return fail(
            f"Infusion {numbers[0]} is free between booked ones (a cancelled visit): "
            "re-place it from that visit, or move the later visits first."
        )
    p = course.protocol
    settings_row = SchedulingSettings.current()
    notes: list[str] = []
    earliest = max(earliest, today)
    start_within = settings_row.start_within_days
    window = p["window_days"]
    if held:
        last_number = max(held)
        last_date = held[last_number]
        steps = numbers[0] - last_number
        earliest = max(earliest, last_date + timedelta(days=p["min_days_between"] * steps))
        latest = last_date + timedelta(days=p["max_days_between"] * steps)
        if latest < earliest:
            notes.append(
                f"The course is past its longest gap ({p['max_days_between']} days after "
                f"infusion {last_number} on {last_date:%a %d %b}): the next is planned as "
                "soon as it fits."
            )
            start_within = settings_row.start_within_days
        else:
            start_within = (latest - earliest).days
        first_date = held.get(1, min(held.values()))
        window = (first_date + timedelta(days=p["window_days"] - 1) - earliest).days + 1
    n = len(numbers)
    needed = (n - 1) * p["min_days_between"] + 1
    window = max(window, needed)
    days = start_within + window + 1
    frame = build_frame(start_date=earliest, days=days, now=now)
    if not frame.clinic.hours:
        return fail("The clinic has no opening hours: set them first.")
    request = CourseRequest(
        course_id=f"plan-{course.pk}",
        patient_id=str(course.patient_id),
        availability=availability_of(course.patient),
        earliest_start_date=earliest,
        protocol=protocol_of(p, course_times(course), n),
        start_within_days=start_within,
        preferred_start_minute_of_day=preferred_minute_of_day,
    )
    # Fixed appointments keyed per visit, so none clashes with the course being planned.
    booked = [
        BookedVisit(
            str(v.pk),
            appointment_of(frame, v, course_id=f"{appointment_key(v)[0]}-visit-{v.pk}"),
            movable=False,
        )
        for v in holders_in(frame)
    ]
    try:
        plan = cpsat.plan_course(frame.clinic, request, booked, settings=settings)
    except SchedulingInputError as error:
        return fail(f"The clinic's set-up cannot be planned with: {error}")
    if not plan.placed:
        return CoursePlanProposal(
            course, [], plan.infeasible_reason, plan.solver_status, plan.wall_seconds, notes
        )
    visits = [
        ProposedVisit(numbers[a.infusion_index], frame.moment(a.start_minute),
                      frame.room(a.room_id), a.visit)
        for a in sorted(plan.appointments, key=lambda a: a.infusion_index)
    ]  # fmt: skip
    problems = course_rule_problems(
        course, {v.number: timezone.localtime(v.start, zone).date() for v in visits if v.number}
    )
    if problems:
        return CoursePlanProposal(
            course, visits, " ".join(problems), plan.solver_status, plan.wall_seconds, notes
        )
    return CoursePlanProposal(course, visits, None, plan.solver_status, plan.wall_seconds, notes)


# ---- re-placing after an event --------------------------------------------------------


def propose_replan(
    *,
    cancelled: Visit | None = None,
    from_date: date | None = None,
    now: datetime | None = None,
    settings: SolverSettings = PLAN_SETTINGS,
) -> ReplanProposal:
    """Re-place what an event broke, moving as few other patients' visits as possible.

    The event is in the records already (a ``RoomOutage`` saved, a rota changed) or is
    ``cancelled``: a visit the patient cannot keep, re-placed on another day. The engine
    sees ``REPLAN_DAYS`` days from ``from_date`` (default today). Visits starting within
    ``FROZEN_MINUTES`` or already under way stay where they are; so do visits with no
    course (boosters), which only take their room. Each course keeps its spacing, checked
    again with its given infusions before anything is proposed.
    """
    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    start_date = from_date or timezone.localtime(now, zone).date()
    frame = build_frame(start_date=start_date, days=REPLAN_DAYS, now=now)
    frozen_before = now + timedelta(minutes=FROZEN_MINUTES)
    visits = holders_in(frame)
    if cancelled is not None and cancelled.pk not in {v.pk for v in visits}:
        return ReplanProposal([], 0, "That visit is not booked in a room ahead.", "NOT_SOLVED", 0.0)
    movable_by_course: dict[int, list[Visit]] = defaultdict(list)
    pinned: list[Visit] = []
    for visit in visits:
        if (
            visit.state == VisitState.SCHEDULED
            and visit.scheduled_start >= frozen_before
            and visit.course is not None
            and visit.number_in_course is not None
            and visit_times(visit) == course_times(visit.course)
        ):
            movable_by_course[visit.course.pk].append(visit)
        else:
            pinned.append(visit)
    if cancelled is not None and cancelled in pinned:
        return ReplanProposal(
            [], 0, "That visit cannot be moved by the planner (it is under way, about to "
            "start, or not part of a course); move it by hand.", "NOT_SOLVED", 0.0,
        )  # fmt: skip
    courses: list[CourseRequest] = []
    booked: list[BookedVisit] = []
    by_visit_id: dict[str, Visit] = {}
    for visit in pinned:
        courses.append(pinned_course(frame, visit))
        booked.append(BookedVisit(str(visit.pk), pinned_appointment(frame, visit), movable=False))
        by_visit_id[str(visit.pk)] = visit
    for course_pk, course_visits in movable_by_course.items():
        course = Course.objects.get(pk=course_pk)
        course_visits.sort(key=lambda v: v.number_in_course or 0)
        first = course_visits[0].number_in_course or 1
        last = course_visits[-1].number_in_course or 1
        p = course.protocol
        held = course_dates(course, {}).dates
        earlier = {n: d for n, d in held.items() if n < first}
        earliest = start_date
        if earlier:
            n_prev = max(earlier)
            earliest = max(earliest, earlier[n_prev] + timedelta(
                days=p["min_days_between"] * (first - n_prev)))  # fmt: skip
        infusions = last - first + 1
        request = CourseRequest(
            course_id=course_key(course_pk),
            patient_id=str(course.patient_id),
            availability=availability_of(course.patient),
            earliest_start_date=earliest,
            protocol=protocol_of(p, course_times(course), infusions),
            start_within_days=REPLAN_DAYS,
        )
        if (infusions - 1) * p["min_days_between"] + 1 > p["window_days"]:
            request = _with_window(request, (infusions - 1) * p["min_days_between"] + 1)
        courses.append(request)
        for visit in course_visits:
            appointment = Appointment(
                course_key(course_pk), str(visit.patient_id),
                (visit.number_in_course or 1) - first, str(visit.room_id),
                frame.minute(visit.scheduled_start), visit_times(visit),
            )  # fmt: skip
            booked.append(BookedVisit(str(visit.pk), appointment))
            by_visit_id[str(visit.pk)] = visit
    cancelled_ids = [str(cancelled.pk)] if cancelled is not None else []
    try:
        # First only the affected courses move (a small model, and no other patient is
        # disturbed when it works); only if that finds nothing may others move too.
        result = cpsat.replan(
            frame.clinic, courses, booked, cancelled_visit_ids=cancelled_ids,
            others_may_move=False, settings=NARROW_SETTINGS,
        )  # fmt: skip
        if result.infeasible_reason is not None:
            result = cpsat.replan(
                frame.clinic, courses, booked, cancelled_visit_ids=cancelled_ids,
                settings=settings,
            )  # fmt: skip
    except SchedulingInputError as error:
        return ReplanProposal([], 0, f"The book cannot be re-planned: {error}", "NOT_SOLVED", 0.0)
    if result.infeasible_reason is not None:
        return ReplanProposal(
            [], 0, result.infeasible_reason, result.solver_status, result.wall_seconds
        )
    moves = [
        ProposedMove(
            visit=by_visit_id[change.visit_id],
            start=frame.moment(change.new.start_minute),
            room=frame.room(change.new.room_id),
            forced=change.affected,
        )
        for change in result.changes
    ]
    # The engine sees only the days ahead: check each changed course with its history.
    proposed: dict[int, dict[int, date]] = defaultdict(dict)
    for move in moves:
        if move.visit.course is not None and move.visit.number_in_course is not None:
            proposed[move.visit.course.pk][move.visit.number_in_course] = timezone.localtime(
                move.start, zone
            ).date()
    problems: list[str] = []
    for course_pk, dates in proposed.items():
        course = Course.objects.get(pk=course_pk)
        problems += course_rule_problems(course, dates)
    problem = " ".join(problems) or None
    return ReplanProposal(
        moves, result.other_patients_moved, problem, result.solver_status, result.wall_seconds
    )


def _with_window(request: CourseRequest, window_days: int) -> CourseRequest:
    return replace(request, protocol=replace(request.protocol, window_days=window_days))
