"""The desk plans a patient's course in a real browser, books it, then cancels one visit
and takes the planner's new time; screenshots of each page (look at them)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import ViewportSize, expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.courses.services import course_start
from ketamine_clinic.visits.models import Visit
from tests.booking.support import make_clinic
from tests.browser.conftest import BROWSER_TEST
from tests.browser.conftest import Visit as Tab
from tests.browser.test_sign_in import sign_in_with_password
from tests.conftest import make_staff
from tests.patients.factories import make_patient

pytestmark = BROWSER_TEST
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def test_the_desk_plans_a_course_and_replaces_a_cancelled_visit(visit: Tab) -> None:
    visit.page.set_viewport_size(DESKTOP)
    make_staff("reyes", Role.FRONT_DESK)
    staff = {
        "prescriber": make_staff("natarajan", Role.PRESCRIBER),
        "nurse": make_staff("okafor", Role.NURSE),
        "clinic_lead": make_staff("adeyemi", Role.CLINIC_LEAD),
    }
    make_clinic(staff, first_day=timezone.localdate())
    patient = make_patient("Jordan", "<b>Bold</b>")
    course = course_start(patient=patient, by=staff["prescriber"])
    tomorrow = timezone.localdate() + timedelta(days=1)

    sign_in_with_password(visit, "reyes")
    visit.goto(f"/schedule/courses/{course.pk}/plan")
    visit.page.get_by_label("First infusion on or after").fill(tomorrow.isoformat())
    visit.page.get_by_role("button", name="Find times").click()
    expect(visit.page.get_by_role("heading", name="Proposed visits")).to_be_visible()
    expect(visit.page.locator("#proposal tbody tr")).to_have_count(6)
    assert "<b>Bold</b>" not in visit.page.content()
    visit.screenshot("plan-proposal")
    visit.page.get_by_role("button", name="Book these visits").click()
    expect(visit.page.get_by_text("6 visits booked")).to_be_visible()
    assert visit.path().startswith("/schedule/week/")
    visit.screenshot("week-after-booking")

    fourth = Visit.objects.get(course=course, number_in_course=4)
    visit.goto(f"/visits/{fourth.pk}/")
    visit.page.get_by_role("link", name="Cancel or find a new time").click()
    expect(visit.page.get_by_role("heading", name="A new time")).to_be_visible()
    visit.page.get_by_label("Why is the visit cancelled?").fill("Patient's child is unwell")
    visit.screenshot("cancel-with-new-time")
    visit.page.get_by_role("button", name="Cancel and book the new time").click()
    expect(visit.page.get_by_text("Cancelled and booked again.")).to_be_visible()
    fourth.refresh_from_db()
    assert fourth.state == "cancelled"
    replacement = Visit.objects.get(course=course, number_in_course=4, state="scheduled")
    assert visit.path() == f"/visits/{replacement.pk}/"
    visit.screenshot("replacement-visit")
    assert visit.console.errors == []
