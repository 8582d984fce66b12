"""Rooms: added last, renamed, reordered, taken out of use (never while visits are booked)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.booking.models import Room
from ketamine_clinic.booking.setup import services
from ketamine_clinic.visits.services import visit_schedule
from tests.booking.setup.support import entries, frozen
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db


def _update(room: Room, by: User, **changes: object) -> Room:
    values: dict[str, object] = {
        "name": room.name,
        "display_order": room.display_order,
        "in_use": room.in_use,
        "notes": room.notes,
    }
    values.update(changes)
    return services.room_update(room=room, by=by, **values)  # type: ignore[arg-type]


def test_a_new_room_goes_after_the_others_and_is_audited(personas: dict[str, User]) -> None:
    lead = personas["clinic_lead"]
    first = services.room_add(name=" Room 1 ", by=lead)
    second = services.room_add(name="Room 2", notes="By the window", by=personas["administrator"])
    assert (first.name, first.display_order, first.in_use) == ("Room 1", 0, True)
    assert (second.display_order, second.notes) == (1, "By the window")
    [created, _] = entries("room")
    assert created.action == AuditAction.CREATE
    assert created.detail["after"]["name"] == "Room 1"


def test_a_taken_name_is_refused_whatever_its_case_and_nothing_is_written(
    personas: dict[str, User],
) -> None:
    services.room_add(name="Room 1", by=personas["clinic_lead"])
    with pytest.raises(ValidationError) as refused:
        services.room_add(name="room 1", by=personas["clinic_lead"])
    assert refused.value.message_dict == {"name": [services.ROOM_NAME_TAKEN.format(name="room 1")]}
    assert Room.objects.count() == 1
    assert len(entries("room")) == 1


def test_a_blank_name_is_refused(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as refused:
        services.room_add(name="   ", by=personas["clinic_lead"])
    assert refused.value.message_dict == {"name": [services.ROOM_NAME_REQUIRED]}


@pytest.mark.parametrize("role", ["front_desk", "nurse", "prescriber", "custodian", "no_role"])
def test_only_the_lead_and_the_administrator_change_rooms(
    personas: dict[str, User], role: str
) -> None:
    room = services.room_add(name="Room 1", by=personas["clinic_lead"])
    with pytest.raises(PermissionDenied):
        services.room_add(name="Room 9", by=personas[role])
    with pytest.raises(PermissionDenied):
        _update(room, personas[role], name="Renamed")
    assert list(Room.objects.values_list("name", flat=True)) == ["Room 1"]


def test_a_rename_and_a_new_position_are_audited_with_before_and_after(
    personas: dict[str, User],
) -> None:
    room = services.room_add(name="Room 1", by=personas["clinic_lead"])
    _update(room, personas["clinic_lead"], name="Quiet room", display_order=5)
    room.refresh_from_db()
    assert (room.name, room.display_order) == ("Quiet room", 5)
    update = entries("room")[-1]
    assert update.action == AuditAction.UPDATE
    assert update.detail["before"]["name"] == "Room 1"
    assert update.detail["after"] == {
        "name": "Quiet room",
        "display_order": 5,
        "in_use": True,
        "notes": "",
    }


def test_saving_without_a_change_writes_no_audit_entry(personas: dict[str, User]) -> None:
    room = services.room_add(name="Room 1", by=personas["clinic_lead"])
    _update(room, personas["clinic_lead"])
    assert len(entries("room")) == 1


def test_a_room_with_booked_visits_cannot_be_taken_out_of_use(personas: dict[str, User]) -> None:
    lead = personas["clinic_lead"]
    room = services.room_add(name="Room 1", by=lead)
    patient = make_patient()
    with frozen():
        for day in (9, 3):  # 10:00 EDT on Wed 3 and Tue 9 June
            visit_schedule(
                patient=patient,
                scheduled_start=datetime(2026, 6, day, 14, tzinfo=UTC),
                room=room,
                by=personas["front_desk"],
            )
        with pytest.raises(ValidationError) as refused:
            _update(room, lead, in_use=False, name="Renamed too")
    message = refused.value.message_dict["in_use"][0]
    assert message.startswith("2 visits still booked in this room, the first on Wed 03 Jun 2026")
    room.refresh_from_db()
    assert (room.in_use, room.name) == (True, "Room 1")


def test_a_room_whose_visits_are_past_can_be_taken_out_of_use(personas: dict[str, User]) -> None:
    lead = personas["clinic_lead"]
    room = services.room_add(name="Room 1", by=lead)
    with frozen(datetime(2026, 5, 1, 12, tzinfo=UTC)):
        visit_schedule(
            patient=make_patient(),
            scheduled_start=datetime(2026, 5, 20, 14, tzinfo=UTC),
            room=room,
            by=personas["front_desk"],
        )
    with frozen():
        _update(room, lead, in_use=False)
    room.refresh_from_db()
    assert room.in_use is False
    assert entries("room")[-1].detail["after"]["in_use"] is False
