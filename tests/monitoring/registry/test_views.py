"""The registry pages over HTTP: who may open them, the register and edit forms (a refusal
shown next to its field, 422, nothing written), the unassigned page's "Register this
device", and device-sent text kept as text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.monitoring.models import Device
from ketamine_clinic.monitoring.registry import services
from tests.conftest import client_for
from tests.monitoring.registry.support import PUMP, pump_event_message, register, room, store
from tests.monitoring.support import MONITOR, T0, vitals_message

pytestmark = pytest.mark.django_db

HOSTILE = "<img src=x onerror=alert(1)>"
ALLOWED = {"administrator", "clinic_lead"}
PAGES = ["devices:list", "devices:unassigned", "devices:edit"]


def _url(name: str, device: Device) -> str:
    return reverse(name, args=[device.pk]) if name == "devices:edit" else reverse(name)


@pytest.mark.parametrize("page", PAGES)
def test_only_the_administrator_and_the_lead_open_the_pages(
    personas: dict[str, User], page: str
) -> None:
    device = register(personas["administrator"], MONITOR)
    for role, user in personas.items():
        status = client_for(user).get(_url(page, device)).status_code
        assert status == (200 if role in ALLOWED else 403), role
    anonymous = Client().get(_url(page, device))
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:sign_in"))


@pytest.mark.parametrize("role", ["front_desk", "nurse", "prescriber", "custodian", "no_role"])
def test_other_roles_cannot_register_by_posting(personas: dict[str, User], role: str) -> None:
    response = client_for(personas[role]).post(
        reverse("devices:register"), {"eui64": MONITOR, "kind": "monitor", "model": "X"}
    )
    assert response.status_code == 403
    assert not Device.objects.exists()


def test_the_menu_offers_devices_to_those_who_may_open_them(personas: dict[str, User]) -> None:
    link = f'href="{reverse("devices:list")}"'
    assert link in client_for(personas["administrator"]).get("/").content.decode()
    assert link not in client_for(personas["nurse"]).get("/").content.decode()


def test_the_administrator_registers_a_device_in_a_room(personas: dict[str, User]) -> None:
    room_3 = room("Room 3")
    client = client_for(personas["administrator"])
    response = client.post(
        reverse("devices:register"),
        {
            "eui64": "00-a0-c9-ff-fe-00-00-03",
            "kind": "monitor",
            "model": "Acme VS-900",
            "label": "Monitor 3",
            "room": room_3.pk,
            "in_use": "on",
        },
        follow=True,
    )
    assert response.redirect_chain == [(reverse("devices:list"), 302)]
    assert f"{MONITOR} registered in Room 3" in response.content.decode()
    device = Device.objects.get()
    assert (device.eui64, device.room, device.in_use) == (MONITOR, room_3, True)


def test_a_refused_registration_is_shown_on_its_field_and_writes_nothing(
    personas: dict[str, User],
) -> None:
    room_3 = room("Room 3")
    register(personas["administrator"], MONITOR, room=room_3)
    response = client_for(personas["clinic_lead"]).post(
        reverse("devices:register"),
        {"eui64": "00A0C9FFFE0000F1", "kind": "monitor", "model": "Acme", "room": room_3.pk,
         "in_use": "on"},
    )  # fmt: skip
    assert response.status_code == 422
    assert response.context["form"].errors == {
        "room": [services.ROOM_HAS_MONITOR.format(room="Room 3", device=MONITOR)]
    }
    assert Device.objects.count() == 1
    bad = client_for(personas["clinic_lead"]).post(
        reverse("devices:register"), {"eui64": "12345", "kind": "monitor", "model": "Acme"}
    )
    assert bad.status_code == 422
    assert bad.context["form"].errors == {"eui64": [services.EUI64_INVALID.format(value="12345")]}


def test_the_edit_page_moves_a_pump_and_sets_its_endpoint(personas: dict[str, User]) -> None:
    room_3, room_4 = room("Room 3", 3), room("Room 4", 4)
    pump = register(personas["administrator"], PUMP, "pump", room=room_3)
    client = client_for(personas["administrator"])
    page = client.get(reverse("devices:edit", args=[pump.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial["room"] == room_3
    response = client.post(
        reverse("devices:edit", args=[pump.pk]),
        {"model": "Acme SP-2", "room": room_4.pk, "program_endpoint": "10.20.0.41:5300",
         "in_use": "on"},
    )  # fmt: skip
    assert response.status_code == 302
    pump.refresh_from_db()
    assert (pump.room, pump.program_endpoint) == (room_4, "10.20.0.41:5300")
    refused = client.post(
        reverse("devices:edit", args=[pump.pk]),
        {"model": "Acme SP-2", "room": room_4.pk, "program_endpoint": "10.20.0.41:99999"},
    )
    assert refused.status_code == 422
    assert refused.context["form"].errors == {"program_endpoint": [services.ENDPOINT_PORT_RANGE]}
    pump.refresh_from_db()
    assert (pump.program_endpoint, pump.in_use) == ("10.20.0.41:5300", True)


def test_an_unknown_device_is_not_found(personas: dict[str, User]) -> None:
    response = client_for(personas["administrator"]).get(reverse("devices:edit", args=[999]))
    assert response.status_code == 404


def test_the_list_shows_each_device_with_its_last_message(personas: dict[str, User]) -> None:
    room_3 = room("Room 3")
    register(personas["administrator"], MONITOR, room=room_3, model=HOSTILE, label=HOSTILE)
    store(vitals_message("m1", T0))
    page = client_for(personas["clinic_lead"]).get(reverse("devices:list")).content.decode()
    assert MONITOR in page
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "No pump in use" in page
    assert "data already stored keeps the room and visit it was placed in" in page


def test_the_unassigned_page_offers_to_register_an_unknown_device(
    personas: dict[str, User],
) -> None:
    hostile_sender = vitals_message("h1", T0).replace("|Monitor^", f"|{HOSTILE}^", 1)
    store(hostile_sender, pump_event_message("p1", T0 + timedelta(seconds=5)))
    client = client_for(personas["administrator"])
    page = client.get(reverse("devices:unassigned")).content.decode()
    assert HOSTILE not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    offer = f"{reverse('devices:list')}?eui64={MONITOR}&amp;kind=monitor#register"
    assert offer in page
    assert f"{reverse('devices:list')}?eui64={PUMP}&amp;kind=pump#register" in page
    prefilled = client.get(reverse("devices:list"), {"eui64": PUMP, "kind": "pump"})
    form = prefilled.context["form"]
    assert (form.initial["eui64"], form.initial["kind"]) == (PUMP, "pump")
    assert f'value="{PUMP}"' in prefilled.content.decode()


def test_a_registered_device_on_the_unassigned_page_links_to_its_registration(
    personas: dict[str, User],
) -> None:
    device = register(personas["administrator"], MONITOR, room=room("Room 3"))
    store(vitals_message("m1", T0))  # Room 3 has no visit running
    page = client_for(personas["administrator"]).get(reverse("devices:unassigned"))
    text = page.content.decode()
    assert reverse("devices:edit", args=[device.pk]) in text
    assert "1 in a room with no visit running" in text
    assert "Register this device" not in text


def test_a_monitors_edit_page_asks_for_no_program_address(personas: dict[str, User]) -> None:
    room_3 = room("Room 3")
    monitor = register(personas["administrator"], MONITOR, room=room_3)
    client = client_for(personas["administrator"])
    page = client.get(reverse("devices:edit", args=[monitor.pk]))
    assert "program_endpoint" not in page.context["form"].fields
    assert 'name="program_endpoint"' not in page.content.decode()
    response = client.post(
        reverse("devices:edit", args=[monitor.pk]),
        {"model": "Acme VS-900", "label": "Monitor 3", "room": room_3.pk, "in_use": "on"},
    )
    assert response.status_code == 302
    monitor.refresh_from_db()
    assert (monitor.label, monitor.program_endpoint, monitor.room) == ("Monitor 3", "", room_3)
