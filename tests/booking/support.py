"""A small clinic to plan in: three rooms, weekdays 08:00-18:00, two nurses and a
prescriber on every open day for eight weeks from Monday 9 March 2026 (New York time).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.enums import ShiftRole
from ketamine_clinic.booking.models import ClinicHours, Room, SchedulingSettings, StaffShift

FIRST_DAY = date(2026, 3, 9)
ROTA_DAYS = 56


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.get_default_timezone())


def make_clinic(
    personas: dict[str, User], *, rooms: int = 3, nurses: int = 2, first_day: date = FIRST_DAY
) -> list[Room]:
    made = [Room.objects.create(name=f"Room {i + 1}", display_order=i) for i in range(rooms)]
    for weekday in range(5):
        ClinicHours.objects.create(weekday=weekday, opens_at=time(8), closes_at=time(18))
    SchedulingSettings.current()
    staff = [(personas["prescriber"], ShiftRole.PRESCRIBER)]
    staff += [(personas["nurse"], ShiftRole.NURSE), (personas["clinic_lead"], ShiftRole.NURSE)][
        :nurses
    ]
    shifts = []
    for offset in range(ROTA_DAYS):
        day = first_day + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for user, role in staff:
            shifts.append(
                StaffShift(
                    staff=user, role=role, starts_at=local(day, 8), ends_at=local(day, 18),
                    recorded_at=local(first_day, 7), recorded_by=personas["clinic_lead"],
                )
            )  # fmt: skip
    StaffShift.objects.bulk_create(shifts)
    return made
