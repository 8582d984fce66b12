"""The clinic's IT person in a real browser: a monitor that is sending data but is not
registered shows on the unassigned page, is registered to a room from there, and the
device list then shows it in that room."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.booking.models import Room
from ketamine_clinic.monitoring.models import Device
from ketamine_clinic.monitoring.storage import DatabaseStorage
from tests.browser.conftest import BROWSER_TEST, Visit
from tests.browser.test_sign_in import current_code, sign_in_with_password
from tests.conftest import make_staff
from tests.monitoring.support import MONITOR, T0, inbound, vitals_message

pytestmark = BROWSER_TEST


def device_room_id() -> int | None:
    return Device.objects.get(eui64=MONITOR).room_id


def test_the_administrator_registers_a_monitor_found_in_the_unassigned_data(
    visit: Visit,
) -> None:
    admin = make_staff("lindqvist", Role.ADMINISTRATOR)
    authenticator = TOTPDevice.objects.create(user=admin, name="Phone", confirmed=True)
    for number in range(1, 4):
        Room.objects.create(name=f"Room {number}", display_order=number)
    DatabaseStorage().store_batch(
        [inbound(vitals_message(f"M{n}", T0.replace(minute=n))) for n in range(3)]
    )
    visit.page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_password(visit, "lindqvist")
    visit.page.locator('input[name="otp_token"]').fill(current_code(authenticator))
    visit.page.get_by_role("button", name="Continue").click()
    visit.page.get_by_role("navigation", name="Main").get_by_role("link", name="Devices").click()
    expect(visit.page.get_by_role("heading", name="Devices", exact=True)).to_be_visible()
    visit.page.get_by_role("link", name="Unassigned data").click()

    expect(visit.page.get_by_role("heading", name="Unassigned device data")).to_be_visible()
    row = visit.page.get_by_role("row").filter(has_text=MONITOR)
    expect(row).to_contain_text("Not registered")
    expect(row.get_by_role("cell").nth(2)).to_have_text("3")
    visit.screenshot("unassigned")

    row.get_by_role("link", name="Register this device").click()
    form = visit.page.locator("#register form")
    expect(form.get_by_label("EUI-64")).to_have_value(MONITOR)
    expect(form.get_by_label("Kind")).to_have_value("monitor")
    form.get_by_label("Make and model").fill("Acme VS-900")
    form.get_by_label("Label").fill("Monitor 2")
    form.get_by_label("Room").select_option(label="Room 2")
    form.get_by_role("button", name="Register device").click()

    expect(visit.page.get_by_text(f"{MONITOR} registered in Room 2")).to_be_visible()
    room_2 = visit.page.locator("tbody").filter(
        has=visit.page.get_by_role("rowheader", name="Room 2")
    )
    expect(room_2.get_by_role("row").filter(has_text=MONITOR)).to_contain_text("Monitor 2")
    visit.screenshot("registered")

    # A second monitor in the same room is refused next to the room, nothing written.
    form = visit.page.locator("#register form")
    form.get_by_label("EUI-64").fill("00A0C9FFFE0000F1")
    form.get_by_label("Make and model").fill("Acme VS-900")
    form.get_by_label("Room").select_option(label="Room 2")
    form.get_by_role("button", name="Register device").click()
    expect(visit.page.get_by_text("Room 2 already has a monitor in use")).to_be_visible()
    visit.screenshot("second-monitor-refused")
    assert Device.objects.count() == 1

    visit.page.get_by_role("link", name=f"Edit {MONITOR}").click()
    expect(visit.page.get_by_label("Room")).to_have_value(str(device_room_id()))
    visit.screenshot("edit")
    visit.page.get_by_role("link", name="Cancel").click()
    # What it sent before stays unassigned (nothing is re-attached), now shown as registered.
    visit.page.get_by_role("link", name="Unassigned data").click()
    row = visit.page.get_by_role("row").filter(has_text=MONITOR)
    expect(row).to_contain_text("Patient monitor, Room 2")
    expect(row.get_by_role("link", name="Register this device")).to_have_count(0)
    visit.screenshot("unassigned-after")
    device = Device.objects.get(eui64=MONITOR)
    assert (device.room.name if device.room else None, device.registered_by) == ("Room 2", admin)
    # The refused form answers 422 on purpose (Chromium logs it); nothing else may appear.
    assert [e for e in visit.console.errors if "status of 422" not in e] == []
