"""The demo clinic's rooms, opening hours, settings and staff rota.

Six rooms, open 08:00-18:00 on weekdays and 09:00-13:00 on Saturdays; the demo nurse and
a second demo nurse share the floor, and the demo prescriber is on site whenever the
clinic is open, for the weeks ahead (the course planner looks that far). Idempotent.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.enums import ShiftRole
from ketamine_clinic.booking.models import ClinicHours, Room, SchedulingSettings, StaffShift

DEMO_ROOMS = ("Room 1", "Room 2", "Room 3", "Room 4", "Room 5", "Room 6")
DEMO_HOURS: dict[int, tuple[time, time]] = {
    **{weekday: (time(8), time(18)) for weekday in range(5)},
    5: (time(9), time(13)),
}
DEMO_ROTA_DAYS = 63  # nine weeks: a course's three weeks plus the planner's start window


def seed_demo_resources(today: date | None = None) -> None:
    """Rooms, hours and settings once; shifts for every open day of the rota not yet covered."""
    with transaction.atomic():
        for order, name in enumerate(DEMO_ROOMS):
            Room.objects.get_or_create(name=name, defaults={"display_order": order})
        for weekday, (opens, closes) in DEMO_HOURS.items():
            ClinicHours.objects.get_or_create(
                weekday=weekday, defaults={"opens_at": opens, "closes_at": closes}
            )
        SchedulingSettings.current()
        staff = [
            (username, role)
            for username, role in (
                ("nurse", ShiftRole.NURSE),
                ("lead", ShiftRole.NURSE),
                ("prescriber", ShiftRole.PRESCRIBER),
            )
            if User.objects.filter(username=username).exists()
        ]
        recorder = User.objects.filter(username="lead").first()
        if recorder is None:
            return
        zone = timezone.get_default_timezone()
        first = today or timezone.localdate()
        now = timezone.now()
        for offset in range(DEMO_ROTA_DAYS):
            day = first + timedelta(days=offset)
            hours = DEMO_HOURS.get(day.weekday())
            if hours is None:
                continue
            starts = datetime.combine(day, hours[0], tzinfo=zone)
            ends = datetime.combine(day, hours[1], tzinfo=zone)
            for username, role in staff:
                user = User.objects.get(username=username)
                StaffShift.objects.get_or_create(
                    staff=user,
                    role=role,
                    starts_at=starts,
                    defaults={
                        "ends_at": ends,
                        "recorded_at": now,
                        "recorded_by": recorder,
                    },
                )
