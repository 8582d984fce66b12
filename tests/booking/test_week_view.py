"""The week view: visits by room and day on the clinic's clock, escaped, audited, cheap.

The clinic's zone is America/New_York (settings TIME_ZONE). Daylight saving began on
Sunday 8 March 2026 (02:00 EST became 03:00 EDT) and ends on Sunday 1 November 2026.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.booking.models import ClinicHours, Room, RoomOutage
from ketamine_clinic.booking.week import NO_ROOM, Week, WeekRow, week_grid
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import visit_schedule, visit_transition
from tests.conftest import client_for
from tests.patients.factories import make_patient
from tests.role_matrix_expected import EXPECTED
from tests.visits.support import frozen

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
# The week of Monday 9 March 2026 (the first full week of daylight saving time).
MONDAY = date(2026, 3, 9)
BOOKED_AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# The page writes time ranges with an en dash, as a printed timetable does.
DASH = "\N{EN DASH}"
# Prep 15 + infusion 45 + recovery 60: the room is held 2 h.
HELD = {"planned_preparation_min": 15, "planned_infusion_min": 45, "planned_recovery_min": 60}


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=NEW_YORK)


def _room(name: str, order: int = 0) -> Room:
    return Room.objects.get_or_create(name=name, defaults={"display_order": order})[0]


def _book(
    personas: dict[str, User], first: str, room: Room | None, at: datetime, last: str = "Weekly"
) -> Visit:
    with frozen(BOOKED_AT):
        visit = visit_schedule(
            patient=make_patient(first, last),
            scheduled_start=at,
            room=room,
            by=personas["front_desk"],
        )
    Visit.objects.filter(pk=visit.pk).update(**HELD)
    visit.refresh_from_db()
    return visit


def _outage(
    personas: dict[str, User], room: Room, start: datetime, end: datetime, why: str
) -> None:
    RoomOutage.objects.create(
        room=room,
        starts_at=start,
        ends_at=end,
        reason=why,
        recorded_at=BOOKED_AT,
        recorded_by=personas["clinic_lead"],
    )


def _weekdays_open() -> None:
    for weekday in range(5):
        ClinicHours.objects.create(weekday=weekday, opens_at=time(8), closes_at=time(18))


def _row(week: Week, label: str) -> WeekRow:
    return next(row for row in week.rows if row.label == label)


def _names(week: Week, label: str, day: int) -> list[str]:
    return [visit.patient_name for visit in _row(week, label).cells[day].visits]


def _page(user: User, start: str) -> str:
    with frozen(_local(MONDAY, 9)):
        response = client_for(user).get(f"/schedule/week/?start={start}")
    assert response.status_code == 200
    return response.content.decode()


def test_it_puts_each_visit_in_its_rooms_cell_on_its_day_by_time(
    personas: dict[str, User],
) -> None:
    one, two = _room("Room 1", 1), _room("Room 2", 2)
    _book(personas, "Late", two, _local(MONDAY + timedelta(days=2), 14))
    _book(personas, "Early", two, _local(MONDAY + timedelta(days=2), 8, 30))
    _book(personas, "Tuesday", one, _local(MONDAY + timedelta(days=1), 10))
    week = week_grid(day=MONDAY + timedelta(days=3), by=personas["nurse"])
    assert week.monday == MONDAY
    assert [row.label for row in week.rows] == ["Room 1", "Room 2"]
    assert _names(week, "Room 2", 2) == ["Weekly, Early", "Weekly, Late"]
    assert _names(week, "Room 1", 1) == ["Weekly, Tuesday"]
    assert all(not cell.visits for i, cell in enumerate(_row(week, "Room 1").cells) if i != 1)
    early = _row(week, "Room 2").cells[2].visits[0]
    assert (early.starts_at.strftime("%H:%M"), early.ends_at.strftime("%H:%M")) == (
        "08:30",
        "10:30",
    )


def test_the_page_shows_times_names_labels_states_and_links(personas: dict[str, User]) -> None:
    visit = _book(personas, "Linked", _room("Room 1"), _local(MONDAY, 9, 15))
    text = _page(personas["nurse"], MONDAY.isoformat())
    assert f"09:15{DASH}11:15" in text
    assert "Weekly, Linked" in text
    assert visit.patient.mrn in text
    assert "Booster infusion" in text
    assert "Scheduled" in text
    assert f'href="/visits/{visit.pk}/"' in text
    assert 'href="/today/?date=2026-03-11"' in text
    assert "?start=2026-03-02" in text and "?start=2026-03-16" in text


def test_any_date_shows_its_monday_to_sunday_week(personas: dict[str, User]) -> None:
    text = _page(personas["nurse"], "2026-03-15")
    assert f"Week of 9 March {DASH} 15 March 2026" in text


def test_an_unreadable_date_shows_this_week(personas: dict[str, User]) -> None:
    text = _page(personas["nurse"], "not-a-date")
    assert f"Week of 9 March {DASH} 15 March 2026" in text


def test_a_visit_at_half_past_eleven_on_sunday_night_is_on_sunday(
    personas: dict[str, User],
) -> None:
    # 23:30 EDT on Sunday is 03:30 UTC on Monday: in UTC it would be next week.
    sunday = MONDAY + timedelta(days=6)
    _book(personas, "Sundaynight", _room("Room 1"), _local(sunday, 23, 30))
    _book(personas, "Nextmonday", _room("Room 1"), _local(sunday + timedelta(days=1), 0, 15))
    week = week_grid(day=MONDAY, by=personas["nurse"])
    assert _names(week, "Room 1", 6) == ["Weekly, Sundaynight"]
    assert week.visit_count == 1
    assert week_grid(day=sunday + timedelta(days=1), by=personas["nurse"]).visit_count == 1


@pytest.mark.parametrize(
    ("monday", "clock_change"),
    [(date(2026, 3, 2), "spring forward"), (date(2026, 10, 26), "fall back")],
)
def test_a_week_with_a_clock_change_runs_midnight_to_midnight(
    personas: dict[str, User], monday: date, clock_change: str
) -> None:
    room = _room("Room 1")
    sunday = monday + timedelta(days=6)
    _book(personas, "Firstminute", room, _local(monday, 0, 15))
    _book(personas, "Lastminute", room, _local(sunday, 23, 45))
    _book(personas, "Before", room, _local(monday - timedelta(days=1), 23, 45))
    _book(personas, "After", room, _local(sunday + timedelta(days=1), 0, 15))
    week = week_grid(day=sunday, by=personas["nurse"])
    assert _names(week, "Room 1", 0) == ["Weekly, Firstminute"], clock_change
    assert _names(week, "Room 1", 6) == ["Weekly, Lastminute"], clock_change
    assert week.visit_count == 2


def test_a_visit_across_the_clock_change_ends_at_the_right_wall_time(
    personas: dict[str, User],
) -> None:
    # 01:30 EST + 2 h held = 04:30 EDT (the hour 02:00-03:00 did not happen that night).
    sunday = date(2026, 3, 8)
    _book(personas, "Overnight", _room("Room 1"), datetime(2026, 3, 8, 6, 30, tzinfo=UTC))
    shown = _row(week_grid(day=sunday, by=personas["nurse"]), "Room 1").cells[6].visits[0]
    assert (shown.starts_at.strftime("%H:%M"), shown.ends_at.strftime("%H:%M")) == (
        "01:30",
        "04:30",
    )


def test_closed_days_are_marked_and_still_show_their_visits(personas: dict[str, User]) -> None:
    _weekdays_open()
    _book(personas, "Saturday", _room("Room 1"), _local(MONDAY + timedelta(days=5), 10))
    week = week_grid(day=MONDAY, by=personas["nurse"])
    assert [day.closed for day in week.days] == [False] * 5 + [True, True]
    assert _names(week, "Room 1", 5) == ["Weekly, Saturday"]
    text = _page(personas["nurse"], MONDAY.isoformat())
    assert text.count('<span class="week-count">closed</span>') == 2
    assert "week-closed-col" in text


def test_with_no_hours_recorded_no_day_is_closed(personas: dict[str, User]) -> None:
    _room("Room 1")
    week = week_grid(day=MONDAY, by=personas["nurse"])
    assert not any(day.closed for day in week.days)
    assert all(day.free_room_hours is None for day in week.days)


def test_free_room_hours_take_off_visits_and_outages(personas: dict[str, User]) -> None:
    _weekdays_open()
    one, two = _room("Room 1", 1), _room("Room 2", 2)
    _book(personas, "Held", one, _local(MONDAY, 9))  # 2 h
    gone = _book(personas, "Cancelled", two, _local(MONDAY, 9))
    with frozen(BOOKED_AT):
        visit_transition(gone, VisitState.CANCELLED, by=personas["front_desk"], reason="ill")
    _outage(personas, two, _local(MONDAY, 7), _local(MONDAY, 12), "Pump service")  # 4 h open
    monday = week_grid(day=MONDAY, by=personas["nurse"]).days[0]
    assert monday.free_room_hours == 2 * 10 - 2 - 4
    assert (monday.booked, monday.cancelled) == (1, 1)


def test_a_cancelled_visit_is_struck_through_and_does_not_hold_the_room(
    personas: dict[str, User],
) -> None:
    visit = _book(personas, "Gone", _room("Room 1"), _local(MONDAY, 10))
    with frozen(BOOKED_AT):
        visit_transition(visit, VisitState.DID_NOT_ATTEND, by=personas["front_desk"], reason="x")
    week = week_grid(day=MONDAY, by=personas["nurse"])
    assert _row(week, "Room 1").cells[0].visits[0].holds_room is False
    text = _page(personas["nurse"], MONDAY.isoformat())
    assert 'class="week-visit week-freed"' in text
    assert "Did not attend" in text
    assert "0 booked, 1 cancelled" in text


def test_outages_show_in_their_cells_cut_to_each_day_and_escaped(
    personas: dict[str, User],
) -> None:
    room = _room("Room 1")
    _outage(personas, room, _local(MONDAY, 10), _local(MONDAY, 14), "<b>Pump</b> & cable")
    _outage(
        personas,
        room,
        _local(MONDAY + timedelta(days=2), 16),
        _local(MONDAY + timedelta(days=4), 9),
        "Deep clean",
    )
    week = week_grid(day=MONDAY, by=personas["nurse"])
    cells = _row(week, "Room 1").cells
    assert [len(cell.outages) for cell in cells] == [1, 0, 1, 1, 1, 0, 0]
    assert cells[3].outages[0].all_day
    text = _page(personas["nurse"], MONDAY.isoformat())
    assert f"Out of service 10:00{DASH}14:00: &lt;b&gt;Pump&lt;/b&gt; &amp; cable" in text
    assert "<b>Pump</b>" not in text
    assert "Out of service from 16:00: Deep clean" in text
    assert "Out of service all day: Deep clean" in text
    assert "Out of service until 09:00: Deep clean" in text


def test_patient_names_are_escaped(personas: dict[str, User]) -> None:
    _book(personas, "<script>x</script>", _room("Room 1"), _local(MONDAY, 10))
    text = _page(personas["nurse"], MONDAY.isoformat())
    assert "<script>x</script>" not in text
    assert "&lt;script&gt;x&lt;/script&gt;" in text


def test_rooms_out_of_use_show_only_with_a_visit_and_unroomed_visits_come_last(
    personas: dict[str, User],
) -> None:
    old, idle = _room("Old room", 0), _room("Idle old room", 0)
    _book(personas, "Oldroom", old, _local(MONDAY, 10))
    Room.objects.filter(pk__in=[old.pk, idle.pk]).update(in_use=False)
    _room("Room 1", 1)
    _book(personas, "Noroom", None, _local(MONDAY, 11))
    week = week_grid(day=MONDAY, by=personas["nurse"])
    assert [row.label for row in week.rows] == ["Old room", "Room 1", NO_ROOM]
    assert "not in use" in _page(personas["nurse"], MONDAY.isoformat())


def test_the_read_is_audited_with_the_visits_and_patients_shown(
    personas: dict[str, User],
) -> None:
    first = _book(personas, "One", _room("Room 1"), _local(MONDAY, 10))
    second = _book(personas, "Two", _room("Room 1"), _local(MONDAY + timedelta(days=1), 10))
    _book(personas, "Elsewhere", _room("Room 1"), _local(MONDAY + timedelta(days=7), 10))
    _page(personas["clinic_lead"], MONDAY.isoformat())
    entry = AuditEntry.objects.get(action="read", object_type="visit_week")
    assert entry.detail["week_start"] == MONDAY.isoformat()
    assert entry.detail["visit_ids"] == [first.pk, second.pk]
    assert entry.detail["patient_ids"] == sorted([first.patient_id, second.patient_id])
    assert entry.actor_username == personas["clinic_lead"].username


def _queries(personas: dict[str, User]) -> int:
    with CaptureQueriesContext(connection) as captured:
        week_grid(day=MONDAY, by=personas["nurse"])
    return len(captured)


def test_the_number_of_queries_does_not_grow_with_the_week(personas: dict[str, User]) -> None:
    _weekdays_open()
    rooms = [_room(f"Room {n}", n) for n in range(1, 4)]
    _book(personas, "First", rooms[0], _local(MONDAY, 9))
    _outage(personas, rooms[0], _local(MONDAY, 12), _local(MONDAY, 13), "Cable")
    _queries(personas)  # the first read also loads the reader's roles for the audit entry
    few = _queries(personas)
    for n in range(12):
        day = MONDAY + timedelta(days=n % 7)
        _book(personas, f"More{n}", rooms[n % 3], _local(day, 8 + n % 9), last=f"Many{n}")
        _outage(personas, rooms[n % 3], _local(day, 18), _local(day, 19), f"Check {n}")
    assert _queries(personas) == few
    # Rooms, hours, visits (with patients and courses), outages; the rest is the audit entry.
    with CaptureQueriesContext(connection) as captured:
        week_grid(day=MONDAY, by=personas["nurse"])
    reads = [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]
    assert sum('FROM "visits_visit"' in sql for sql in reads) == 1
    assert sum('FROM "booking_roomoutage"' in sql for sql in reads) == 1
    assert sum('FROM "booking_room"' in sql for sql in reads) == 1


def test_the_menu_and_the_day_page_link_to_the_week(personas: dict[str, User]) -> None:
    with frozen(_local(MONDAY, 9)):
        day = client_for(personas["front_desk"]).get("/today/?date=2026-03-11").content.decode()
    assert 'href="/schedule/week/?start=2026-03-11"' in day
    assert ">Schedule</a>" in day
    assert day.index(">Today</a>") < day.index(">Schedule</a>")


@pytest.mark.parametrize("persona", ["front_desk", "nurse", "prescriber", "clinic_lead"])
def test_the_people_who_see_the_day_see_the_week(personas: dict[str, User], persona: str) -> None:
    assert persona in EXPECTED["booking:week"]
    _page(personas[persona], MONDAY.isoformat())


@pytest.mark.parametrize("persona", ["custodian", "administrator", "no_role"])
def test_no_one_else_sees_the_week(personas: dict[str, User], persona: str) -> None:
    assert persona not in EXPECTED["booking:week"]
    with frozen(_local(MONDAY, 9)):
        response = client_for(personas[persona]).get("/schedule/week/")
    assert response.status_code == 403
    assert not AuditEntry.objects.filter(object_type="visit_week").exists()


def test_signed_out_visitors_are_sent_to_sign_in() -> None:
    from django.test import Client

    response = Client().get("/schedule/week/")
    assert response.status_code == 302
    assert "/accounts/sign-in/" in response["Location"]


def test_the_clinic_zone_is_the_one_these_weeks_assume() -> None:
    # The clock-change weeks above are New York's; another zone would test nothing.
    assert timezone.get_default_timezone_name() == NEW_YORK.key
