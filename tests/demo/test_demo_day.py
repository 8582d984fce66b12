"""The demo day: today's visits in every state across the six rooms, made once.

Seeded under a frozen clock: 11:30 on Tuesday 10 March 2026 in New York (15:30 UTC),
a late morning; then late in the evening and just after midnight, when the day's
morning cannot sit before the real clock (demo/day.py's docstring says what happens).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.audit.selectors import audit_chain_verify
from ketamine_clinic.booking.course_rules import course_rule_problems
from ketamine_clinic.clinicday.selectors import day_visits
from ketamine_clinic.demo.day import DEMO_DAY, IN_CLINIC_START, ROOMS, plan_day, seed_demo_day
from ketamine_clinic.demo.seed import seed_demo_clinic
from ketamine_clinic.infusion.models import AdverseEvent, PumpEvent
from ketamine_clinic.recovery.selectors import discharge_criteria
from ketamine_clinic.visits.checks import clinic_date
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
LATE_MORNING = datetime(2026, 3, 10, 11, 30, tzinfo=NEW_YORK)
LATE_EVENING = datetime(2026, 3, 10, 23, 50, tzinfo=NEW_YORK)
JUST_AFTER_MIDNIGHT = datetime(2026, 3, 11, 0, 10, tzinfo=NEW_YORK)


def _seed(at: datetime) -> dict[str, Visit]:
    with time_machine.travel(at, tick=False):
        seed_demo_clinic()
    return {visit.state: visit for visit in _todays(at)}


def _todays(at: datetime) -> list[Visit]:
    """Today's visits (the demo also books three courses ahead: demo/bookings.py)."""
    return [
        visit
        for visit in Visit.objects.select_related("room", "patient")
        if clinic_date(visit.scheduled_start) == clinic_date(at)
    ]


def _holds(visit: Visit) -> tuple[datetime, datetime]:
    minutes = (
        visit.planned_preparation_min + visit.planned_infusion_min + visit.planned_recovery_min
    )
    return visit.scheduled_start, visit.scheduled_start + timedelta(minutes=minutes)


def _overlaps(visits: Iterable[tuple[str | None, datetime, datetime]]) -> list[str]:
    rows = sorted(visits, key=lambda row: (str(row[0]), row[1]))
    return [
        f"{a[0]}: {a[1]:%H:%M} and {b[1]:%H:%M}"
        for a, b in pairwise(rows)
        if a[0] is not None and a[0] == b[0] and b[1] < a[2]
    ]


def _check_the_day(visits: dict[str, Visit], now: datetime) -> None:
    """Every state once, all on today's date, six rooms shared without overlap, and the
    visits in the clinic consistent with the real clock."""
    assert set(visits) == set(VisitState.values)
    assert len(_todays(now)) == len(DEMO_DAY)
    today = clinic_date(now)
    assert {clinic_date(visit.scheduled_start) for visit in visits.values()} == {today}
    assert {visit.room.name for visit in visits.values() if visit.room} == set(ROOMS)
    assert all(visit.room is not None for visit in visits.values())
    assert _overlaps((v.room.name if v.room else None, *_holds(v)) for v in visits.values()) == []
    for state in ("recovery", "infusing", "paused"):
        started = visits[state].infusion_started_at
        assert started is not None and started <= now
        assert PumpEvent.objects.filter(visit=visits[state], at__gt=now).count() == 0
    assert audit_chain_verify()[1] is None


def test_the_demo_day_has_a_visit_in_every_state_across_the_six_rooms() -> None:
    visits = _seed(LATE_MORNING)

    _check_the_day(visits, LATE_MORNING)
    local = {state: v.scheduled_start.astimezone(NEW_YORK) for state, v in visits.items()}
    # This morning's visits from 08:00; the afternoon's at 13:00 and 14:00.
    assert local["discharged"].hour == 8 and local["aborted"].hour == 8
    assert (local["cancelled"].hour, local["scheduled"].hour) == (13, 14)
    # Every record of this morning is before now; nothing anywhere is after it.
    assert AuditEntry.objects.filter(at__gt=LATE_MORNING).count() == 0
    assert Visit.objects.filter(state_changed_at__gt=LATE_MORNING).count() == 0
    # Infusing: a rate change and a side effect; paused: its pump is paused.
    casey = visits["infusing"]
    assert casey.patient.legal_first_name == "Casey"
    assert AdverseEvent.objects.filter(visit=casey).exists()
    kinds = list(PumpEvent.objects.filter(visit=casey).values_list("kind", flat=True))
    assert kinds == ["start", "rate_change"]
    kinds = list(PumpEvent.objects.filter(visit=visits["paused"]).values_list("kind", flat=True))
    assert kinds == ["start", "pause"]
    # Only the minimum recovery time is left before the patient in recovery can go home.
    unmet = [c for c in discharge_criteria(visits["recovery"], now=LATE_MORNING) if not c.met]
    assert [c.label.startswith("Minimum recovery") for c in unmet] == [True]
    # Waiting: checks done, ready with a verified syringe, just checked in.
    assert visits["checks_done"].checks_done_at is not None
    assert visits["ready"].ready_at is not None
    assert visits["checked_in"].checked_in_at is not None


def test_the_discharged_visit_met_every_criterion_when_it_left() -> None:
    visit = _seed(LATE_MORNING)["discharged"]

    assert visit.discharged_at is not None and visit.recovery_started_at is not None
    criteria = discharge_criteria(visit, now=visit.discharged_at)
    assert [c.label for c in criteria if not c.met] == []
    recovered = visit.discharged_at - visit.recovery_started_at
    assert recovered >= timedelta(minutes=visit.planned_recovery_min)
    kinds = list(PumpEvent.objects.filter(visit=visit).values_list("kind", flat=True))
    assert kinds == ["start", "stop"]
    assert visit.discharged_at < LATE_MORNING


def test_the_aborted_visit_records_the_dose_given_and_why() -> None:
    visits = _seed(LATE_MORNING)
    aborted = visits["aborted"]

    assert aborted.infusion_started_at is not None
    assert aborted.dose_given_before_abort_mg is not None
    assert Decimal(0) < aborted.dose_given_before_abort_mg < Decimal(50)
    assert "blood pressure" in aborted.end_reason
    kinds = list(PumpEvent.objects.filter(visit=aborted).values_list("kind", flat=True))
    assert kinds == ["start", "pause", "stop"]
    assert visits["did_not_attend"].end_reason and visits["cancelled"].end_reason


def test_seeding_again_changes_nothing() -> None:
    _seed(LATE_MORNING)
    counts = (Visit.objects.count(), AuditEntry.objects.count(), PumpEvent.objects.count())

    with time_machine.travel(LATE_MORNING + timedelta(hours=3), tick=False):
        assert seed_demo_day() == 0
        seed_demo_clinic()

    assert (Visit.objects.count(), AuditEntry.objects.count(), PumpEvent.objects.count()) == (
        counts
    )


@pytest.mark.parametrize("now", [LATE_EVENING, JUST_AFTER_MIDNIGHT], ids=["23:50", "00:10"])
def test_late_in_the_evening_and_just_after_midnight_it_is_still_today(now: datetime) -> None:
    from tests.conftest import client_for

    visits = _seed(now)

    _check_the_day(visits, now)
    # The pages open whatever the clock (after midnight the morning is still ahead).
    with time_machine.travel(now + timedelta(minutes=1), tick=False):
        client = client_for(User.objects.get(username="nurse"))
        assert client.get("/today/").status_code == 200
        for visit in visits.values():
            for suffix in ("", "room", "discharge-sheet"):
                assert client.get(f"/visits/{visit.pk}/{suffix}").status_code == 200


def test_the_day_view_lists_them() -> None:
    visits = _seed(LATE_MORNING)
    nurse = User.objects.get(username="nurse")

    with time_machine.travel(LATE_MORNING, tick=False):
        rooms = day_visits(day=date(2026, 3, 10), by=nurse)

    assert [room.label for room in rooms] == list(ROOMS)
    listed = {row.visit.pk for room in rooms for row in room.visits}
    assert listed == {visit.pk for visit in visits.values()}


def test_every_demo_visit_page_opens() -> None:
    from tests.conftest import client_for

    visits = _seed(LATE_MORNING)

    with time_machine.travel(LATE_MORNING + timedelta(minutes=1), tick=False):
        client = client_for(User.objects.get(username="nurse"))
        assert client.get("/today/").status_code == 200
        for visit in visits.values():
            for suffix in ("", "room", "discharge-sheet"):
                assert client.get(f"/visits/{visit.pk}/{suffix}").status_code == 200


def _every_five_minutes(day: date) -> list[datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).astimezone(UTC)
    return [start + timedelta(minutes=5 * n, seconds=20) for n in range(24 * 12)]


@pytest.mark.parametrize(
    "day",
    # An ordinary Tuesday, and the Sundays the clocks spring forward and fall back.
    [date(2026, 3, 10), date(2026, 3, 8), date(2026, 11, 1)],
    ids=["ordinary", "spring-forward", "fall-back"],
)
def test_at_any_time_of_day_the_plan_fits_today_and_the_rooms(day: date) -> None:
    slot = timedelta(minutes=105)  # the default protocol's 20 + 55 + 30
    for now in _every_five_minutes(day):
        plan = plan_day(now)
        today = clinic_date(now)
        where = f"at {now.astimezone(NEW_YORK):%H:%M}"
        assert {visit.demo.state for visit in plan.visits} == set(VisitState.values), where
        assert all(visit.room is not None for visit in plan.visits), where
        assert {clinic_date(visit.start) for visit in plan.visits} == {today}, where
        rows = [(visit.room, visit.start, visit.start + slot) for visit in plan.visits]
        assert _overlaps(rows) == [], where
        # The visits in the clinic are consistent with the real clock, always.
        in_clinic = [v for v in plan.visits if v.demo.state in IN_CLINIC_START]
        assert all(at <= now for visit in in_clinic for at, _ in visit.steps), where
        assert plan.booked_at <= min(at for v in plan.visits for at, _ in v.steps), where
        # The morning is over before now, except in the first two and a half hours
        # after midnight, when there is no time for it before the clock.
        midnight = datetime.combine(today, datetime.min.time(), tzinfo=NEW_YORK)
        if now - midnight >= timedelta(minutes=150):
            assert all(at <= now for visit in plan.visits for at, _ in visit.steps), where


def test_three_courses_are_booked_ahead_by_the_planner() -> None:
    _seed(LATE_MORNING)
    ahead = Visit.objects.filter(scheduled_start__gt=LATE_MORNING + timedelta(hours=18))
    by_course: dict[int, list[Visit]] = {}
    for visit in ahead.order_by("scheduled_start"):
        assert visit.course_id is not None and visit.room is not None
        by_course.setdefault(visit.course_id, []).append(visit)
    assert len(by_course) == 3
    for visits in by_course.values():
        assert [v.number_in_course for v in visits] == [2, 3, 4, 5, 6]
        course = visits[0].course
        assert course is not None
        assert course_rule_problems(course, {}) == []
    assert _overlaps((v.room.name if v.room else None, *_holds(v)) for v in ahead) == []
