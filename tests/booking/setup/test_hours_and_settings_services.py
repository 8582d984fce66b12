"""Opening hours on one form, and the planner's settings."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.booking.models import ClinicHours, SchedulingSettings
from ketamine_clinic.booking.setup import services
from tests.booking.setup.support import entries

pytestmark = pytest.mark.django_db

WEEKDAYS = {day: (time(8), time(18)) for day in range(5)}


def test_the_week_is_saved_in_one_go_and_a_blank_day_is_closed(
    personas: dict[str, User],
) -> None:
    ClinicHours.objects.create(weekday=6, opens_at=time(10), closes_at=time(12))
    saved = services.clinic_hours_set(
        hours={**WEEKDAYS, 5: (time(9), time(13)), 6: (None, None)}, by=personas["clinic_lead"]
    )
    assert saved["saturday"] == ["09:00", "13:00"]
    assert saved["sunday"] is None
    assert list(ClinicHours.objects.values_list("weekday", flat=True)) == [0, 1, 2, 3, 4, 5]
    [entry] = entries("clinic_hours")
    assert entry.action == AuditAction.UPDATE
    assert entry.detail["before"]["sunday"] == ["10:00", "12:00"]
    assert entry.detail["after"]["sunday"] is None


def test_closing_before_opening_names_the_weekday_field_and_saves_nothing(
    personas: dict[str, User],
) -> None:
    with pytest.raises(ValidationError) as refused:
        services.clinic_hours_set(
            hours={**WEEKDAYS, 2: (time(14), time(9)), 4: (time(8), None)},
            by=personas["administrator"],
        )
    assert refused.value.message_dict == {
        "wednesday_closes_at": [services.HOURS_CLOSE_BEFORE_OPEN],
        "friday_closes_at": [services.HOURS_HALF_GIVEN],
    }
    assert not ClinicHours.objects.exists()
    assert entries("clinic_hours") == []


@pytest.mark.parametrize("role", ["front_desk", "nurse", "prescriber", "custodian"])
def test_only_the_lead_and_the_administrator_set_hours(
    personas: dict[str, User], role: str
) -> None:
    with pytest.raises(PermissionDenied):
        services.clinic_hours_set(hours=WEEKDAYS, by=personas[role])
    assert not ClinicHours.objects.exists()


def test_settings_are_saved_with_who_and_audited(personas: dict[str, User]) -> None:
    lead = personas["clinic_lead"]
    services.scheduling_settings_update(
        max_infusing_rooms_per_nurse=3, start_step_minutes=30, start_within_days=21, by=lead
    )
    row = SchedulingSettings.current()
    assert (row.max_infusing_rooms_per_nurse, row.start_step_minutes, row.start_within_days) == (
        3,
        30,
        21,
    )
    assert row.updated_by == lead
    [entry] = entries("scheduling_settings")
    assert entry.detail["before"]["start_step_minutes"] == 15
    assert entry.detail["after"]["start_step_minutes"] == 30


def test_bad_settings_name_each_field_and_change_nothing(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as refused:
        services.scheduling_settings_update(
            max_infusing_rooms_per_nurse=0,
            start_step_minutes=25,
            start_within_days=0,
            by=personas["clinic_lead"],
        )
    assert refused.value.message_dict == {
        "max_infusing_rooms_per_nurse": [services.SETTINGS_ROOMS_RANGE],
        "start_step_minutes": [services.SETTINGS_STEP_INVALID],
        "start_within_days": [services.SETTINGS_WITHIN_RANGE],
    }
    assert SchedulingSettings.current().start_step_minutes == 15
    assert entries("scheduling_settings") == []


def test_a_nurse_cannot_change_the_settings(personas: dict[str, User]) -> None:
    with pytest.raises(PermissionDenied):
        services.scheduling_settings_update(
            max_infusing_rooms_per_nurse=4,
            start_step_minutes=15,
            start_within_days=14,
            by=personas["nurse"],
        )
    assert SchedulingSettings.current().max_infusing_rooms_per_nurse == 2
