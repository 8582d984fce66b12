"""A nurse works a patient's chart in a real browser: weight in lb, a flagged medication,
and hostile text that must stay text."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from playwright.sync_api import Dialog, ViewportSize, expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.demo.patients import seed_demo_patients
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services.allergies import allergy_add
from tests.browser.conftest import BROWSER_TEST, Visit
from tests.browser.test_sign_in import sign_in_with_password
from tests.conftest import make_staff
from tests.patients.factories import make_patient

pytestmark = BROWSER_TEST

HOSTILE_SCRIPT = "<script>alert(1)</script>"
HOSTILE_IMG = '"><img src=x onerror=alert(1)>'
DESKTOP: ViewportSize = {"width": 1280, "height": 900}


def test_a_nurse_records_a_weight_in_lb_and_a_flagged_medication(visit: Visit) -> None:
    make_staff("okafor", Role.NURSE)
    patient = make_patient("Avery", HOSTILE_SCRIPT, born=date(1984, 3, 7), preferred="Ave")
    allergy_add(
        patient=patient, substance=HOSTILE_IMG, reaction="Hives", severity="severe", by=None
    )
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    visit.page.on("dialog", dismiss)
    visit.page.set_viewport_size(DESKTOP)

    sign_in_with_password(visit, "okafor")
    expect(visit.page.get_by_role("heading", name="Good to see you, Okafor")).to_be_visible()
    visit.goto("/patients/")
    visit.page.get_by_label("Name, date of birth (yyyy-mm-dd) or MRN").fill(patient.mrn)
    visit.page.get_by_role("button", name="Search").click()
    visit.page.get_by_role("link", name=patient.mrn).click()
    assert visit.path() == f"/patients/{patient.pk}/"
    # The hostile surname and allergy are shown as the characters typed.
    expect(visit.page.locator("h1")).to_contain_text(HOSTILE_SCRIPT)
    expect(visit.page.locator(".allergy-banner")).to_contain_text(HOSTILE_IMG)
    expect(visit.page.locator("img")).to_have_count(0)
    visit.screenshot("chart-before")

    visit.page.get_by_role("link", name="Record weight").click()
    visit.page.get_by_label("Weight").fill("154")
    visit.page.get_by_label("lb").check()
    visit.screenshot("weight-form")
    visit.page.get_by_role("button", name="Record weight").click()
    expect(visit.page.get_by_text("Weight recorded.")).to_be_visible()
    weight_card = visit.page.locator("section.glance", has_text="Weight for dosing")
    expect(weight_card.locator(".glance-value")).to_have_text("69.9 kg")
    expect(visit.page.get_by_text("entered 154 lb")).to_be_visible()

    visit.page.get_by_role("link", name="Add medication").click()
    visit.page.get_by_label("Medication").fill("Lorazepam")
    visit.page.get_by_label("Dose and how taken").fill("0.5 mg at night as needed")
    visit.page.get_by_role("button", name="Record medication").click()
    expect(visit.page.get_by_text("Medication recorded.")).to_be_visible()
    flagged = visit.page.locator(".glance", has_text="Flagged medications")
    expect(flagged).to_contain_text("Lorazepam")
    expect(flagged).to_contain_text("Benzodiazepine (may blunt the effect)")

    visit.page.get_by_role("link", name="Add medication").click()
    visit.page.get_by_label("Medication").fill(HOSTILE_IMG)
    visit.page.get_by_role("button", name="Record medication").click()
    expect(visit.page.locator("table.medications")).to_contain_text(HOSTILE_IMG)
    expect(visit.page.locator("img")).to_have_count(0)
    visit.screenshot("chart-after")

    assert dialogs == []
    assert visit.console.errors == []
    assert Patient.objects.get(pk=patient.pk).weights.count() == 1


def test_the_demo_charts_read_well_at_desktop_width(visit: Visit) -> None:
    nurse = make_staff("okafor", Role.NURSE)
    seed_demo_patients()
    avery = Patient.objects.get(legal_first_name="Avery", legal_last_name="Testpatient")
    # A course's worth of PHQ-9 and GAD-7 answers, so the scores panel has trends to draw;
    # the last PHQ-9 answers item 9 with 1, which raises the suicide-risk banner.
    start = timezone.now() - timedelta(days=21)
    for week, (phq, gad) in enumerate([(3, 3), (2, 2), (2, 1), (1, 1)]):
        item9 = 1 if week == 3 else 0
        record_response(avery, "phq9", [phq] * 8 + [item9], actor=nurse, channel="staff",
                        taken_at=start + timedelta(days=7 * week))  # fmt: skip
        record_response(avery, "gad7", [gad] * 7, actor=nurse, channel="staff",
                        taken_at=start + timedelta(days=7 * week))  # fmt: skip
    visit.page.set_viewport_size(DESKTOP)
    sign_in_with_password(visit, "okafor")
    expect(visit.page.get_by_role("heading", name="Good to see you, Okafor")).to_be_visible()

    for first, last in (("Avery", "Testpatient"), ("Riley", "Demowitz"), ("Harper", "Synthetica")):
        patient = Patient.objects.get(legal_first_name=first, legal_last_name=last)
        visit.goto(f"/patients/{patient.pk}/")
        expect(visit.page.get_by_role("heading", name="Latest scores")).to_be_visible()
        if first == "Avery":
            expect(visit.page.locator("svg.sparkline")).to_have_count(2)
            expect(visit.page.locator(".risk-banner")).to_be_visible()
        visit.screenshot(f"demo-{first.lower()}")

    assert visit.console.errors == []


def test_the_desk_records_an_escort_and_a_missing_phone_is_named(visit: Visit) -> None:
    make_staff("reyes", Role.FRONT_DESK)
    patient = make_patient("Rowan", "Exampleby", born=date(2000, 2, 29))
    visit.page.set_viewport_size(DESKTOP)
    sign_in_with_password(visit, "reyes")
    expect(visit.page.get_by_role("heading", name="Good to see you, Reyes")).to_be_visible()

    visit.goto(f"/patients/{patient.pk}/")
    expect(visit.page.get_by_text("No escort recorded")).to_be_visible()
    expect(visit.page.get_by_role("link", name="Record weight")).to_have_count(0)
    visit.page.get_by_role("link", name="Edit details").click()
    escort = visit.page.locator("fieldset", has_text="Usual escort home")
    escort.get_by_label("Name").fill("Alex Exampleby")
    escort.get_by_label("Relationship").fill("Brother")
    visit.page.get_by_role("button", name="Save").click()
    expect(escort.get_by_text("Enter a phone number for this person")).to_be_visible()
    visit.screenshot("details-error")
    escort.get_by_label("Phone").fill("555-0118")
    visit.page.get_by_role("button", name="Save").click()

    expect(visit.page.get_by_text("Details saved.")).to_be_visible()
    expect(visit.page.locator(".glance", has_text="Escort home")).to_contain_text("Alex Exampleby")
    visit.screenshot("chart")
    assert visit.console.errors == []
