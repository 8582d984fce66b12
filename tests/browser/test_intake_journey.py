"""The front door end to end: tablet intake, then the prescriber's review and the chart.

A nurse hands a tablet (portrait) to a patient whose name is hostile markup; the
patient answers the health screening and a PHQ-9 with item 9 positive; the nurse takes
the tablet back; a prescriber signs in with a code, finds both in the review queue,
assesses the risk and decides the screening, and opens the chart. Screenshots of the
kiosk, the queue and the chart go to tests/artifacts/.
"""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.assessments.models import RiskFlag
from ketamine_clinic.screening.models import EligibilityDecision
from tests.browser.conftest import BROWSER_TEST, Visit
from tests.browser.test_sign_in import current_code, sign_in_with_password
from tests.conftest import PERSONA_PASSWORD, make_staff
from tests.patients.factories import make_patient

pytestmark = BROWSER_TEST

HOSTILE = '"><script>alert(1)</script>'
PHQ9 = "110101101"  # total 6 (mild), item 9 = 1


def test_tablet_intake_then_the_prescriber_reviews_and_decides(visit: Visit) -> None:
    make_staff("okafor", Role.NURSE)
    prescriber = make_staff("natarajan", Role.PRESCRIBER)
    device = TOTPDevice.objects.create(user=prescriber, name="Phone", confirmed=True)
    patient = make_patient("Jordan", HOSTILE)
    page = visit.page

    # The nurse hands the tablet over.
    sign_in_with_password(visit, "okafor")
    page.set_viewport_size({"width": 768, "height": 1024})
    visit.goto(f"/intake/patients/{patient.pk}/tablet")
    page.get_by_label("Your details").check()
    page.get_by_label("Your health history").check()
    page.get_by_label("Health screening").check()
    page.get_by_label("Patient Health Questionnaire-9 (PHQ-9)").check()
    page.get_by_role("button", name="Hand the tablet to the patient").click()

    # The patient: their details (the escort who takes them home), their history, then
    # the screening.
    page.get_by_role("link", name="Your details").click()
    page.locator("input[name=escort_name]").fill("Alex Example")
    page.locator("input[name=escort_phone]").fill("555-0142")
    visit.screenshot("details-form")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("link", name="Your health history").click()
    page.locator("#q-tried_antidepressants input[value='yes']").check()
    page.locator("textarea[name=antidepressants_details]").fill("Sertraline 2019, no help")
    page.get_by_role("button", name="Send").click()
    page.get_by_role("link", name="Health screening").click()
    required = page.locator("fieldset.kiosk-question:not(:has(.kiosk-help:text('Answer only if')))")
    # Counted once the form has arrived: straight after the click, the old page has none.
    expect(page.get_by_role("heading", name="Health screening")).to_be_visible()
    expect(required.first).to_be_visible()
    visit.screenshot("screening-form")
    for index in range(required.count()):
        fieldset = required.nth(index)
        if fieldset.locator("input[value='no']").count():
            fieldset.locator("input[value='no']").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("link", name="Patient Health Questionnaire-9 (PHQ-9)")).to_be_visible()
    page.get_by_role("link", name="Patient Health Questionnaire-9 (PHQ-9)").click()
    for item, value in enumerate(PHQ9, start=1):
        page.locator(f"#q-item_{item} input[value='{value}']").check()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()

    # The nurse takes it back.
    page.get_by_text("Staff: release the tablet").click()
    page.get_by_label("Username").fill("okafor")
    page.get_by_label("Password").fill(PERSONA_PASSWORD)
    page.get_by_role("button", name="Release").click()
    expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()

    # The prescriber, at a desk.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Username").fill("natarajan")
    page.get_by_label("Password").fill(PERSONA_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator('input[name="otp_token"]').fill(current_code(device))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("link", name="Review queue").first.click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    items = page.locator("section.review-item")
    expect(items).to_have_count(2)
    expect(items.first).to_contain_text(HOSTILE)  # the hostile name, as text
    visit.screenshot("review-queue")

    flag = RiskFlag.objects.get(patient=patient)
    flag_card = page.locator(f"#risk_flag-{flag.pk}")
    flag_card.get_by_label("Assessment").fill("Spoke with the patient: passive thoughts, no plan.")
    flag_card.get_by_role("button", name="Record assessment").click()
    expect(page.get_by_text("Assessment recorded")).to_be_visible()
    screening_card = page.locator("section.review-item").first
    screening_card.get_by_label("Decision").select_option("eligible_with_conditions")
    screening_card.get_by_label("Note").fill("Take a blood pressure before the first infusion.")
    screening_card.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Nothing is waiting for a prescriber.")).to_be_visible()
    flag.refresh_from_db()
    assert flag.status == "assessed"
    assert EligibilityDecision.objects.get(patient=patient).decision == "eligible_with_conditions"

    visit.goto(f"/patients/{patient.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(HOSTILE)
    expect(page.locator("#reported-history")).to_contain_text("Sertraline 2019, no help")
    expect(page.locator("#details")).to_contain_text("Alex Example")
    visit.screenshot("chart")
    assert visit.console.errors == []
