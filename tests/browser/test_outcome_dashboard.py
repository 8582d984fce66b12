"""The clinic lead reads the outcome dashboard in a real browser: the headline figures
with their denominators, the breakdowns, the time-to-relapse curve drawn as SVG, and a
print view (screenshots in tests/artifacts/ to look at)."""

from __future__ import annotations

from playwright.sync_api import ViewportSize, expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.outcomes.selectors import forget_cached_outcomes
from tests.browser.conftest import ARTIFACTS, BROWSER_TEST, Visit
from tests.browser.test_sign_in import sign_in_with_password
from tests.conftest import make_staff
from tests.outcomes.builders import Plan, build, random_clinic

pytestmark = BROWSER_TEST

DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def test_the_clinic_lead_reads_the_outcomes_and_the_relapse_curve(visit: Visit) -> None:
    forget_cached_outcomes()
    lead = make_staff("adeyemi", Role.CLINIC_LEAD)
    build(random_clinic(400, 2100, seed=3), by=lead)
    build(
        [Plan(instrument="gad7", baseline=14, end=4), Plan(instrument="gad7", baseline=16, end=12)],
        by=lead,
    )
    visit.page.set_viewport_size(DESKTOP)

    sign_in_with_password(visit, "adeyemi")
    # The lead's home card and the menu both lead here; the menu is taken.
    expect(visit.page.get_by_role("main").get_by_role("link", name="Outcomes")).to_be_visible()
    visit.page.get_by_role("navigation", name="Main").get_by_role("link", name="Outcomes").click()
    assert visit.path() == "/outcomes/"
    expect(visit.page.get_by_role("heading", name="Outcomes: PHQ-9")).to_be_visible()
    headline = visit.page.locator(".headline")
    expect(headline).to_contain_text("courses that started (intention to treat)")
    expect(headline).to_contain_text("Any benefit (the figure a clinic would advertise)")
    expect(headline).to_contain_text("Completers only:")
    plot = visit.page.locator("svg.km-plot")
    expect(plot).to_be_visible()
    expect(plot.locator("path")).to_have_count(2)  # the band and the step line
    expect(plot.locator("text", has_text="At risk")).to_have_count(1)
    box = plot.bounding_box()
    assert box is not None and box["width"] > 600  # drawn at a readable size
    visit.screenshot("phq9")
    visit.shots += 1
    plot.screenshot(path=str(ARTIFACTS / f"{visit.name}-{visit.shots:02d}-curve.png"))

    visit.page.get_by_label("Instrument").select_option("gad7")
    visit.page.get_by_role("button", name="Show").click()
    expect(visit.page.get_by_role("heading", name="Outcomes: GAD-7")).to_be_visible()
    expect(
        visit.page.get_by_text("GAD-7 defines no minimal clinically important difference").first
    ).to_be_visible()
    visit.screenshot("gad7")
    # Boosters: the infusions beyond the courses, each after a course's end.
    expect(visit.page.locator("table.compact")).to_contain_text("Course end to first booster")

    visit.goto("/outcomes/")
    visit.page.emulate_media(media="print")
    expect(visit.page.locator(".topbar")).to_be_hidden()
    expect(visit.page.locator(".outcome-picker")).to_be_hidden()
    visit.screenshot("print")
    assert visit.console.errors == []
