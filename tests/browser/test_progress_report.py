"""A clinic lead opens a patient's chart after a six-infusion course with follow-ups, sees
each questionnaire plotted with the infusions marked, and prints the progress report."""

from __future__ import annotations

from playwright.sync_api import ViewportSize, expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from tests.browser.conftest import ARTIFACTS, BROWSER_TEST, Visit
from tests.browser.test_sign_in import sign_in_with_password
from tests.conftest import make_staff
from tests.outcomes.test_patient_support import (
    PHQ9_SERIES,
    give_course,
    given_visit,
    nausea,
    score_series,
)
from tests.patients.factories import make_patient

pytestmark = BROWSER_TEST

DESKTOP: ViewportSize = {"width": 1280, "height": 900}
TABLET: ViewportSize = {"width": 820, "height": 1180}
A4_PRINTABLE: ViewportSize = {"width": 688, "height": 1010}  # 210 x 297 mm less 15 mm margins


def test_the_chart_plots_the_course_and_the_report_prints(
    visit: Visit, personas: dict[str, User]
) -> None:
    nurse = personas["nurse"]
    patient = make_patient("Jordan", "Riverside", preferred="Jo")
    given = give_course(personas, patient)
    nausea(given.visits[0], nurse)
    given_visit(personas, patient, None, None, 40, "0.5")  # a booster after the course
    score_series(patient, "phq9", PHQ9_SERIES, nurse)
    score_series(patient, "gad7", [(-10, 16), (1, 15), (8, 11), (15, 7), (18, 5), (33, 6), (47, 6)], nurse)  # fmt: skip
    score_series(patient, "pcl5", [(1, 46), (8, 41), (18, 34), (47, 30)], nurse)
    score_series(patient, "dissociation", [(1, 0), (4, 6), (8, 5), (11, 7), (15, 4), (18, 5)], nurse)  # fmt: skip
    make_staff("lead", Role.CLINIC_LEAD)

    visit.page.set_viewport_size(DESKTOP)
    sign_in_with_password(visit, "lead")
    visit.goto(f"/patients/{patient.pk}/")
    plots = visit.page.locator("#scores svg.trajectory-plot")
    expect(plots).to_have_count(4)
    # Six infusions, each a numbered tick on the PHQ-9 plot, and the booster as "B".
    phq9 = visit.page.locator("#scores li.trajectory", has_text="PHQ-9")
    expect(phq9.locator("line.infusion")).to_have_count(7)  # and the booster
    expect(phq9.locator(".trajectory-standing")).to_contain_text("20 → 8")
    visit.screenshot("chart-1280")

    visit.page.set_viewport_size(TABLET)
    visit.screenshot("chart-tablet")
    visit.page.set_viewport_size(DESKTOP)

    visit.page.get_by_role("link", name="Progress report (printable)").click()
    assert visit.path() == f"/outcomes/patients/{patient.pk}/progress/"
    expect(visit.page.get_by_role("heading", name="Progress report")).to_be_visible()
    expect(visit.page.locator(".report-infusions tbody tr")).to_have_count(7)
    expect(visit.page.get_by_role("heading", name="Booster infusions")).to_be_visible()
    expect(visit.page.locator(".report-instrument")).to_have_count(4)
    summary = visit.page.locator(".report-summary tbody tr", has_text="PHQ-9")
    expect(summary).to_contain_text("60% lower")
    visit.screenshot("report")

    # Print media at the width of A4 paper less its margins (96 px an inch), as the page prints.
    visit.page.set_viewport_size(A4_PRINTABLE)
    visit.page.emulate_media(media="print")
    expect(visit.page.locator(".topbar")).to_be_hidden()
    expect(visit.page.locator(".report-actions")).to_be_hidden()
    visit.screenshot("report-print")
    ARTIFACTS.mkdir(exist_ok=True)
    visit.page.pdf(
        path=str(ARTIFACTS / f"{visit.name}-report.pdf"), format="A4", print_background=True
    )

    assert visit.console.errors == []
