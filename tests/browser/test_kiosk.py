"""Tablet intake in a real browser, at tablet size: hand-over, autosave, PHQ-9, lock, release."""

from __future__ import annotations

from playwright.sync_api import expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.assessments.models import QuestionnaireResponse, RiskFlag
from ketamine_clinic.intake.models import KioskSession
from tests.browser.conftest import BROWSER_TEST, Visit
from tests.browser.test_sign_in import sign_in_with_password
from tests.conftest import PERSONA_PASSWORD, make_staff
from tests.patients.factories import make_patient

pytestmark = BROWSER_TEST

HOSTILE = "<img src=x onerror=alert(1)>"
# PHQ-9 answers by item: total 1+2+1+0+1+2+1+0+1 = 9 (mild), item 9 positive.
PHQ9 = ["1", "2", "1", "0", "1", "2", "1", "0", "1"]


def answer(visit: Visit, item: int, value: str) -> None:
    visit.page.locator(f"#q-item_{item} input[value='{value}']").check()


def test_a_patient_fills_a_phq9_on_a_tablet_and_staff_release_it(visit: Visit) -> None:
    make_staff("okafor", Role.NURSE)
    patient = make_patient("Robin", "Tabletpatient", preferred=HOSTILE)
    sign_in_with_password(visit, "okafor")
    visit.page.set_viewport_size({"width": 768, "height": 1024})  # a tablet, portrait
    visit.goto(f"/intake/patients/{patient.pk}/tablet")
    visit.page.get_by_label("Patient Health Questionnaire-9 (PHQ-9)").check()
    visit.screenshot("open-tablet")
    visit.page.get_by_role("button", name="Hand the tablet to the patient").click()

    heading = visit.page.get_by_role("heading", level=1)
    expect(heading).to_have_text(f"Hello, {HOSTILE}")  # the name shows as text
    expect(visit.page.locator("nav")).to_have_count(0)
    visit.screenshot("kiosk-home-portrait")
    visit.page.get_by_role("link", name="Patient Health Questionnaire-9 (PHQ-9)").click()
    for item, value in enumerate(PHQ9[:4], start=1):
        answer(visit, item, value)
    expect(visit.page.get_by_text("Your answers are saved.")).to_be_visible()

    visit.page.reload()  # a dropped page: the answers given so far come back
    expect(visit.page.locator("#q-item_2 input[value='2']")).to_be_checked()
    visit.page.set_viewport_size({"width": 1024, "height": 768})  # turned to landscape
    visit.screenshot("kiosk-form-landscape")
    visit.page.get_by_role("button", name="Send").click()
    expect(visit.page.get_by_role("alert")).to_contain_text("Some answers are missing")
    expect(visit.page.locator("#q-item_1 input[value='1']")).to_be_checked()
    for item, value in enumerate(PHQ9, start=1):
        answer(visit, item, value)
    visit.page.get_by_role("button", name="Send").click()

    expect(visit.page.get_by_role("heading", name="Thank you")).to_be_visible()
    visit.screenshot("kiosk-finished")
    response = QuestionnaireResponse.objects.get(patient=patient)
    assert (response.instrument_key, response.total) == ("phq9", 9)
    assert RiskFlag.objects.filter(patient=patient).count() == 1

    visit.page.get_by_text("Staff: release the tablet").click()
    visit.page.get_by_label("Username").fill("okafor")
    visit.page.get_by_label("Password").fill(PERSONA_PASSWORD)
    visit.page.get_by_role("button", name="Release").click()
    expect(visit.page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
    assert KioskSession.objects.get(patient=patient).state == "closed"
    assert visit.console.errors == []
