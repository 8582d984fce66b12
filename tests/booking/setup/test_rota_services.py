"""The rota: adding, removing and copying shifts, and the week's gaps in cover."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.booking.enums import ShiftRole
from ketamine_clinic.booking.models import ClinicHours, StaffShift
from ketamine_clinic.booking.setup import selectors, services
from tests.booking.setup.support import MONDAY, entries, frozen
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

TUESDAY = MONDAY + timedelta(days=1)


def _add(by: User, staff: User, role: ShiftRole = ShiftRole.NURSE, **kw: object) -> StaffShift:
    values: dict[str, object] = {"day": TUESDAY, "starts": time(8), "ends": time(18)}
    values.update(kw)
    with frozen():
        return services.shift_add(staff=staff, role=role, by=by, **values)  # type: ignore[arg-type]


def test_a_shift_is_stored_in_clinic_local_time_and_audited(personas: dict[str, User]) -> None:
    shift = _add(personas["clinic_lead"], personas["nurse"])
    # 08:00 EDT is 12:00 UTC in June.
    assert shift.starts_at == datetime(2026, 6, 2, 12, tzinfo=UTC)
    assert timezone.localtime(shift.ends_at).time() == time(18)
    [entry] = entries("staff_shift")
    assert entry.action == AuditAction.CREATE
    assert entry.detail["after"]["staff"] == "p_nurse"


def test_the_person_must_hold_the_role_of_the_shift(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as refused:
        _add(personas["clinic_lead"], personas["nurse"], ShiftRole.PRESCRIBER)
    assert refused.value.message_dict == {
        "staff": [
            services.SHIFT_STAFF_WRONG_ROLE.format(
                name=personas["nurse"].display_name, role="Prescriber"
            )
        ]
    }
    assert not StaffShift.objects.exists()


def test_a_deactivated_person_is_refused(personas: dict[str, User]) -> None:
    gone = make_staff("gone_nurse", Role.NURSE)
    gone.is_active = False
    gone.save()
    with pytest.raises(ValidationError) as refused:
        _add(personas["clinic_lead"], gone)
    assert refused.value.message_dict == {"staff": [services.SHIFT_STAFF_INACTIVE]}


def test_a_shift_ending_before_it_starts_is_refused(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as refused:
        _add(personas["clinic_lead"], personas["nurse"], starts=time(14), ends=time(9))
    assert refused.value.message_dict == {"ends_at": [services.SHIFT_ENDS_BEFORE_START]}


def test_a_shift_in_the_past_is_refused(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as refused:
        _add(personas["clinic_lead"], personas["nurse"], day=MONDAY - timedelta(days=1))
    assert refused.value.message_dict == {"day": [services.SHIFT_IN_PAST]}


def test_overlapping_shifts_of_one_person_are_refused_whatever_the_role(
    personas: dict[str, User],
) -> None:
    both = make_staff("both_roles", Role.NURSE, Role.PRESCRIBER)
    _add(personas["clinic_lead"], both, starts=time(8), ends=time(13))
    with pytest.raises(ValidationError) as refused:
        _add(personas["clinic_lead"], both, ShiftRole.PRESCRIBER, starts=time(12), ends=time(18))
    assert "already on the rota from 08:00 to 13:00" in refused.value.message_dict["starts_at"][0]
    # Back to back is fine.
    _add(personas["clinic_lead"], both, ShiftRole.PRESCRIBER, starts=time(13), ends=time(18))
    assert StaffShift.objects.count() == 2


@pytest.mark.parametrize("role", ["administrator", "front_desk", "nurse", "prescriber"])
def test_only_the_clinic_lead_plans_the_rota(personas: dict[str, User], role: str) -> None:
    with pytest.raises(PermissionDenied):
        _add(personas[role], personas["nurse"])
    shift = _add(personas["clinic_lead"], personas["nurse"])
    with frozen(), pytest.raises(PermissionDenied):
        services.shift_remove(shift=shift, reason="Sick", by=personas[role])
    with frozen(), pytest.raises(PermissionDenied):
        services.rota_copy_week(week_of=MONDAY, by=personas[role])
    assert StaffShift.objects.count() == 1


def test_removing_a_future_shift_keeps_the_reason_in_the_audit_trail(
    personas: dict[str, User],
) -> None:
    shift = _add(personas["clinic_lead"], personas["nurse"])
    with frozen():
        services.shift_remove(shift=shift, reason=" Annual leave ", by=personas["clinic_lead"])
    assert not StaffShift.objects.exists()
    removal = entries("staff_shift")[-1]
    assert removal.action == AuditAction.DELETE
    assert removal.reason == "Annual leave"
    assert removal.object_id == str(shift.pk)
    assert removal.detail["removed"] is True
    assert removal.detail["before"]["starts_at"].startswith("2026-06-02T08:00")


def test_a_removal_needs_a_reason(personas: dict[str, User]) -> None:
    shift = _add(personas["clinic_lead"], personas["nurse"])
    with frozen(), pytest.raises(ValidationError) as refused:
        services.shift_remove(shift=shift, reason="  ", by=personas["clinic_lead"])
    assert refused.value.message_dict == {"reason": [services.SHIFT_REASON_REQUIRED]}
    assert StaffShift.objects.count() == 1


def test_a_shift_that_has_started_cannot_be_removed(personas: dict[str, User]) -> None:
    shift = _add(personas["clinic_lead"], personas["nurse"])
    with (
        frozen(datetime(2026, 6, 2, 13, tzinfo=UTC)),
        pytest.raises(ValidationError) as refused,
    ):
        services.shift_remove(shift=shift, reason="Went home", by=personas["clinic_lead"])
    assert refused.value.messages == [services.SHIFT_STARTED]
    assert StaffShift.objects.count() == 1


def test_copying_a_week_skips_the_shifts_already_there(personas: dict[str, User]) -> None:
    lead = personas["clinic_lead"]
    _add(lead, personas["nurse"])
    _add(lead, personas["prescriber"], ShiftRole.PRESCRIBER, day=TUESDAY + timedelta(days=2))
    with frozen():
        assert services.rota_copy_week(week_of=TUESDAY, by=lead) == (2, 0)
        assert services.rota_copy_week(week_of=MONDAY, by=lead) == (0, 2)
    copies = StaffShift.objects.filter(starts_at__gte=datetime(2026, 6, 8, tzinfo=UTC))
    assert [timezone.localtime(s.starts_at).strftime("%a %d %H:%M") for s in copies] == [
        "Tue 09 08:00",
        "Thu 11 08:00",
    ]
    [entry] = [e for e in entries("staff_shift") if "copied_from_week" in e.detail]
    assert entry.detail["to_week"] == "2026-06-08"


def test_a_copy_keeps_the_wall_clock_across_a_clock_change(personas: dict[str, User]) -> None:
    # Daylight saving ends on Sunday 1 November 2026: a Friday 08:00 shift stays 08:00.
    lead = personas["clinic_lead"]
    with frozen(datetime(2026, 10, 26, 12, tzinfo=UTC)):
        services.shift_add(
            staff=personas["nurse"],
            role=ShiftRole.NURSE,
            day=date(2026, 10, 30),
            starts=time(8),
            ends=time(16),
            by=lead,
        )
        services.rota_copy_week(week_of=date(2026, 10, 26), by=lead)
    copy = StaffShift.objects.order_by("starts_at").last()
    assert copy is not None
    assert timezone.localtime(copy.starts_at).strftime("%Y-%m-%d %H:%M") == "2026-11-06 08:00"
    assert copy.starts_at == datetime(2026, 11, 6, 13, tzinfo=UTC)


def test_the_week_names_each_gap_in_cover_during_opening_hours(
    personas: dict[str, User],
) -> None:
    ClinicHours.objects.create(weekday=1, opens_at=time(8), closes_at=time(18))
    ClinicHours.objects.create(weekday=2, opens_at=time(8), closes_at=time(18))
    lead = personas["clinic_lead"]
    _add(lead, personas["nurse"])
    _add(lead, personas["prescriber"], ShiftRole.PRESCRIBER, starts=time(8), ends=time(12))
    week = selectors.rota_week(day=TUESDAY, today=MONDAY)
    tuesday, wednesday = week.days[1], week.days[2]
    assert [(g.role, g.starts, g.ends, g.whole_day) for g in tuesday.gaps] == [
        (ShiftRole.PRESCRIBER, time(12), time(18), False)
    ]
    assert [(g.role, g.whole_day) for g in wednesday.gaps] == [
        (ShiftRole.PRESCRIBER, True),
        (ShiftRole.NURSE, True),
    ]
    assert week.days[0].gaps == []  # closed on Monday
    assert week.gap_count == 3
