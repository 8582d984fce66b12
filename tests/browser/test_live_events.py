"""What an open page does on its own: leaves when the session ends, warns before idling out."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from django.utils import timezone
from playwright.sync_api import expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.services.users import SESSION_ENDED_DEACTIVATED, user_deactivate
from ketamine_clinic.config.settings.channels import channel_layers_for
from tests.browser.conftest import BROWSER_TEST, Visit, in_a_thread
from tests.browser.test_sign_in import sign_in_with_password
from tests.conftest import make_staff
from tests.support.services import TEST_REDIS_URL

pytestmark = BROWSER_TEST

IDLE_WARNING = "You will be signed out in 1 minute for inactivity"


@pytest.fixture
def redis_layer(redis_required: None) -> Any:
    """Events cross threads here as they cross processes in production: through Redis."""
    layers = channel_layers_for(TEST_REDIS_URL, prefix=f"kc-test-{uuid.uuid4().hex}")
    with override_settings(CHANNEL_LAYERS=layers):
        yield


@pytest.mark.usefixtures("redis_layer")
def test_a_deactivated_nurses_open_page_goes_to_sign_in_and_says_why(visit: Visit) -> None:
    nurse = make_staff("okafor", Role.NURSE)
    admin = make_staff("lindqvist", Role.ADMINISTRATOR)
    sign_in_with_password(visit, "okafor")
    expect(visit.page.get_by_role("heading", name="My rooms")).to_be_visible()
    # Open means joined: from here on no event is missed.
    expect(visit.page.locator("body")).to_have_attribute("data-staff-events-state", "open")

    def deactivate() -> None:
        user_deactivate(user=nurse, by=admin)

    in_a_thread(deactivate)
    visit.page.wait_for_url(f"{visit.base_url}/accounts/sign-in/?next=%2F")
    expect(visit.page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    expect(visit.page.get_by_text(SESSION_ENDED_DEACTIVATED)).to_be_visible()
    visit.screenshot("session-ended")
    assert visit.console.errors == []


@override_settings(KC_SESSION_IDLE_MINUTES=2)
def test_an_idle_page_warns_a_minute_ahead_then_leaves_for_sign_in(visit: Visit) -> None:
    make_staff("reyes", Role.FRONT_DESK)
    visit.page.clock.install()
    sign_in_with_password(visit, "reyes")
    expect(visit.page.get_by_role("heading", name="Find a patient")).to_be_visible()
    expect(visit.page.get_by_text(IDLE_WARNING)).to_have_count(0)

    visit.page.clock.fast_forward("00:59")
    expect(visit.page.get_by_text(IDLE_WARNING)).to_have_count(0)
    visit.page.clock.fast_forward("00:02")
    expect(visit.page.get_by_role("status").filter(has_text=IDLE_WARNING)).to_be_visible()
    # Not blocking: the page still works under the warning.
    expect(visit.page.get_by_role("link", name="Find a patient")).to_be_enabled()
    visit.screenshot("idle-warning")

    # Two minutes pass on the server too; the page leaves, and the server says why.
    with time_machine.travel(timezone.now() + timedelta(minutes=2, seconds=5)):
        visit.page.clock.fast_forward("01:05")
        visit.page.wait_for_url(f"{visit.base_url}/accounts/sign-in/?next=%2F")
        expect(visit.page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
        expect(
            visit.page.get_by_text("You were signed out: no activity for 2 minutes.")
        ).to_be_visible()
        visit.screenshot("idled-out")
    assert visit.console.errors == []
