"""Who the generated clinic treats, when, in which room, at what dose. Pure: one seed in,
the same clinic out (no Django, no clock: ``today`` is given).

The clinic's shape, each number a choice for a plausible clinic and not a published
figure unless its comment says so:

* patients: ages 18-95 (some over 89, which de-identification must group), sex at
  birth mostly female as in depression trials, ICD-10 diagnoses mostly F32/F33, with
  anxiety (F41.x) and PTSD (F43.1x) as the clinical reference's indications list;
* the course is the default protocol's six infusions in <= 21 days, 2-4 days apart
  (``courses/protocols_data.py``); some stop early, a few are under way today, and
  responders who relapse come back for boosters 14-42 days or more after the course;
* infusions sit in the clinic's opening hours (weekdays 08:00-18:00, Saturday mornings,
  as the demo clinic), one visit per room per slot, at ~60% of capacity (clinical.md:
  "clinics at ~60% capacity", Osmind survey);
* dose: 0.5 mg/kg to start, titrated towards 0.75-1.0 mg/kg between sessions for those
  not yet responding (clinical.md: "steps of 0.1-0.25 mg/kg towards 0.75-1.0 mg/kg"),
  over 40 min (the studied duration) or the clinic's 55.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Final

from ketamine_clinic.generate import names
from ketamine_clinic.generate.trajectory import Trajectory, draw_trajectory

COURSE_INFUSIONS: Final = 6
ROOMS: Final = 6
PREPARATION_MIN: Final = 20
RECOVERY_MIN: Final = 30
SLOT_MIN: Final = 105  # preparation + 55 min infusion + recovery, as the protocol plans
WEEKDAY_OPEN: Final = time(8)
WEEKDAY_SLOTS: Final = 5  # 08:00 .. 15:00 starts, the last ends 16:45 (closes 18:00)
SATURDAY_OPEN: Final = time(9)
SATURDAY_SLOTS: Final = 2  # 09:00, 10:45 (closes 13:00)
UTILISATION: Final = 0.6
MIN_SPAN_DAYS: Final = 365
# Shares of registered patients (see module docstring); the share never infused is
# derived from the requested infusions per patient.
STARTED_MIX: Final = (("stopped", 0.26), ("completed", 0.72), ("in_course", 0.02))
BOOSTER_SHARE_OF_RESPONDERS: Final = 0.45
DNA_SHARE: Final = 0.03
TITRATE_DOWN_SHARE: Final = 0.12
ADVERSE_EVENTS: Final = (("nausea", 0.08), ("hypertension", 0.02), ("anxiety", 0.02))
STOP_REASONS: Final = (
    "Patient chose to stop: no benefit felt so far.",
    "Stopped for side effects: nausea despite ondansetron.",
    "Stopped: blood pressure surges at two infusions.",
    "Patient moved away; referred back to their psychiatrist.",
    "Stopped: could not arrange an escort for the remaining infusions.",
)
# ICD-10-CM codes from the bundled list, with weights: mostly depression.
PRIMARY_DIAGNOSES: Final = (
    ("F33.1", 0.30), ("F33.2", 0.28), ("F32.2", 0.12), ("F32.1", 0.08), ("F33.9", 0.07),
    ("F41.1", 0.06), ("F43.10", 0.03), ("F43.12", 0.06),
)  # fmt: skip
ANXIETY_COMORBID: Final = ("F41.1", "F41.0", "F41.9")
PTSD_CODES: Final = ("F43.10", "F43.11", "F43.12")


@dataclass
class VisitPlan:
    day: date
    slot: int
    room: int
    number: int | None  # the course's infusion number; None for a booster
    state: str  # discharged, did_not_attend or scheduled (future)
    infusions_before: int  # course infusions given before this one
    days_after_course: int | None = None  # boosters: how long after the course
    booster_index: int | None = None
    dose_mg_per_kg: float = 0.5
    duration_min: int = 55
    titrate_down: bool = False
    adverse: str | None = None


@dataclass
class PatientPlan:
    index: int
    first: str
    last: str
    preferred: str
    date_of_birth: date
    sex: str
    diagnoses: list[str]
    weight_kg: float
    weight_in_lb: bool
    kind: str  # not_started, stopped, completed, in_course
    infusions: int
    boosters: int
    intake_day: date
    trajectory: Trajectory
    escort_name: str
    escort_relationship: str
    escort_phone: str
    visits: list[VisitPlan] = field(default_factory=list)
    course_end_day: date | None = None
    stop_reason: str = ""

    @property
    def ptsd(self) -> bool:
        return any(code in PTSD_CODES for code in self.diagnoses)

    @property
    def anxiety(self) -> bool:
        return any(code.startswith("F41") for code in self.diagnoses)


@dataclass
class ClinicPlan:
    seed: int
    start: date
    end: date  # the last day with finished visits (yesterday)
    patients: list[PatientPlan]

    @property
    def infusions(self) -> int:
        return sum(1 for p in self.patients for v in p.visits if v.state == "discharged")


def slot_starts(day: date) -> list[time]:
    """The start of each bookable slot on ``day`` (none on Sundays)."""
    if day.weekday() == 6:
        return []
    opens, count = (
        (SATURDAY_OPEN, SATURDAY_SLOTS) if day.weekday() == 5 else (WEEKDAY_OPEN, WEEKDAY_SLOTS)
    )
    base = opens.hour * 60 + opens.minute
    return [time(*divmod(base + n * SLOT_MIN, 60)) for n in range(count)]


class RoomBook:
    """Which (room, slot) of each day is taken; first fit from a wanted day on."""

    def __init__(self) -> None:
        self.taken: dict[date, set[tuple[int, int]]] = {}

    def place(
        self, wanted: date, *, latest: date | None = None, not_before: date | None = None
    ) -> tuple[date, int, int]:
        """The first free seat from ``wanted`` on (up to ``latest``; then back towards
        ``not_before``; then, only if the clinic is full, after ``latest``)."""
        for day in self._days(wanted, latest, not_before):
            seat = self._free(day)
            if seat is not None:
                return day, *seat
        raise RuntimeError("no free room in ten years")  # pragma: no cover

    @staticmethod
    def _days(wanted: date, latest: date | None, not_before: date | None) -> Iterator[date]:
        if latest is None:
            yield from (wanted + timedelta(days=n) for n in range(3650))
            return
        yield from (wanted + timedelta(days=n) for n in range((latest - wanted).days + 1))
        floor = not_before or wanted - timedelta(days=30)
        yield from (wanted - timedelta(days=n) for n in range(1, (wanted - floor).days + 1))
        yield from (latest + timedelta(days=n) for n in range(1, 3650))

    def _free(self, day: date) -> tuple[int, int] | None:
        used = self.taken.setdefault(day, set())
        for slot in range(len(slot_starts(day))):
            for room in range(ROOMS):
                if (room, slot) not in used:
                    used.add((room, slot))
                    return slot, room
        return None


def _pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    roll = rng.random() * sum(share for _, share in table)
    for name, share in table:
        roll -= share
        if roll < 0:
            return name
    return table[-1][0]


def _span_days(infusions: int) -> int:
    weekly_capacity = ROOMS * (5 * WEEKDAY_SLOTS + SATURDAY_SLOTS)
    return max(MIN_SPAN_DAYS, math.ceil(infusions / (weekly_capacity * UTILISATION) * 7))


def _course_offsets(rng: random.Random, count: int) -> list[int]:
    """Days from the first infusion: 2-4 days apart, six within 21 days."""
    offsets = [0]
    for _ in range(count - 1):
        offsets.append(offsets[-1] + rng.choice((2, 3, 3, 4)))
    return offsets


def _allocate(rng: random.Random, kinds: list[str], infusions: list[int], boosters: list[int],
              responders: list[bool], target: int) -> None:  # fmt: skip
    """Adjust the per-patient counts in place until they add up to ``target`` exactly."""
    total = sum(infusions) + sum(boosters)
    order = list(range(len(kinds)))
    while total != target:
        i = rng.choice(order)
        if total > target:
            if boosters[i] > 0:
                boosters[i] -= 1
            elif kinds[i] == "completed":
                kinds[i], infusions[i] = "stopped", COURSE_INFUSIONS - 1
            elif kinds[i] in ("stopped", "in_course") and infusions[i] > 1:
                infusions[i] -= 1
            elif kinds[i] in ("stopped", "in_course"):
                kinds[i], infusions[i] = "not_started", 0
            else:
                continue
            total -= 1
        else:
            if kinds[i] == "completed" and responders[i] and boosters[i] < 6:
                boosters[i] += 1
            elif kinds[i] == "not_started":
                kinds[i], infusions[i] = "stopped", 1
            elif kinds[i] == "stopped" and infusions[i] < COURSE_INFUSIONS - 1:
                infusions[i] += 1
            elif kinds[i] == "completed" and boosters[i] < 12:
                boosters[i] += 1
            else:
                continue
            total += 1


def _person(rng: random.Random, intake_day: date) -> dict[str, object]:
    sex = _pick(rng, (("female", 0.62), ("male", 0.36), ("intersex", 0.01), ("unknown", 0.01)))
    # Ages 18-95 at intake, most 25-65; about 1% over 89.
    age = (
        min(95, max(18, round(rng.gauss(44, 14)))) if rng.random() > 0.012 else rng.randint(90, 95)
    )
    born = intake_day - timedelta(days=round(age * 365.25) + rng.randint(1, 360))
    first = names.first_name(rng, sex)
    primary = _pick(rng, PRIMARY_DIAGNOSES)
    diagnoses = [primary]
    if not primary.startswith("F41") and rng.random() < 0.35:
        diagnoses.append(rng.choice(ANXIETY_COMORBID))
    if primary not in PTSD_CODES and rng.random() < 0.08:
        diagnoses.append(rng.choice(PTSD_CODES))
    mean_kg = 72.0 if sex == "female" else 86.0
    return {
        "first": first,
        "last": names.surname(rng),
        "preferred": first[:3] if rng.random() < 0.05 else "",
        "date_of_birth": born,
        "sex": sex,
        "diagnoses": diagnoses,
        "weight_kg": round(min(160.0, max(45.0, rng.gauss(mean_kg, 15))), 1),
        "weight_in_lb": rng.random() < 0.6,
        "escort_name": f"{names.first_name(rng, 'unknown')} {names.surname(rng)}",
        "escort_relationship": rng.choice(names.RELATIONSHIPS),
        "escort_phone": names.phone(rng),
    }


def plan_clinic(*, patients: int, infusions: int, seed: int, today: date) -> ClinicPlan:
    """The whole clinic for ``seed``: ``patients`` registered, ``infusions`` given
    (discharged) by the end of yesterday, plus the visits still booked for the few
    courses under way."""
    rng = random.Random(seed)  # noqa: S311 - synthetic data, not security
    end = today - timedelta(days=1)
    start = end - timedelta(days=_span_days(infusions))
    # Infusions per started patient in the mix, to find the share never started.
    per_started = 0.26 * 2.6 + 0.72 * (6 + 0.58 * BOOSTER_SHARE_OF_RESPONDERS * 2.5) + 0.02 * 3
    started_share = min(1.0, infusions / patients / per_started)
    kinds: list[str] = []
    counts: list[int] = []
    boosters: list[int] = []
    trajectories: list[Trajectory] = []
    people: list[dict[str, object]] = []
    intake_guess: list[date] = []
    span = (end - start).days
    for _ in range(patients):
        intake = start + timedelta(days=rng.randrange(span))
        intake_guess.append(intake)
        people.append(_person(rng, intake))
        kind = _pick(rng, STARTED_MIX) if rng.random() < started_share else "not_started"
        count = {"stopped": rng.choice((1, 1, 2, 2, 3, 4, 5)), "completed": COURSE_INFUSIONS,
                 "in_course": rng.randint(1, 5), "not_started": 0}[kind]  # fmt: skip
        diagnoses = people[-1]["diagnoses"]
        assert isinstance(diagnoses, list)  # noqa: S101 - for mypy
        trajectory = draw_trajectory(
            rng,
            completed=kind != "stopped",
            ptsd=any(code in PTSD_CODES for code in diagnoses),
            anxiety=any(code.startswith("F41") for code in diagnoses),
        )
        kinds.append(kind)
        counts.append(count)
        trajectories.append(trajectory)
        boosters.append(
            rng.randint(1, 4)
            if kind == "completed" and trajectory.relapse_after_days is not None
            and rng.random() < BOOSTER_SHARE_OF_RESPONDERS else 0
        )  # fmt: skip
    _allocate(rng, kinds, counts, boosters, [t.responds for t in trajectories], infusions)
    book = RoomBook()
    plans: list[PatientPlan] = []
    for index in range(patients):
        person = people[index]
        plan = PatientPlan(
            index=index,
            kind=kinds[index],
            infusions=counts[index],
            boosters=boosters[index],
            intake_day=intake_guess[index],
            trajectory=trajectories[index],
            **person,  # type: ignore[arg-type]
        )
        plans.append(plan)
    # Place the courses in the order they start, so the room book fills chronologically.
    timelines = {plan.index: _timeline(rng, plan, start, end) for plan in plans}
    for plan in sorted(plans, key=lambda p: (timelines[p.index][0], p.index)):
        first_day, offsets = timelines[plan.index]
        if plan.kind == "not_started":
            plan.intake_day = first_day
            continue
        _place_visits(rng, plan, first_day, offsets, book, end)
    return ClinicPlan(seed=seed, start=start, end=end, patients=plans)


def _booster_offsets(rng: random.Random, plan: PatientPlan) -> list[int]:
    """Days after the course's last infusion for each booster."""
    relapse = plan.trajectory.relapse_after_days
    first = max(14, min(120, round(relapse) + rng.randint(3, 10))) if relapse is not None else 28
    offsets = [first]
    for _ in range(plan.boosters - 1):
        offsets.append(offsets[-1] + rng.randint(28, 70))
    return offsets


def _timeline(
    rng: random.Random, plan: PatientPlan, start: date, end: date
) -> tuple[date, list[int]]:
    """The first infusion's day and each infusion's offset from it (boosters included)."""
    span = (end - start).days
    if plan.kind == "not_started":
        return start + timedelta(days=rng.randrange(span + 1)), []
    planned = COURSE_INFUSIONS if plan.kind in ("completed", "in_course") else plan.infusions
    offsets = _course_offsets(rng, planned)
    if plan.kind == "completed" and plan.boosters:
        boosters = _booster_offsets(rng, plan)
        room = span - 28 - 7 - offsets[-1]
        if boosters[-1] > room:  # compress the intervals so the boosters fit the span
            factor = room / boosters[-1]
            boosters = [max(14 * (n + 1), round(b * factor)) for n, b in enumerate(boosters)]
        offsets += [offsets[-1] + b for b in boosters]
    if plan.kind == "in_course":
        # Under way: the given infusions end in the last days, the rest are still booked.
        done = offsets[plan.infusions - 1]
        return end - timedelta(days=done + rng.randint(0, 3)), offsets
    length = offsets[-1] + 7  # room for slips
    latest_start = max(0, span - length - 28)  # intake is before the first infusion
    return start + timedelta(days=28 + rng.randrange(latest_start + 1)), offsets


def _dose_path(rng: random.Random, plan: PatientPlan, count: int) -> list[float]:
    """mg/kg per infusion: 0.5 to start, raised between sessions while not responding."""
    doses = [0.5]
    slow = plan.trajectory.outcome in ("none", "worse") or rng.random() < 0.3
    for number in range(2, count + 1):
        dose = doses[-1]
        if slow and number >= 3 and dose < 1.0 and rng.random() < 0.6:
            dose = min(1.0, round(dose + rng.choice((0.1, 0.15, 0.25)), 2))
        doses.append(dose)
    return doses


def _duration(rng: random.Random, dose: float) -> int:
    # 40 min only while the dose rate stays within the library's 1 mg/kg/h soft limit.
    return 40 if dose <= 0.66 and rng.random() < 0.35 else 55


def _clinical(rng: random.Random, visit: VisitPlan, dose: float) -> None:
    visit.dose_mg_per_kg = dose
    visit.duration_min = _duration(rng, dose)
    visit.titrate_down = rng.random() < TITRATE_DOWN_SHARE
    for kind, share in ADVERSE_EVENTS:
        if rng.random() < share:
            visit.adverse = kind
            break


def _place_visits(rng: random.Random, plan: PatientPlan, first_day: date, offsets: list[int],
                  book: RoomBook, end: date) -> None:  # fmt: skip
    planned_course = COURSE_INFUSIONS if plan.kind in ("completed", "in_course") else plan.infusions
    doses = _dose_path(rng, plan, planned_course)
    previous: date | None = None
    course_last: date | None = None
    given = 0
    for position, offset in enumerate(offsets):
        wanted = first_day + timedelta(days=offset)
        if previous is not None:
            gap = offset - offsets[position - 1]
            wanted = max(wanted, previous + timedelta(days=min(gap, 2)))
        in_course = position < planned_course
        future = in_course and plan.kind == "in_course" and position >= plan.infusions
        if in_course and not future and rng.random() < DNA_SHARE:
            day, slot, room = book.place(wanted, latest=end, not_before=previous)
            plan.visits.append(VisitPlan(day, slot, room, position + 1, "did_not_attend", given))
            wanted = day + timedelta(days=1)
        latest = None if future else end
        if future:
            wanted = max(wanted, end + timedelta(days=2))  # booked from tomorrow on
        floor = None if previous is None else previous + timedelta(days=1)
        day, slot, room = book.place(wanted, latest=latest, not_before=floor)
        if in_course:
            visit = VisitPlan(
                day, slot, room, position + 1, "scheduled" if future else "discharged", given
            )
            _clinical(rng, visit, doses[position])
            if not future:
                given += 1
                course_last = day
        else:
            assert course_last is not None  # noqa: S101 - boosters follow a course
            visit = VisitPlan(day, slot, room, None, "discharged", given,
                              days_after_course=(day - course_last).days,
                              booster_index=position - planned_course)  # fmt: skip
            _clinical(rng, visit, doses[-1])
        plan.visits.append(visit)
        previous = day
    first = plan.visits[0].day
    plan.intake_day = first - timedelta(days=rng.randint(7, 27))
    plan.course_end_day = course_last if plan.kind in ("completed", "stopped") else None
    if plan.kind == "stopped":
        plan.stop_reason = rng.choice(STOP_REASONS)
