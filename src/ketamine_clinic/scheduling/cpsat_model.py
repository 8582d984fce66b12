"""The CP-SAT model shared by ``plan_course``, ``replan`` and ``plan_month``.

Each visit to place is a *task*: an integer grid step ``k`` (start minute ``k * step``) whose
domain already holds clinic hours, the patient's availability and prescriber presence (see
``windows``), a day ``k div steps_per_day`` for the spacing rules, and one optional interval
per room of which exactly one is present when the course is placed. Rooms get a NoOverlap
each (with their out-of-service periods and fixed visits as fixed intervals); nurses are one
Cumulative over the infusion parts, whose capacity follows the shifts through fixed
"filler" demand where fewer nurses are on the floor than at the busiest time.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from ketamine_clinic.scheduling.model import (
    MINUTES_PER_DAY,
    Appointment,
    Clinic,
    CourseRequest,
    SolverSettings,
)
from ketamine_clinic.scheduling.windows import nurse_capacity_profile


@dataclass
class Task:
    """One visit in the model; ``fixed_k``/``fixed_room`` pin it (a visit that may not move)."""

    course: CourseRequest
    infusion_index: int
    domain_steps: list[tuple[int, int]]
    placed: cp_model.IntVar | int = 1
    fixed_room: str | None = None
    k: cp_model.IntVar = field(init=False)
    day: cp_model.IntVar = field(init=False)
    room_literals: dict[str, cp_model.IntVar] = field(default_factory=dict, init=False)

    @property
    def key(self) -> tuple[str, int]:
        return (self.course.course_id, self.infusion_index)


class CourseModel:
    """Builds the model for a set of tasks around fixed appointments."""

    def __init__(self, clinic: Clinic) -> None:
        self.clinic = clinic
        self.model = cp_model.CpModel()
        self.step = clinic.start_step_minutes
        self.steps_per_day = MINUTES_PER_DAY // self.step
        self.tasks: list[Task] = []
        self._room_intervals: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
        self._nurse_intervals: list[cp_model.IntervalVar] = []
        self._nurse_demands: list[int] = []
        self._patient_intervals: dict[str, list[cp_model.IntervalVar]] = defaultdict(list)
        self._patient_courses: dict[str, set[str]] = defaultdict(set)
        for room in clinic.rooms:
            for period in room.out_of_service:
                self._room_intervals[room.room_id].append(
                    self.model.new_fixed_size_interval_var(
                        period.start_minute, period.duration_minutes, f"oos_{room.room_id}"
                    )
                )

    def add_fixed(self, appointment: Appointment) -> None:
        """A visit that stays where it is: it only takes room and nurse capacity."""
        m = self.model
        self._room_intervals[appointment.room_id].append(
            m.new_fixed_size_interval_var(
                appointment.start_minute, appointment.visit.total_minutes, "fixed"
            )
        )
        self._nurse_intervals.append(
            m.new_fixed_size_interval_var(
                appointment.infusion_start_minute, appointment.visit.infusion_minutes, "fixed_inf"
            )
        )
        self._nurse_demands.append(1)

    def add_task(self, task: Task) -> Task:
        m = self.model
        visit = task.course.protocol.visit
        name = f"{task.course.course_id}_{task.infusion_index}"
        flat = [v for span in task.domain_steps for v in span]
        task.k = m.new_int_var_from_domain(cp_model.Domain.from_flat_intervals(flat), f"k_{name}")
        lo_day = task.domain_steps[0][0] // self.steps_per_day
        hi_day = task.domain_steps[-1][1] // self.steps_per_day
        task.day = m.new_int_var(lo_day, hi_day, f"day_{name}")
        m.add_division_equality(task.day, task.k, self.steps_per_day)
        start = task.k * self.step
        rooms = [task.fixed_room] if task.fixed_room else [r.room_id for r in self.clinic.rooms]
        for room_id in rooms:
            lit = m.new_bool_var(f"x_{name}_{room_id}")
            task.room_literals[room_id] = lit
            self._room_intervals[room_id].append(
                m.new_optional_fixed_size_interval_var(start, visit.total_minutes, lit, "visit")
            )
        m.add(sum(task.room_literals.values()) == task.placed)
        if isinstance(task.placed, int):
            infusion = m.new_fixed_size_interval_var(
                start + visit.preparation_minutes, visit.infusion_minutes, f"inf_{name}"
            )
            whole = m.new_fixed_size_interval_var(start, visit.total_minutes, f"whole_{name}")
        else:
            infusion = m.new_optional_fixed_size_interval_var(
                start + visit.preparation_minutes, visit.infusion_minutes, task.placed, "inf"
            )
            whole = m.new_optional_fixed_size_interval_var(
                start, visit.total_minutes, task.placed, "whole"
            )
        self._nurse_intervals.append(infusion)
        self._nurse_demands.append(1)
        self._patient_intervals[task.course.patient_id].append(whole)
        self._patient_courses[task.course.patient_id].add(task.course.course_id)
        self.tasks.append(task)
        return task

    def add_spacing(self, tasks: Sequence[Task]) -> None:
        """Order, days between and window of one course's tasks (sorted by infusion index).

        Enforced only when the course is placed: an unplaced course's days are meaningless,
        and a course whose days cannot chain must still be allowed to stay unplaced.
        """
        if not tasks:
            return
        p = tasks[0].course.protocol
        placed = tasks[0].placed
        rules: list[cp_model.Constraint] = []
        for prev, nxt in itertools.pairwise(tasks):
            steps = nxt.infusion_index - prev.infusion_index
            rules.append(self.model.add(nxt.day - prev.day >= p.min_days_between * steps))
            rules.append(self.model.add(nxt.day - prev.day <= p.max_days_between * steps))
        rules.append(self.model.add(tasks[-1].day - tasks[0].day <= p.window_days - 1))
        if not isinstance(placed, int):
            for rule in rules:
                rule.only_enforce_if(placed)

    def finish(self) -> None:
        """Add the resource constraints once every task and fixed visit is in."""
        m = self.model
        for intervals in self._room_intervals.values():
            if len(intervals) > 1:
                m.add_no_overlap(intervals)
        # One patient is in one place at a time. A course's own visits are on different
        # days, so this matters only for a patient with two courses in the model.
        for patient_id, intervals in self._patient_intervals.items():
            if len(self._patient_courses[patient_id]) > 1:
                m.add_no_overlap(intervals)
        profile = nurse_capacity_profile(self.clinic)
        # With no nurse at all, capacity 1 fully taken by filler leaves room for no infusion.
        capacity = max((c for _, _, c in profile), default=1)
        # Filler demand brings the constant Cumulative capacity down to the shifts' level.
        cursor = 0
        fillers: list[tuple[int, int, int]] = []
        for start, end, cap in profile:
            if start > cursor:
                fillers.append((cursor, start, capacity))
            if cap < capacity:
                fillers.append((start, end, capacity - cap))
            cursor = end
        horizon_end = self.clinic.horizon.end_minute
        if cursor < horizon_end:
            fillers.append((cursor, horizon_end, capacity))
        intervals = list(self._nurse_intervals)
        demands = list(self._nurse_demands)
        for start, end, demand in fillers:
            if demand > 0 and end > start:
                intervals.append(m.new_fixed_size_interval_var(start, end - start, "filler"))
                demands.append(demand)
        m.add_cumulative(intervals, demands, capacity)

    def solve(self, settings: SolverSettings) -> tuple[cp_model.CpSolver, cp_model.CpSolverStatus]:
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = settings.time_limit_seconds
        solver.parameters.num_workers = settings.num_workers
        solver.parameters.random_seed = settings.random_seed
        solver.parameters.log_search_progress = settings.log_search_progress
        # Presolve's symmetry breaking can cut off a hinted solution (CP-SAT then logs "the
        # solution hint is complete, but it is infeasible" and loses the warm start), and
        # probing on the month model took ~5 s of 2 cores and ended the solve with nothing.
        # Measured on bench/schedule.py's scenario; both are off for every model.
        solver.parameters.symmetry_level = 0
        solver.parameters.cp_model_probing_level = 0
        status = solver.solve(self.model)
        return solver, status

    def appointment(self, solver: cp_model.CpSolver, task: Task) -> Appointment:
        room_id = next(r for r, lit in task.room_literals.items() if solver.boolean_value(lit))
        return Appointment(
            course_id=task.course.course_id,
            patient_id=task.course.patient_id,
            infusion_index=task.infusion_index,
            room_id=room_id,
            start_minute=solver.value(task.k) * self.step,
            visit=task.course.protocol.visit,
        )
