"""Per-patient alarm limits: a prescriber's adjustment with its reason, refused outside
sane bounds with the field, audited, and used by the alarm engine for that patient."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.alarms.enums import Priority, Side
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.devices import mdc
from ketamine_clinic.monitoring.alarm_limits import alarm_limit_adjust, patient_limits
from ketamine_clinic.monitoring.models import Alarm, AlarmLimitAdjustment
from tests.monitoring.support import T0, room_with_monitor, visit_in_room
from tests.monitoring.test_alarm_runtime import Clock, feed, make_runtime

pytestmark = pytest.mark.django_db
SPO2 = mdc.SPO2.code


def _spo2_medium_low(limits: object) -> Decimal | None:
    for rule in limits.rules:  # type: ignore[attr-defined]
        if rule.parameter.code == SPO2 and rule.priority == Priority.MEDIUM:
            return rule.threshold(Side.LOW)  # type: ignore[no-any-return]
    return None


def test_an_adjustment_applies_to_that_patient_only(personas: dict[str, User]) -> None:
    room = room_with_monitor()
    visit = visit_in_room(room, personas["nurse"], checked_in=T0)
    other = visit_in_room(room_with_monitor("Room 4", "00A0C9FFFE000004"), personas["nurse"],
                          checked_in=T0)  # fmt: skip
    assert _spo2_medium_low(patient_limits(visit.patient_id)) == Decimal(90)
    alarm_limit_adjust(
        patient=visit.patient,
        by=personas["prescriber"],
        parameter_code=SPO2,
        priority="medium",
        side="low",
        limit="88",
        reason="COPD: resting SpO2 89-91 % (pulmonologist's letter)",
    )
    assert _spo2_medium_low(patient_limits(visit.patient_id)) == Decimal(88)
    assert _spo2_medium_low(patient_limits(other.patient_id)) == Decimal(90)
    entry = AuditEntry.objects.get(object_type="alarm_limit_adjustment")
    assert entry.patient_id == str(visit.patient_id)
    assert entry.detail["limit"] == "88.00"


@pytest.mark.parametrize(
    ("limit", "reason", "field"),
    [
        ("70", "Too low for anyone", "limit"),  # below the sane bound for SpO2
        ("84", "Crosses the high-priority tier", "limit"),
        ("88", "   ", "reason"),
        ("eighty", "Not a number", "limit"),
    ],
)
def test_a_bad_adjustment_names_the_field_and_changes_nothing(
    personas: dict[str, User], limit: str, reason: str, field: str
) -> None:
    visit = visit_in_room(room_with_monitor(), personas["nurse"], checked_in=T0)
    with pytest.raises(ValidationError) as refused:
        alarm_limit_adjust(
            patient=visit.patient,
            by=personas["prescriber"],
            parameter_code=SPO2,
            priority="medium",
            side="low",
            limit=limit,
            reason=reason,
        )
    assert list(refused.value.message_dict) == [field]
    assert not AlarmLimitAdjustment.objects.exists()


def test_only_a_prescriber_adjusts(personas: dict[str, User]) -> None:
    visit = visit_in_room(room_with_monitor(), personas["nurse"], checked_in=T0)
    for role in ("nurse", "clinic_lead", "front_desk", "administrator"):
        with pytest.raises(PermissionDenied):
            alarm_limit_adjust(
                patient=visit.patient, by=personas[role], parameter_code=SPO2,
                priority="medium", side="low", limit="88", reason="x",
            )  # fmt: skip


def test_the_engine_uses_the_patients_limits_once_adjusted(personas: dict[str, User]) -> None:
    room = room_with_monitor()
    visit = visit_in_room(room, personas["nurse"], checked_in=T0 - timedelta(minutes=30))
    clock = Clock(T0)
    runtime = make_runtime(room, clock, InMemoryChannelLayer())

    async def before() -> None:
        await runtime.refresh_rooms()
        await feed(runtime, clock, "89", 30)  # below the clinic's 90 for 30 s: alarms

    async def after() -> None:
        await runtime.refresh_rooms()  # picks up the adjustment for the monitored room
        await feed(runtime, clock, "97", 3)
        await runtime.respond(
            {"command": "acknowledge", "alarm_id": first.alarm_id, "by_id": personas["nurse"].pk}
        )
        await feed(runtime, clock, "89", 30)  # 89 is now inside this patient's 88

    async_to_sync(before)()
    first = Alarm.objects.get(kind="physiological")  # (the SpO2 < 92 advisory is there too)
    assert first.priority == "medium"
    alarm_limit_adjust(
        patient=visit.patient, by=personas["prescriber"], parameter_code=SPO2,
        priority="medium", side="low", limit="88", reason="COPD baseline",
    )  # fmt: skip
    async_to_sync(after)()
    assert Alarm.objects.filter(kind="physiological").count() == 1  # no second alarm at 89
