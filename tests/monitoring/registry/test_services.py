"""Registering devices and changing where they are: every refusal names its field and
writes nothing; one monitor and one pump in use per room; every change audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.monitoring.models import Device, DeviceMessage, NumericSet
from ketamine_clinic.monitoring.registry import services
from tests.monitoring.registry.support import (
    PUMP,
    SPARE_MONITOR,
    device_entries,
    edit,
    register,
    room,
    store,
)
from tests.monitoring.support import MONITOR, T0, visit_in_room, vitals_message

pytestmark = pytest.mark.django_db


def _refusal(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


# ---- registering ------------------------------------------------------------------------


def test_a_registration_normalises_the_eui64_and_is_audited(personas: dict[str, User]) -> None:
    admin = personas["administrator"]
    room_3 = room("Room 3")
    device = register(
        admin, "00:a0:c9:ff:fe:00:00:03", model=" Acme VS-900 ", label="Monitor 3", room=room_3
    )
    assert (device.eui64, device.model, device.label, device.room, device.in_use) == (
        MONITOR,
        "Acme VS-900",
        "Monitor 3",
        room_3,
        True,
    )
    assert device.registered_by == admin
    [entry] = device_entries()
    assert entry.action == AuditAction.CREATE
    assert entry.object_id == str(device.pk)
    assert entry.detail == {
        "after": {
            "eui64": MONITOR,
            "kind": "monitor",
            "model": "Acme VS-900",
            "label": "Monitor 3",
            "room_id": room_3.pk,
            "room": "Room 3",
            "program_endpoint": "",
            "in_use": True,
        }
    }


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", services.EUI64_REQUIRED),
        (" : ", services.EUI64_REQUIRED),
        ("00A0C9FFFE00003", services.EUI64_INVALID.format(value="00A0C9FFFE00003")),
        ("00A0C9FFFE0000033", services.EUI64_INVALID.format(value="00A0C9FFFE0000033")),
        ("00A0C9FFFE00000G", services.EUI64_INVALID.format(value="00A0C9FFFE00000G")),
        ("Monitor 3", services.EUI64_INVALID.format(value="Monitor 3")),
    ],
)
def test_an_eui64_that_is_not_16_hex_digits_is_refused_and_nothing_is_written(
    personas: dict[str, User], typed: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        register(personas["administrator"], typed)
    assert _refusal(refused) == {"eui64": [message]}
    assert not Device.objects.exists()
    assert device_entries() == []


@given(
    digits=st.text(alphabet="0123456789abcdefABCDEF", min_size=16, max_size=16),
    separator=st.sampled_from(["", ":", "-", " "]),
)
def test_any_16_hex_digits_normalise_to_upper_case_whatever_the_separators(
    digits: str, separator: str
) -> None:
    typed = separator.join(digits[i : i + 2] for i in range(0, 16, 2))
    assert services.normalise_eui64(typed) == digits.upper()


def test_an_eui64_already_registered_is_refused_whatever_its_case(
    personas: dict[str, User],
) -> None:
    admin = personas["administrator"]
    first = register(admin, MONITOR, label="Monitor 3")
    with pytest.raises(ValidationError) as refused:
        register(admin, MONITOR.lower(), model="Other")
    assert _refusal(refused) == {
        "eui64": [services.EUI64_TAKEN.format(eui64=MONITOR, device="Monitor 3")]
    }
    assert list(Device.objects.all()) == [first]


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"kind": "ventilator"}, "kind", services.KIND_INVALID),
        ({"model": "   "}, "model", services.MODEL_REQUIRED),
        ({"model": "M" * 81}, "model", services.MODEL_TOO_LONG),
        ({"label": "L" * 41}, "label", services.LABEL_TOO_LONG),
    ],
)
def test_a_bad_kind_model_or_label_is_refused_naming_its_field(
    personas: dict[str, User], values: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        register(personas["clinic_lead"], MONITOR, **values)
    assert _refusal(refused) == {field: [message]}
    assert not Device.objects.exists()
    assert device_entries() == []


@pytest.mark.parametrize("role", ["front_desk", "nurse", "prescriber", "custodian", "no_role"])
def test_only_an_administrator_or_the_lead_registers_or_edits(
    personas: dict[str, User], role: str
) -> None:
    device = register(personas["clinic_lead"], MONITOR)
    with pytest.raises(PermissionDenied):
        register(personas[role], SPARE_MONITOR)
    with pytest.raises(PermissionDenied):
        edit(device, personas[role], label="Moved")
    assert list(Device.objects.values_list("eui64", "label")) == [(MONITOR, "")]
    assert len(device_entries()) == 1


# ---- the program endpoint ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("10.20.0.31:5300", "10.20.0.31:5300"),
        (" pump-3.clinic.lan:05300 ", "pump-3.clinic.lan:5300"),
        ("[fe80::1]:1", "[fe80::1]:1"),
        ("localhost:65535", "localhost:65535"),
    ],
)
def test_a_pump_endpoint_is_host_and_port(
    personas: dict[str, User], typed: str, stored: str
) -> None:
    pump = register(personas["administrator"], PUMP, "pump", program_endpoint=typed)
    assert pump.program_endpoint == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("10.20.0.31", services.ENDPOINT_INVALID),
        (":5300", services.ENDPOINT_INVALID),
        ("pump_3:5300", services.ENDPOINT_INVALID),
        ("10.20.0:5300", services.ENDPOINT_INVALID),
        ("-pump:5300", services.ENDPOINT_INVALID),
        ("[not-v6]:5300", services.ENDPOINT_INVALID),
        ("pump 3:5300", services.ENDPOINT_INVALID),
        ("pump:0", services.ENDPOINT_PORT_RANGE),
        ("pump:65536", services.ENDPOINT_PORT_RANGE),
        ("pump:", services.ENDPOINT_PORT_RANGE),
        ("pump:53a", services.ENDPOINT_PORT_RANGE),
        ("pump:-1", services.ENDPOINT_PORT_RANGE),
        ("p" * 76 + ":5300", services.ENDPOINT_TOO_LONG),
    ],
)
def test_a_bad_pump_endpoint_is_refused_naming_the_field(
    personas: dict[str, User], typed: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        register(personas["administrator"], PUMP, "pump", program_endpoint=typed)
    assert _refusal(refused) == {"program_endpoint": [message]}
    assert not Device.objects.exists()


@given(port=st.integers(min_value=-10, max_value=200_000))
def test_a_port_is_accepted_exactly_from_1_to_65535(port: int) -> None:
    text = f"pump-1.clinic.lan:{port}"
    if 1 <= port <= 65535:
        assert services.validate_endpoint(text, kind="pump") == text
    else:
        with pytest.raises(ValidationError) as refused:
            services.validate_endpoint(text, kind="pump")
        assert _refusal(refused) == {"program_endpoint": [services.ENDPOINT_PORT_RANGE]}


def test_a_monitor_takes_no_endpoint(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as refused:
        register(personas["administrator"], MONITOR, program_endpoint="10.20.0.31:5300")
    assert _refusal(refused) == {"program_endpoint": [services.ENDPOINT_PUMPS_ONLY]}


# ---- one monitor and one pump per room ---------------------------------------------------


def test_a_room_holds_one_monitor_and_one_pump_in_use(personas: dict[str, User]) -> None:
    admin = personas["administrator"]
    room_3 = room("Room 3")
    register(admin, MONITOR, room=room_3, label="Monitor 3")
    register(admin, PUMP, "pump", room=room_3)
    with pytest.raises(ValidationError) as second_monitor:
        register(admin, SPARE_MONITOR, room=room_3)
    assert _refusal(second_monitor) == {
        "room": [services.ROOM_HAS_MONITOR.format(room="Room 3", device=f"Monitor 3 · {MONITOR}")]
    }
    with pytest.raises(ValidationError) as second_pump:
        register(admin, "00A0C9FFFE00AB02", "pump", room=room_3)
    assert _refusal(second_pump) == {
        "room": [services.ROOM_HAS_PUMP.format(room="Room 3", device=PUMP)]
    }
    assert Device.objects.count() == 2
    # A spare out of use may sit in the room.
    spare = register(admin, SPARE_MONITOR, room=room_3, in_use=False)
    assert spare.room == room_3


def test_moving_a_monitor_into_a_room_with_one_is_refused_and_changes_nothing(
    personas: dict[str, User],
) -> None:
    lead = personas["clinic_lead"]
    room_3, room_4 = room("Room 3", 3), room("Room 4", 4)
    register(lead, MONITOR, room=room_3)
    other = register(lead, SPARE_MONITOR, room=room_4, label="Monitor 4")
    with pytest.raises(ValidationError) as refused:
        edit(other, lead, room=room_3, label="Renamed")
    assert _refusal(refused) == {
        "room": [services.ROOM_HAS_MONITOR.format(room="Room 3", device=MONITOR)]
    }
    other.refresh_from_db()
    assert (other.room, other.label) == (room_4, "Monitor 4")
    assert len(device_entries()) == 2  # the two registrations only


def test_a_spare_takes_over_once_the_first_monitor_is_out_of_use(
    personas: dict[str, User],
) -> None:
    lead = personas["clinic_lead"]
    room_3 = room("Room 3")
    first = register(lead, MONITOR, room=room_3)
    spare = register(lead, SPARE_MONITOR, room=room_3, in_use=False)
    with pytest.raises(ValidationError):
        edit(spare, lead, in_use=True)
    edit(first, lead, in_use=False)
    edit(spare, lead, in_use=True)
    assert list(
        Device.objects.filter(room=room_3, in_use=True).values_list("eui64", flat=True)
    ) == [SPARE_MONITOR]


def test_editing_a_device_in_its_own_room_does_not_count_it_twice(
    personas: dict[str, User],
) -> None:
    room_3 = room("Room 3")
    device = register(personas["administrator"], MONITOR, room=room_3)
    edit(device, personas["administrator"], label="Monitor 3")
    device.refresh_from_db()
    assert (device.room, device.label) == (room_3, "Monitor 3")


def test_a_room_out_of_use_takes_no_device_but_one_already_there_can_be_edited(
    personas: dict[str, User],
) -> None:
    admin = personas["administrator"]
    closed = room("Old room", in_use=False)
    with pytest.raises(ValidationError) as refused:
        register(admin, MONITOR, room=closed)
    assert _refusal(refused) == {"room": [services.ROOM_OUT_OF_USE.format(room="Old room")]}
    room_3 = room("Room 3")
    device = register(admin, MONITOR, room=room_3)
    room_3.in_use = False
    room_3.save()
    edit(device, admin, label="Still here")
    device.refresh_from_db()
    assert device.label == "Still here"


# ---- editing ----------------------------------------------------------------------------


def test_an_edit_is_audited_with_before_and_after(personas: dict[str, User]) -> None:
    admin = personas["administrator"]
    room_3, room_4 = room("Room 3", 3), room("Room 4", 4)
    pump = register(admin, PUMP, "pump", room=room_3, program_endpoint="10.20.0.31:5300")
    edit(pump, admin, room=room_4, program_endpoint="10.20.0.41:5300", model="Acme SP-3")
    update = device_entries()[-1]
    assert update.action == AuditAction.UPDATE
    assert update.detail["before"]["room"] == "Room 3"
    assert update.detail["before"]["program_endpoint"] == "10.20.0.31:5300"
    assert update.detail["after"] == {
        "eui64": PUMP,
        "kind": "pump",
        "model": "Acme SP-3",
        "label": "",
        "room_id": room_4.pk,
        "room": "Room 4",
        "program_endpoint": "10.20.0.41:5300",
        "in_use": True,
    }


def test_an_edit_that_changes_nothing_writes_no_audit_entry(personas: dict[str, User]) -> None:
    device = register(personas["administrator"], MONITOR)
    edit(device, personas["administrator"])
    assert [e.action for e in device_entries()] == [AuditAction.CREATE]


def test_a_refused_edit_changes_nothing(personas: dict[str, User]) -> None:
    admin = personas["administrator"]
    device = register(admin, MONITOR, label="Monitor 3")
    with pytest.raises(ValidationError) as refused:
        edit(device, admin, label="New label", program_endpoint="10.0.0.1:5300")
    assert _refusal(refused) == {"program_endpoint": [services.ENDPOINT_PUMPS_ONLY]}
    device.refresh_from_db()
    assert device.label == "Monitor 3"
    assert len(device_entries()) == 1


# ---- what a registration changes: data stored afterwards only ----------------------------


def test_registering_places_later_data_and_leaves_earlier_data_unassigned(
    personas: dict[str, User],
) -> None:
    room_3 = room("Room 3")
    visit = visit_in_room(room_3, personas["nurse"], checked_in=T0 - timedelta(minutes=30))
    store(vitals_message("before", T0))
    register(personas["administrator"], MONITOR, room=room_3)
    store(vitals_message("after", T0 + timedelta(minutes=1)))
    placed = dict(DeviceMessage.objects.values_list("control_id", "visit_id"))
    assert placed == {"before": None, "after": visit.pk}
    assert set(
        NumericSet.objects.filter(message__control_id="before").values_list("visit_id", flat=True)
    ) == {None}
