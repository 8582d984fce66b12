"""Course scheduling benchmark: CP-SAT (``plan_month``) against greedy first-fit.

The issue's scenario: a month of a 10-room clinic with 200 active courses (synthetic,
seeded), planned by the CP-SAT model and by the greedy first-fit baseline side by side in
one run, each run through ``validate_schedule``. Not a test; asserts nothing.

    make bench-schedule                       # = .venv/bin/python bench/schedule.py --write
    .venv/bin/python bench/schedule.py        # print the report, leave docs/ alone
    .venv/bin/python bench/schedule.py --runs 1 --time-limit 3   # smoke run

It needs nothing beyond the project's own ``.venv`` (OR-Tools is a dependency).

Where the report goes: ``docs/benchmarks.md`` holds one marked region per benchmark.
This script replaces only what lies between its ``schedule-bench:start`` /
``schedule-bench:end`` markers (appending the region if it is missing), keeping the
hand-written reading between ``schedule-reading:start`` and ``schedule-reading:end``;
``bench/pk.py`` does the same with its ``pk-bench`` region.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Final

from ketamine_clinic.scheduling.cpsat import plan_month, replan
from ketamine_clinic.scheduling.greedy import greedy_first_fit
from ketamine_clinic.scheduling.model import (
    MINUTES_PER_DAY,
    BookedVisit,
    Clinic,
    CourseProtocol,
    CourseRequest,
    DailyHours,
    Horizon,
    MinuteInterval,
    MonthPlan,
    NurseShift,
    PatientAvailability,
    PrescriberOnSite,
    Room,
    SolverSettings,
    VisitTimes,
    WeeklyWindow,
)
from ketamine_clinic.scheduling.validation import validate_schedule

REPO_ROOT: Final = Path(__file__).resolve().parent.parent
DOC_PATH: Final = REPO_ROOT / "docs" / "benchmarks.md"
COMMAND: Final = "make bench-schedule   # = .venv/bin/python bench/schedule.py --write"
BLOCK_START: Final = (
    "<!-- schedule-bench:start (bench/schedule.py --write rewrites this region) -->"
)
BLOCK_END: Final = "<!-- schedule-bench:end -->"
READING_START: Final = (
    "<!-- schedule-reading:start (hand-written; bench/schedule.py --write keeps it) -->"
)
READING_END: Final = "<!-- schedule-reading:end -->"
FLOOR_SECONDS: Final = 10.0

# The scenario.
SEED: Final = 20261126
ROOMS: Final = 10
COURSES: Final = 200
PLANNING_DAYS: Final = 14  # every course's earliest start falls in the first two weeks
HORIZON_DAYS: Final = 35  # five weeks: the month plus room to finish a 21-day window
START: Final = dt.date(2027, 1, 4)  # a Monday
OPEN_MINUTE: Final = 7 * 60
CLOSE_MINUTE: Final = 19 * 60
NURSES_PER_DAY: Final = 4
MAX_INFUSING_ROOMS_PER_NURSE: Final = 2


def scenario(seed: int = SEED) -> tuple[Clinic, list[CourseRequest]]:
    """The synthetic month: the clinic and 200 course requests, fixed by ``seed``.

    Weekdays 07:00-19:00; 10 rooms (room 3 out of service for three days of maintenance,
    room 7 one afternoon); 4 nurses all day, at most 2 infusing rooms each (8 infusions at
    once for 10 rooms); prescribers on site 07:30-13:30 and 13:00-18:30. Courses: 6
    infusions in 21 days, 1-7 days apart, 15 + 55 + 30 min visits, earliest start spread
    over the first 28 days, first infusion within 14 days of it. Patients come 3-5 weekdays
    a week, all day (50%), mornings only (25%) or afternoons only (25%), and are away on
    0-2 dates.
    """
    rng = random.Random(seed)
    open_days = [d for d in range(HORIZON_DAYS) if (START + dt.timedelta(days=d)).weekday() < 5]

    def at(day: int, minute_of_day: int) -> int:
        return day * MINUTES_PER_DAY + minute_of_day

    rooms = []
    for i in range(ROOMS):
        oos: tuple[MinuteInterval, ...] = ()
        if i == 2:
            oos = (MinuteInterval(at(9, 0), at(12, 0)),)
        elif i == 6:
            oos = (MinuteInterval(at(17, 13 * 60), at(17, 19 * 60)),)
        rooms.append(Room(f"room-{i + 1:02d}", oos))
    clinic = Clinic(
        horizon=Horizon(START, HORIZON_DAYS),
        hours=tuple(DailyHours(w, OPEN_MINUTE, CLOSE_MINUTE) for w in range(5)),
        rooms=tuple(rooms),
        nurse_shifts=tuple(
            NurseShift(f"nurse-{n + 1}", at(d, OPEN_MINUTE), at(d, CLOSE_MINUTE))
            for d in open_days
            for n in range(NURSES_PER_DAY)
        ),
        prescribers_on_site=tuple(
            p
            for d in open_days
            for p in (
                PrescriberOnSite("prescriber-a", at(d, 7 * 60 + 30), at(d, 13 * 60 + 30)),
                PrescriberOnSite("prescriber-b", at(d, 13 * 60), at(d, 18 * 60 + 30)),
            )
        ),
        max_infusing_rooms_per_nurse=MAX_INFUSING_ROOMS_PER_NURSE,
        start_step_minutes=15,
    )
    protocol = CourseProtocol(6, 21, 1, 7, VisitTimes(15, 55, 30))
    courses = []
    for i in range(COURSES):
        weekdays = sorted(rng.sample(range(5), rng.randint(3, 5)))
        kind = rng.random()
        start_m, end_m = (
            (OPEN_MINUTE, CLOSE_MINUTE)
            if kind < 0.5
            else (OPEN_MINUTE, 13 * 60)
            if kind < 0.75
            else (12 * 60, CLOSE_MINUTE)
        )
        earliest = START + dt.timedelta(days=rng.randrange(PLANNING_DAYS))
        away = frozenset(
            earliest + dt.timedelta(days=rng.randrange(21)) for _ in range(rng.randint(0, 2))
        )
        courses.append(
            CourseRequest(
                course_id=f"course-{i + 1:03d}",
                patient_id=f"patient-{i + 1:03d}",
                availability=PatientAvailability(
                    tuple(WeeklyWindow(w, start_m, end_m) for w in weekdays), away
                ),
                earliest_start_date=earliest,
                protocol=protocol,
                start_within_days=14,
            )
        )
    return clinic, courses


@dataclass(frozen=True)
class ReplanMeasured:
    label: str
    wall_seconds: float
    status: str
    affected: int
    changes: int
    other_patients_moved: int
    displacement_hours: float
    check: str


REPLAN_EVENT_DAY: Final = 10
REPLAN_EVENT = (
    "room-01 out of service on day 10 (a Thursday) from 13:00 to 19:00, noticed that "
    "morning (visits before day 10 are history: not movable)"
)


def run_replan(
    clinic: Clinic,
    courses: Sequence[CourseRequest],
    within_days: int | None,
    settings: SolverSettings,
) -> ReplanMeasured:
    """Replan the greedy month book after ``REPLAN_EVENT``."""
    import dataclasses  # local: only this part of the bench needs it

    month = greedy_first_fit(clinic, courses)
    placed = {a.course_id for a in month.appointments}
    active = [c for c in courses if c.course_id in placed]
    # The event is noticed at the start of day 10: visits before it are history.
    book = [
        BookedVisit(f"visit-{i:04d}", a, movable=a.day >= REPLAN_EVENT_DAY)
        for i, a in enumerate(month.appointments)
    ]
    rooms = list(clinic.rooms)
    rooms[0] = dataclasses.replace(
        rooms[0],
        out_of_service=(
            MinuteInterval(10 * MINUTES_PER_DAY + 13 * 60, 10 * MINUTES_PER_DAY + 19 * 60),
        ),
    )
    event_clinic = dataclasses.replace(clinic, rooms=tuple(rooms))
    before = validate_schedule(event_clinic, active, [b.appointment for b in book])
    affected = len({k for v in before for k in v.keys})
    began = time.perf_counter()
    # within_days -1: only the affected courses move (others_may_move=False).
    only_affected = within_days is not None and within_days < 0
    result = replan(
        event_clinic,
        active,
        book,
        movable_within_days=None if only_affected else within_days,
        others_may_move=not only_affected,
        settings=settings,
    )
    wall = time.perf_counter() - began
    if result.infeasible_reason is None:
        found = validate_schedule(event_clinic, active, [v.appointment for v in result.visits])
        check = "passed" if not found else f"FAILED ({len(found)})"
    else:
        check = "-"
    if only_affected:
        label = "affected courses only (every other visit fixed)"
    elif within_days is None:
        label = "every movable visit (unbounded)"
    else:
        label = f"affected courses + visits within {within_days} days of the event"
    return ReplanMeasured(
        label,
        wall,
        result.solver_status,
        affected,
        len(result.changes),
        result.other_patients_moved,
        result.total_displacement_minutes / 60,
        check,
    )


@dataclass(frozen=True)
class Measured:
    wall_seconds: float
    placed_courses: int
    utilisation: float
    mean_completion_days: float
    violations: int
    status: str


def available_room_minutes(clinic: Clinic) -> int:
    """Room-minutes in clinic hours over the horizon, less out-of-service time."""
    hours = {h.weekday: h for h in clinic.hours}
    total = 0
    for room in clinic.rooms:
        for day in range(clinic.horizon.days):
            h = hours.get(clinic.horizon.date_of(day).weekday())
            if h is None:
                continue
            lo = day * MINUTES_PER_DAY + h.open_minute_of_day
            hi = day * MINUTES_PER_DAY + h.close_minute_of_day
            blocked = sum(
                max(0, min(hi, p.end_minute) - max(lo, p.start_minute)) for p in room.out_of_service
            )
            total += hi - lo - blocked
    return total


def measure(
    clinic: Clinic, courses: Sequence[CourseRequest], plan: MonthPlan, wall_seconds: float
) -> Measured:
    booked = sum(a.visit.total_minutes for a in plan.appointments)
    by_course = {c.course_id: c for c in courses}
    last_day: dict[str, int] = {}
    for a in plan.appointments:
        last_day[a.course_id] = max(last_day.get(a.course_id, 0), a.day)
    completion = [
        d - clinic.horizon.day_of(by_course[cid].earliest_start_date) + 1
        for cid, d in last_day.items()
    ]
    return Measured(
        wall_seconds=wall_seconds,
        placed_courses=len(last_day),
        utilisation=booked / available_room_minutes(clinic),
        mean_completion_days=statistics.fmean(completion) if completion else float("nan"),
        violations=len(validate_schedule(clinic, courses, plan.appointments)),
        status=plan.solver_status,
    )


def machine_facts() -> list[tuple[str, str]]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607 - git from PATH
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return [
        ("cores (os.cpu_count)", str(os.cpu_count())),
        ("CPU (/proc/cpuinfo)", cpu),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("engine (git)", commit),
        ("Python", platform.python_version()),
        ("ortools", metadata.version("ortools")),
    ]


def md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join("---" for _ in header) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
    ]


def render(
    cpsat_runs: list[Measured],
    greedy_runs: list[Measured],
    variants: list[tuple[str, list[Measured]]],
    replans: list[ReplanMeasured],
    replan_settings: SolverSettings,
    settings: SolverSettings,
    load: tuple[float, float],
    started: str,
    reading: str,
) -> str:
    def med(runs: list[Measured], attr: str) -> float:
        return statistics.median(float(getattr(r, attr)) for r in runs)

    def row(label: str, runs: list[Measured]) -> list[str]:
        walls = [r.wall_seconds for r in runs]
        return [
            label,
            f"{med(runs, 'wall_seconds'):.2f} s ({min(walls):.2f}-{max(walls):.2f})",
            f"{med(runs, 'placed_courses'):.0f} / {COURSES}",
            f"{100 * med(runs, 'utilisation'):.1f}%",
            f"{med(runs, 'mean_completion_days'):.2f}",
            "passed" if all(r.violations == 0 for r in runs) else "FAILED",
            ", ".join(sorted({r.status for r in runs})),
        ]

    cp_wall = med(cpsat_runs, "wall_seconds")
    gr_wall = med(greedy_runs, "wall_seconds")
    ratios = [
        ("wall time, CP-SAT / greedy", f"{cp_wall / gr_wall:.0f}x"),
        (
            "courses placed, CP-SAT - greedy",
            f"{med(cpsat_runs, 'placed_courses') - med(greedy_runs, 'placed_courses'):+.0f}",
        ),
        (
            "room utilisation, CP-SAT / greedy",
            f"{med(cpsat_runs, 'utilisation') / med(greedy_runs, 'utilisation'):.3f}",
        ),
        (
            "mean completion days, CP-SAT / greedy",
            f"{med(cpsat_runs, 'mean_completion_days') / med(greedy_runs, 'mean_completion_days'):.3f}",
        ),
    ]
    floor_met = max(r.wall_seconds for r in cpsat_runs) < FLOOR_SECONDS
    machine = [
        *machine_facts(),
        ("load average at start / end", f"{load[0]:.2f} / {load[1]:.2f} (1 min)"),
        ("run", started),
    ]
    lines = [
        BLOCK_START,
        "",
        "## Course scheduling: CP-SAT against greedy first-fit",
        "",
        "Generated by `bench/schedule.py` (only its reading is written by hand). Reproduce with:",
        "",
        "```sh",
        COMMAND,
        "```",
        "",
        "It runs in the project's own `.venv` (OR-Tools is a dependency; no peers to "
        "install). It writes only its own marked region of this file, as `bench/pk.py` "
        "does, so neither benchmark overwrites the other.",
        "",
        "### Scenario",
        "",
        f"A month for a {ROOMS}-room clinic with {COURSES} active courses (synthetic, seed "
        f"{SEED}): every course's earliest start falls in the first {PLANNING_DAYS} days, "
        f"the horizon runs {HORIZON_DAYS} days so the last can finish. Weekdays 07:00-19:00; "
        "one room out of service for three days, one for an afternoon; 4 nurses, at most 2 "
        "infusing rooms each (8 infusions at once for 10 rooms); prescribers 07:30-13:30 "
        "and 13:00-18:30. Each course: 6 infusions within 21 days, 1-7 days apart, visit "
        "15 + 55 + 30 min, first infusion within 14 days of the earliest start; patients "
        "come 3-5 weekdays (all day, mornings or afternoons only) and are away 0-2 dates. "
        "Starts on a 15-minute grid.",
        "",
        "- **CP-SAT** is `plan_month`: courses placed whole or not at all; objective: most "
        "courses placed, then the smallest sum of completion days. It is warm-started with "
        "the greedy plan (a hint), whose time is inside its wall time. Settings: time "
        f"limit {settings.time_limit_seconds:g} s, {settings.num_workers} workers, seed "
        f"{settings.random_seed}.",
        "- **Greedy first-fit** is `greedy_first_fit`: courses by earliest start, each "
        "infusion at the first slot that fits (earliest day, time, room), retrying a course "
        "from the next first day when a later infusion finds no day.",
        "- Wall time: `time.perf_counter` around the call, including model building. Room "
        "utilisation: booked room-minutes (whole visits) / room-minutes in clinic hours "
        "over the horizon less out-of-service time. Completion days: from the earliest "
        "start date to the last infusion, inclusive, over the courses placed. Constraint "
        "check: `validate_schedule` on every run's output (rooms, nurses, prescriber, hours, "
        "availability, spacing, window, completeness).",
        f"- Medians over {len(cpsat_runs)} runs of each, alternating; wall time with the "
        "range. Two more CP-SAT rows show what the numbers depend on: a shorter time limit, "
        "and no warm start (CP-SAT alone, same limit). Ratios and the floor are for the "
        "first row.",
        "",
        "### Machine",
        "",
        *md_table(["", ""], machine),
        "",
        "### Results",
        "",
        *md_table(
            [
                "planner",
                "wall time (range)",
                "courses fully placed",
                "room utilisation",
                "mean completion days",
                "constraint check",
                "status",
            ],
            [
                row(f"CP-SAT (`plan_month`), {settings.time_limit_seconds:g} s limit", cpsat_runs),
                row("greedy first-fit", greedy_runs),
                *(row(label, runs) for label, runs in variants),
            ],
        ),
        "",
        *md_table(["ratio", "value"], ratios),
        "",
        f"Floor (from the issue): CP-SAT under {FLOOR_SECONDS:g} s on this machine: slowest "
        f"run {max(r.wall_seconds for r in cpsat_runs):.2f} s, "
        f"**{'met' if floor_met else 'NOT met'}**.",
        "",
        "### Replan at month scale",
        "",
        f"The greedy month book (one run of each row), then {REPLAN_EVENT}: "
        "`replan` re-places the visits that now break a rule, minimising first the other "
        "patients' changed visits, then the affected patients' extra changes, then the "
        f"total displacement; {replan_settings.time_limit_seconds:g} s per level (three "
        f"levels), {replan_settings.num_workers} workers. `movable_within_days` bounds "
        "which other visits may move.",
        "",
        *md_table(
            [
                "movable visits",
                "wall time",
                "status (last level run)",
                "visits the event broke",
                "changed visits",
                "other patients' visits moved",
                "total displacement",
                "constraint check",
            ],
            [
                [
                    r.label,
                    f"{r.wall_seconds:.2f} s",
                    r.status,
                    str(r.affected),
                    str(r.changes),
                    str(r.other_patients_moved),
                    f"{r.displacement_hours:.1f} h",
                    r.check,
                ]
                for r in replans
            ]
            or [["(not run)", "", "", "", "", "", "", ""]],
        ),
        "",
        "### Reading",
        "",
        READING_START,
        reading.strip(),
        READING_END,
        "",
        BLOCK_END,
    ]
    return "\n".join(lines)


def existing_reading(text: str) -> str:
    start, end = text.find(READING_START), text.find(READING_END)
    if start < 0 or end < 0:
        return "(Write the reading here after the first full run.)"
    return text[start + len(READING_START) : end]


def write_block(text: str, block: str) -> str:
    """Put ``block`` in place of the old one, or at the end; other regions are kept."""
    start, end = text.find(BLOCK_START), text.find(BLOCK_END)
    if start >= 0 and end >= 0:
        return text[:start] + block + text[end + len(BLOCK_END) :]
    return text.rstrip("\n") + "\n\n" + block + "\n"


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"write into {DOC_PATH.name}")
    parser.add_argument("--runs", type=int, default=3, help="runs of each planner")
    parser.add_argument("--time-limit", type=float, default=8.0, help="CP-SAT limit, s")
    parser.add_argument("--workers", type=int, default=2, help="CP-SAT workers")
    parser.add_argument("--short-limit", type=float, default=2.0, help="the shorter limit, s")
    parser.add_argument("--no-variants", action="store_true", help="only the two main rows")
    parser.add_argument("--replan-limit", type=float, default=5.0, help="replan, s per level")
    parser.add_argument("--no-replan", action="store_true", help="skip the replan section")
    args = parser.parse_args(argv)
    settings = SolverSettings(time_limit_seconds=args.time_limit, num_workers=args.workers)
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg()[0]
    clinic, courses = scenario()
    cpsat_runs: list[Measured] = []
    greedy_runs: list[Measured] = []
    short = SolverSettings(time_limit_seconds=args.short_limit, num_workers=args.workers)
    variant_setups = [
        (f"CP-SAT, {args.short_limit:g} s limit", short, True),
        (f"CP-SAT without the greedy warm start, {args.time_limit:g} s limit", settings, False),
    ]
    variants: list[tuple[str, list[Measured]]] = [(label, []) for label, _, _ in variant_setups]

    def timed_cpsat(s: SolverSettings, warm_start: bool) -> Measured:
        began = time.perf_counter()
        plan = plan_month(clinic, courses, settings=s, warm_start=warm_start)
        wall = time.perf_counter() - began
        measured = measure(clinic, courses, plan, wall)
        print(
            f"bench:   {wall:.2f} s, {measured.placed_courses} placed, {plan.solver_status}",
            file=sys.stderr,
        )
        return measured

    for run in range(args.runs):
        print(f"bench: run {run + 1}/{args.runs} greedy ...", file=sys.stderr, flush=True)
        began = time.perf_counter()
        greedy = greedy_first_fit(clinic, courses)
        greedy_runs.append(measure(clinic, courses, greedy, time.perf_counter() - began))
        print(f"bench: run {run + 1}/{args.runs} CP-SAT ...", file=sys.stderr, flush=True)
        cpsat_runs.append(timed_cpsat(settings, True))
        if not args.no_variants:
            for (label, s, warm), (_, runs) in zip(variant_setups, variants, strict=True):
                print(f"bench: run {run + 1}/{args.runs} {label} ...", file=sys.stderr)
                runs.append(timed_cpsat(s, warm))
    replan_settings = SolverSettings(time_limit_seconds=args.replan_limit, num_workers=args.workers)
    replans: list[ReplanMeasured] = []
    if not args.no_replan:
        for within in (-1, 0, 2, None):
            print(f"bench: replan, movable within {within} days ...", file=sys.stderr)
            replans.append(run_replan(clinic, courses, within, replan_settings))
            r = replans[-1]
            print(
                f"bench:   {r.wall_seconds:.2f} s, {r.status}, {r.changes} changes, "
                f"{r.other_patients_moved} others moved",
                file=sys.stderr,
            )
    load_end = os.getloadavg()[0]
    current = DOC_PATH.read_text() if DOC_PATH.exists() else ""
    block = render(
        cpsat_runs,
        greedy_runs,
        [v for v in variants if v[1]],
        replans,
        replan_settings,
        settings,
        (load_start, load_end),
        started,
        existing_reading(current),
    )
    print(block)
    if load_start > 0.5 * (os.cpu_count() or 1):
        print(
            f"bench: load average was {load_start:.2f} at the start: other work may have "
            "disturbed the timings; consider a rerun.",
            file=sys.stderr,
        )
    if args.write:
        DOC_PATH.write_text(write_block(current, block))
        print(f"bench: wrote {DOC_PATH.relative_to(REPO_ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
