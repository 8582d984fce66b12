"""Planning on CP-SAT: one new course, a replan after an event, and a whole month.

Every function validates its input first (``SchedulingInputError`` names the field), builds
the model of ``cpsat_model``, solves it under ``SolverSettings`` (time limit, fixed seed,
``num_workers``) and returns frozen results. Objectives are lexicographic: either by weights
large enough that a lower level can never outweigh a higher one, or (``replan``) by solving
level after level with each optimum fixed as a bound.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from collections.abc import Sequence

from ortools.sat.python import cp_model

from ketamine_clinic.scheduling.cpsat_model import CourseModel, Task
from ketamine_clinic.scheduling.diagnosis import (
    REASON_SOLVER,
    REASON_TIME_LIMIT,
    diagnose,
    format_reason,
)
from ketamine_clinic.scheduling.errors import SchedulingInputError
from ketamine_clinic.scheduling.greedy import FirstFitBook, greedy_first_fit
from ketamine_clinic.scheduling.model import (
    MINUTES_PER_DAY,
    Appointment,
    BookedVisit,
    Clinic,
    CoursePlan,
    CourseRequest,
    MonthPlan,
    Replan,
    ScheduleChange,
    SolverSettings,
)
from ketamine_clinic.scheduling.validation import validate_inputs, validate_schedule
from ketamine_clinic.scheduling.windows import allowed_start_spans, grid_spans, merge_closed

_SOLVED = (cp_model.OPTIMAL, cp_model.FEASIBLE)


def _course_domain(clinic: Clinic, course: CourseRequest) -> list[tuple[int, int]]:
    return grid_spans(allowed_start_spans(clinic, course), clinic.start_step_minutes)


def _preference_penalty(cm: CourseModel, task: Task) -> cp_model.IntVar | None:
    """Grid steps between the task's start and the patient's preferred time of day."""
    pref = task.course.preferred_start_minute_of_day
    if pref is None:
        return None
    m = cm.model
    wanted = task.day * cm.steps_per_day + pref // cm.step
    penalty = m.new_int_var(0, cm.steps_per_day, f"pref_{task.key}")
    m.add_abs_equality(penalty, task.k - wanted)
    return penalty


def plan_course(
    clinic: Clinic,
    course: CourseRequest,
    booked: Sequence[BookedVisit] = (),
    *,
    settings: SolverSettings | None = None,
) -> CoursePlan:
    """Place every infusion of a new course around the visits already booked.

    Booked visits stay where they are (moving other patients is ``replan``'s job). The
    objective, in order: the earliest last infusion (completion), then starts closest to the
    patient's preferred time of day, then the earliest starts, then the first rooms in the
    clinic's list, which makes the answer unique and repeatable. When the course does not
    fit, ``infeasible_reason`` names the first rule that leaves too few days.
    """
    began = time.perf_counter()
    settings = settings or SolverSettings()
    validate_inputs(clinic, [course], booked)
    if any(b.appointment.course_id == course.course_id for b in booked):
        raise SchedulingInputError("course.course_id", "this course already has booked visits")
    fixed = [b.appointment for b in booked]

    def fail(reason: str, status: str) -> CoursePlan:
        return CoursePlan(course.course_id, (), reason, status, time.perf_counter() - began)

    domain = _course_domain(clinic, course)
    reason = diagnose(clinic, course, fixed)
    if reason is not None or not domain:
        return fail(reason or format_reason(REASON_SOLVER, clinic, course), "NOT_SOLVED")

    cm = CourseModel(clinic)
    for a in fixed:
        cm.add_fixed(a)
    n = course.protocol.infusions
    tasks = [cm.add_task(Task(course, i, domain)) for i in range(n)]
    cm.add_spacing(tasks)
    earliest = clinic.horizon.day_of(course.earliest_start_date)
    cm.model.add(tasks[0].day <= earliest + course.start_within_days)
    cm.finish()

    room_rank = {r.room_id: i for i, r in enumerate(clinic.rooms)}
    k_max = domain[-1][1]
    w_room = 1
    w_k = n * len(room_rank) + 1
    w_pref = w_k * (n * k_max + 1)
    w_day = w_pref * (n * cm.steps_per_day + 1)
    penalties = [p for t in tasks if (p := _preference_penalty(cm, t)) is not None]
    cm.model.minimize(
        w_day * tasks[-1].day
        + w_pref * sum(penalties)
        + w_k * sum(t.k for t in tasks)
        + w_room * sum(room_rank[r] * lit for t in tasks for r, lit in t.room_literals.items())
    )
    solver, status = cm.solve(settings)
    name = solver.status_name(status)
    if status not in _SOLVED:
        if status == cp_model.INFEASIBLE:
            return fail(format_reason(REASON_SOLVER, clinic, course), name)
        return fail(REASON_TIME_LIMIT.format(seconds=settings.time_limit_seconds), name)
    appointments = tuple(cm.appointment(solver, t) for t in tasks)
    return CoursePlan(course.course_id, appointments, None, name, time.perf_counter() - began)


def plan_month(
    clinic: Clinic,
    courses: Sequence[CourseRequest],
    booked: Sequence[BookedVisit] = (),
    *,
    settings: SolverSettings | None = None,
    warm_start: bool = True,
) -> MonthPlan:
    """Place many courses at once, each whole or not at all.

    Objective, in order: the most courses placed, then the smallest sum of completion days
    (each course's last infusion day counted from its earliest start day), then closeness to
    preferred times. ``warm_start`` hands CP-SAT the greedy first-fit plan as a hint, so it
    starts from a complete schedule and spends its time improving it; the greedy run is
    inside the reported wall time.
    """
    began = time.perf_counter()
    settings = settings or SolverSettings()
    validate_inputs(clinic, courses, booked)
    fixed = [b.appointment for b in booked]
    hint = greedy_first_fit(clinic, courses, booked).appointments if warm_start else ()
    hinted = {a.key: a for a in hint}

    cm = CourseModel(clinic)
    for a in fixed:
        cm.add_fixed(a)
    placed_literals: list[tuple[CourseRequest, cp_model.IntVar]] = []
    completion_terms: list[cp_model.LinearExprT] = []
    penalties: list[cp_model.IntVar] = []
    max_completion = 0
    unplaceable: list[str] = []
    by_course: dict[str, list[Task]] = {}
    for course in courses:
        domain = _course_domain(clinic, course)
        if not domain:
            unplaceable.append(course.course_id)
            continue
        placed = cm.model.new_bool_var(f"placed_{course.course_id}")
        placed_literals.append((course, placed))
        tasks = [
            cm.add_task(Task(course, i, domain, placed=placed))
            for i in range(course.protocol.infusions)
        ]
        by_course[course.course_id] = tasks
        cm.add_spacing(tasks)
        earliest = clinic.horizon.day_of(course.earliest_start_date)
        cm.model.add(tasks[0].day <= earliest + course.start_within_days).only_enforce_if(placed)
        completion_terms.append(tasks[-1].day - earliest)
        max_completion += course.start_within_days + course.protocol.window_days
        penalties += [p for t in tasks if (p := _preference_penalty(cm, t)) is not None]
        if warm_start:
            _hint_course(cm, placed, tasks, hinted)
    cm.finish()
    max_penalty = cm.steps_per_day * len(penalties)
    w_completion = max_penalty + 1
    w_placed = w_completion * (max_completion + 1)
    cm.model.minimize(
        w_placed * cp_model.LinearExpr.sum([1 - lit for _, lit in placed_literals])
        + w_completion * cp_model.LinearExpr.sum(completion_terms)
        + cp_model.LinearExpr.sum(penalties)
    )
    solver, status = cm.solve(settings)
    name = solver.status_name(status)
    if status == cp_model.MODEL_INVALID:
        raise RuntimeError(f"CP-SAT model invalid: {cm.model.validate()}")
    if status not in _SOLVED:
        # Nothing found in the time limit: fall back to the greedy plan, honestly named.
        greedy = greedy_first_fit(clinic, courses, booked)
        return MonthPlan(
            greedy.appointments,
            greedy.unplaced_course_ids,
            f"{name} (greedy fallback)",
            time.perf_counter() - began,
        )
    appointments: list[Appointment] = []
    unplaced = list(unplaceable)
    for course, lit in placed_literals:
        if solver.boolean_value(lit):
            appointments += [cm.appointment(solver, t) for t in by_course[course.course_id]]
        else:
            unplaced.append(course.course_id)
    return MonthPlan(tuple(appointments), tuple(unplaced), name, time.perf_counter() - began)


def _hint_course(
    cm: CourseModel,
    placed: cp_model.IntVar,
    tasks: Sequence[Task],
    hinted: dict[tuple[str, int], Appointment],
) -> None:
    """A complete hint for one course, so CP-SAT can take the greedy plan as it is.

    An incomplete hint must be completed by search, which on the month instance does not
    finish in the time limit; a complete, feasible one is the first solution at once.
    """
    is_placed = all(t.key in hinted for t in tasks)
    cm.model.add_hint(placed, is_placed)
    for t in tasks:
        h = hinted.get(t.key) if is_placed else None
        k = h.start_minute // cm.step if h is not None else t.domain_steps[0][0]
        cm.model.add_hint(t.k, k)
        cm.model.add_hint(t.day, k // cm.steps_per_day)
        for room_id, lit in t.room_literals.items():
            cm.model.add_hint(lit, h is not None and room_id == h.room_id)


def replan(
    clinic: Clinic,
    courses: Sequence[CourseRequest],
    booked: Sequence[BookedVisit],
    *,
    cancelled_visit_ids: Sequence[str] = (),
    movable_within_days: int | None = None,
    others_may_move: bool = True,
    settings: SolverSettings | None = None,
) -> Replan:
    """Re-place the visits an event broke, disturbing other patients as little as possible.

    The event is in the inputs: ``clinic`` as it is now (a room out of service, a nurse
    off sick) and ``cancelled_visit_ids`` (visits whose patient cannot come that day: each
    is re-placed on another day). Affected visits are the cancelled ones and every visit that now breaks a
    rule (``validate_schedule`` against the new clinic); their patients are the affected
    patients. Lexicographic objective, each level solved to its optimum (or the best found
    in the time limit) and then held as a bound:

    1. the fewest changed visits of *other* patients, weighted by ``move_cost``;
    2. the fewest changed visits of the affected patients beyond what the event forces;
    3. the smallest total displacement in minutes.

    A change is a new start or a new room. Visits with ``movable`` False never change (mark
    every visit already in the past so: nothing here knows the time), and every course
    keeps its spacing rules. Because moving other patients comes first, an affected
    patient's whole remaining course may shift by days rather than one other visit move.

    ``movable_within_days`` bounds the search, not the rules: other courses' visits more
    than that many days from every affected visit stay where they are (the affected
    courses' own visits may always move). ``None`` (the default) lets every movable visit
    move, and the fewest-changes answer is then exact when the solver proves it. On a
    month's book (about 1,100 visits) with a full day, neither finds a solution within a
    few seconds on two cores: ``bench/schedule.py`` measures it. ``others_may_move`` False
    moves only the affected courses (everyone else's visits are fixed intervals): a small
    model that answers at once, and when it finds a schedule, no other patient moved, which
    is the optimum of the first level; callers try it first and widen only if it fails.
    """
    began = time.perf_counter()
    settings = settings or SolverSettings()
    validate_inputs(clinic, courses, booked, booked_need_courses=True)
    by_id = {b.visit_id: b for b in booked}
    for i, visit_id in enumerate(cancelled_visit_ids):
        if visit_id not in by_id:
            raise SchedulingInputError(f"cancelled_visit_ids[{i}]", f"unknown visit {visit_id!r}")
        if not by_id[visit_id].movable:
            raise SchedulingInputError(
                f"cancelled_visit_ids[{i}]", "a visit that may not move cannot be re-placed"
            )
    course_by_id = {c.course_id: c for c in courses}
    key_to_visit = {b.appointment.key: b for b in booked}
    violations = validate_schedule(
        clinic, courses, [b.appointment for b in booked], require_complete=False
    )
    affected = set(cancelled_visit_ids)
    for v in violations:
        affected |= {key_to_visit[k].visit_id for k in v.keys if k in key_to_visit}
    affected_patients = {by_id[v].appointment.patient_id for v in affected}
    affected_days = sorted({by_id[v].appointment.day for v in affected})
    in_reach = {by_id[v].appointment.course_id for v in affected}

    repair = _first_fit_repair(clinic, course_by_id, booked, affected, cancelled_visit_ids)
    cm = CourseModel(clinic)
    step = cm.step
    tasks_by_course: dict[str, list[tuple[Task | None, BookedVisit]]] = defaultdict(list)
    moved: list[tuple[BookedVisit, cp_model.IntVar]] = []
    displacement: list[cp_model.IntVar] = []

    def stays(b: BookedVisit) -> bool:
        return not b.movable or (
            b.appointment.course_id not in in_reach
            and not (
                others_may_move and _near(b.appointment.day, affected_days, movable_within_days)
            )
        )

    # A course none of whose visits may move only takes rooms and nurses: its visits go
    # in as fixed intervals, with no variables and no spacing rules. On a month's book this
    # leaves a model of the neighbourhood around the event instead of every visit.
    courses_with_moves = {b.appointment.course_id for b in booked if not stays(b)}
    for b in sorted(booked, key=lambda b: b.appointment.key):
        a = b.appointment
        course = course_by_id[a.course_id]
        old_k = a.start_minute // step
        if a.course_id not in courses_with_moves:
            cm.add_fixed(a)
            tasks_by_course[a.course_id].append((None, b))
            continue
        if stays(b):
            domain = [(old_k, old_k)]
            task = cm.add_task(Task(course, a.infusion_index, domain, fixed_room=a.room_id))
        else:
            first_day = max(0, clinic.horizon.day_of(course.earliest_start_date))
            spans = allowed_start_spans(clinic, course, days=range(first_day, clinic.horizon.days))
            domain = grid_spans(spans, step)
            if b.visit_id not in affected:
                domain = _with_value(domain, old_k)
            if b.visit_id in cancelled_visit_ids:
                # The patient cannot come that day: re-place it on another.
                day_lo = a.day * cm.steps_per_day
                domain = _without_span(domain, day_lo, day_lo + cm.steps_per_day - 1)
            if not domain:
                return _replan_failed(
                    booked, f"visit {b.visit_id}: no allowed start on the horizon", began
                )
            task = cm.add_task(Task(course, a.infusion_index, domain))
            is_moved = cm.model.new_bool_var(f"moved_{b.visit_id}")
            same_room = task.room_literals.get(a.room_id)
            # Not moved means the same start and the same room.
            cm.model.add(task.k == old_k).only_enforce_if(~is_moved)
            if same_room is not None:
                cm.model.add_implication(~is_moved, same_room)
            moved.append((b, is_moved))
            shift = cm.model.new_int_var(0, clinic.horizon.end_minute, f"shift_{b.visit_id}")
            cm.model.add_abs_equality(shift, task.k * step - a.start_minute)
            displacement.append(shift)
            # Hint: what need not move stays, what must move goes to its first-fit repair.
            hint = repair.get(b.visit_id, a)
            hint_moved = (hint.start_minute, hint.room_id) != (a.start_minute, a.room_id)
            cm.model.add_hint(task.k, hint.start_minute // step)
            cm.model.add_hint(task.day, hint.day)
            for room_id, lit in task.room_literals.items():
                cm.model.add_hint(lit, room_id == hint.room_id)
            cm.model.add_hint(is_moved, hint_moved)
            cm.model.add_hint(shift, abs(hint.start_minute - a.start_minute))
        tasks_by_course[a.course_id].append((task, b))
    for items in tasks_by_course.values():
        placed = [(t, b) for t, b in items if t is not None]
        cm.add_spacing([t for t, _ in sorted(placed, key=lambda tb: tb[0].infusion_index)])
    cm.finish()

    levels: list[cp_model.LinearExprT] = [
        sum(
            b.move_cost * lit
            for b, lit in moved
            if b.appointment.patient_id not in affected_patients
        ),
        sum(
            lit
            for b, lit in moved
            if b.appointment.patient_id in affected_patients and b.visit_id not in affected
        ),
        sum(displacement),
    ]
    status: cp_model.CpSolverStatus = cp_model.UNKNOWN
    solver = cp_model.CpSolver()
    for level in levels:
        cm.model.minimize(level)
        solver, status = cm.solve(settings)
        if status not in _SOLVED:
            break
        best = round(solver.objective_value)
        cm.model.add(level <= best)
        # Start the next level from this solution.
        cm.model.clear_hints()  # type: ignore[no-untyped-call]  # untyped in ortools 9.15
        for task in cm.tasks:
            cm.model.add_hint(task.k, solver.value(task.k))
            for lit in task.room_literals.values():
                cm.model.add_hint(lit, solver.boolean_value(lit))
    name = solver.status_name(status)
    if status not in _SOLVED:
        reason = (
            "no re-placement satisfies every rule"
            if status == cp_model.INFEASIBLE
            else REASON_TIME_LIMIT.format(seconds=settings.time_limit_seconds)
        )
        return _replan_failed(booked, reason, began, name)

    new_visits: list[BookedVisit] = []
    changes: list[ScheduleChange] = []
    others_moved = 0
    total_shift = 0
    for items in tasks_by_course.values():
        for solved, b in items:
            if solved is None:
                new_visits.append(b)
                continue
            new = cm.appointment(solver, solved)
            new_visits.append(BookedVisit(b.visit_id, new, b.movable, b.move_cost))
            old = b.appointment
            if (new.start_minute, new.room_id) != (old.start_minute, old.room_id):
                changes.append(
                    ScheduleChange(b.visit_id, old.patient_id, old, new, b.visit_id in affected)
                )
                total_shift += abs(new.start_minute - old.start_minute)
                if old.patient_id not in affected_patients:
                    others_moved += 1
    order = {b.visit_id: i for i, b in enumerate(booked)}
    new_visits.sort(key=lambda b: order[b.visit_id])
    changes.sort(key=lambda c: order[c.visit_id])
    return Replan(
        tuple(new_visits),
        tuple(changes),
        others_moved,
        total_shift,
        None,
        name,
        time.perf_counter() - began,
    )


def _with_value(domain: list[tuple[int, int]], value: int) -> list[tuple[int, int]]:
    return merge_closed([*domain, (value, value)])


def _first_fit_repair(
    clinic: Clinic,
    course_by_id: dict[str, CourseRequest],
    booked: Sequence[BookedVisit],
    affected: set[str],
    cancelled_visit_ids: Sequence[str],
) -> dict[str, Appointment]:
    """A starting schedule for CP-SAT: the affected courses repaired by first fit.

    For each course with an affected visit, that visit and the course's later visits are
    placed again in order, each at the first day its predecessor allows (a later visit keeps
    its old slot when that still fits), nearest its old time of day; every other visit
    stays. This moves only affected patients, so it is often already optimal on the first
    level, and it gives CP-SAT a complete hint on a large book, where a search from a
    partial hint found nothing within seconds. A course it cannot repair is left out of the
    hint.
    """
    step = clinic.start_step_minutes
    by_course: dict[str, list[BookedVisit]] = defaultdict(list)
    for b in booked:
        by_course[b.appointment.course_id].append(b)
    tails: dict[str, list[BookedVisit]] = {}
    for course_id in sorted({b.appointment.course_id for b in booked if b.visit_id in affected}):
        visits = sorted(by_course[course_id], key=lambda b: b.appointment.infusion_index)
        first = min(b.appointment.infusion_index for b in visits if b.visit_id in affected)
        tail = [b for b in visits if b.appointment.infusion_index >= first]
        if all(b.movable for b in tail):
            tails[course_id] = tail
    book = FirstFitBook(clinic, [b.appointment for b in booked if b.visit_id not in affected])
    repaired: dict[str, Appointment] = {}
    for course_id, tail in tails.items():
        course = course_by_id[course_id]
        p = course.protocol
        moving = {b.visit_id for b in tail}
        kept_in_book = [b.appointment for b in tail if b.visit_id not in affected]
        for a in kept_in_book:
            book.remove(a)
        days_of = {
            b.appointment.infusion_index: b.appointment.day
            for b in by_course[course_id]
            if b.visit_id not in moving
        }
        placed: list[Appointment] = []
        for b in tail:
            a = b.appointment
            prev = days_of.get(a.infusion_index - 1)
            first_day = days_of.get(0)
            lo = (
                clinic.horizon.day_of(course.earliest_start_date)
                if prev is None
                else (prev + p.min_days_between)
            )
            hi = clinic.horizon.days - 1 if prev is None else prev + p.max_days_between
            if first_day is not None:
                hi = min(hi, first_day + p.window_days - 1)
            days = [
                d
                for d in range(max(lo, 0), min(hi, clinic.horizon.days - 1) + 1)
                if not (b.visit_id in cancelled_visit_ids and d == a.day)
            ]
            if b.visit_id not in affected and a.day in days:
                days.remove(a.day)
                days.insert(0, a.day)  # keep the old day first when it still fits
            new = None
            for day in days:
                spans = grid_spans(allowed_start_spans(clinic, course, days=[day]), step)
                minute_of_day = a.start_minute % MINUTES_PER_DAY
                starts = sorted(
                    (k * step for s_lo, s_hi in spans for k in range(s_lo, s_hi + 1)),
                    key=lambda m: (abs(m % MINUTES_PER_DAY - minute_of_day), m),
                )
                for start in starts:
                    infusion = start + p.visit.preparation_minutes
                    if not book.nurse_ok(infusion, infusion + p.visit.infusion_minutes):
                        continue
                    end = start + p.visit.total_minutes
                    room_id = (
                        a.room_id
                        if book.room_is_free(a.room_id, start, end)
                        else book.free_room(start, end)
                    )
                    if room_id is not None:
                        new = dataclasses.replace(a, room_id=room_id, start_minute=start)
                        break
                if new is not None:
                    break
            if new is None:
                break
            book.add(new)
            placed.append(new)
            days_of[a.infusion_index] = new.day
        if len(placed) == len(tail):
            repaired.update({b.visit_id: n for b, n in zip(tail, placed, strict=True)})
        else:
            # Not repairable: the course's visits go back where they were.
            for n in placed:
                book.remove(n)
            for a in kept_in_book:
                book.add(a)
    return repaired


def _near(day: int, days: Sequence[int], within_days: int | None) -> bool:
    return within_days is None or any(abs(day - d) <= within_days for d in days)


def _without_span(domain: list[tuple[int, int]], lo: int, hi: int) -> list[tuple[int, int]]:
    """``domain`` less the closed span ``[lo, hi]``."""
    out: list[tuple[int, int]] = []
    for d_lo, d_hi in domain:
        out += [s for s in ((d_lo, min(d_hi, lo - 1)), (max(d_lo, hi + 1), d_hi)) if s[0] <= s[1]]
    return out


def _replan_failed(
    booked: Sequence[BookedVisit], reason: str, began: float, status: str = "NOT_SOLVED"
) -> Replan:
    return Replan(tuple(booked), (), 0, 0, reason, status, time.perf_counter() - began)
