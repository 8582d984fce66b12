"""Signing in and out in a real browser: a nurse with a password, a prescriber with TOTP."""

from __future__ import annotations

import time

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from ketamine_clinic.accounts.enums import Role
from tests.browser.conftest import BROWSER_TEST, Visit
from tests.conftest import PERSONA_PASSWORD, make_staff

pytestmark = BROWSER_TEST


def sign_in_with_password(visit: Visit, username: str) -> None:
    visit.goto("/")
    expect(visit.page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    assert visit.path() == "/accounts/sign-in/?next=/"
    visit.screenshot("sign-in")
    visit.page.get_by_label("Username").fill(username)
    visit.page.get_by_label("Password").fill(PERSONA_PASSWORD)
    visit.page.get_by_role("button", name="Sign in").click()


def sign_out(visit: Visit) -> None:
    visit.page.get_by_role("button", name="Sign out").click()
    expect(visit.page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    assert visit.path() == "/accounts/sign-in/"
    expect(visit.page.get_by_text("You are signed out.")).to_be_visible()
    visit.screenshot("signed-out")


def current_code(device: TOTPDevice) -> str:
    """The code an authenticator app would show now for `device`."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return f"{totp.token():0{device.digits}d}"


def test_a_nurse_signs_in_sees_my_rooms_and_signs_out(visit: Visit) -> None:
    make_staff("okafor", Role.NURSE)
    with visit.page.expect_websocket() as opened:
        sign_in_with_password(visit, "okafor")
        expect(visit.page.get_by_role("heading", name="Good to see you, Okafor")).to_be_visible()
    assert visit.path() == "/"
    assert opened.value.url == visit.base_url.replace("http", "ws") + "/ws/v1/staff-events/"
    expect(visit.page.locator("body")).to_have_attribute("data-staff-events-state", "open")
    expect(visit.page.get_by_role("heading", name="My rooms")).to_be_visible()
    expect(visit.page.get_by_role("link", name="Staff")).to_have_count(0)
    visit.screenshot("home")

    sign_out(visit)
    visit.goto("/")
    assert visit.path() == "/accounts/sign-in/?next=/"
    assert visit.console.errors == []


def test_a_prescriber_signs_in_with_a_totp_code_and_signs_out(visit: Visit) -> None:
    prescriber = make_staff("natarajan", Role.PRESCRIBER)
    device = TOTPDevice.objects.create(user=prescriber, name="Phone", confirmed=True)

    sign_in_with_password(visit, "natarajan")
    expect(visit.page.get_by_role("heading", name="Enter your code")).to_be_visible()
    assert visit.path() == "/accounts/second-factor/"
    # Not signed in yet: no staff page, no menu.
    expect(visit.page.get_by_role("button", name="Sign out")).to_have_count(0)
    visit.screenshot("code")
    visit.page.locator('input[name="otp_token"]').fill(current_code(device))
    visit.page.get_by_role("button", name="Continue").click()

    expect(visit.page.get_by_role("heading", name="Good to see you, Natarajan")).to_be_visible()
    assert visit.path() == "/"
    expect(visit.page.get_by_role("heading", name="Awaiting your review")).to_be_visible()
    visit.screenshot("home")

    sign_out(visit)
    assert visit.console.errors == []


def test_a_wrong_code_keeps_the_prescriber_out(visit: Visit) -> None:
    prescriber = make_staff("halvorsen", Role.PRESCRIBER)
    device = TOTPDevice.objects.create(user=prescriber, name="Phone", confirmed=True)
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"

    sign_in_with_password(visit, "halvorsen")
    visit.page.locator('input[name="otp_token"]').fill(wrong)
    visit.page.get_by_role("button", name="Continue").click()

    expect(visit.page.get_by_text("That code is not right.")).to_be_visible()
    assert visit.path() == "/accounts/second-factor/"
    visit.screenshot("wrong-code")
    visit.goto("/")
    assert visit.path() == "/accounts/sign-in/?next=/"
    assert visit.console.errors == []
