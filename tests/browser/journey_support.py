"""What the visit and controlled-substance journeys both start from: a patient ready to
book, and staff signing in and out through the real sign-in page."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import second_factor_required
from ketamine_clinic.assessments.services import record_response
from ketamine_clinic.patients.enums import PregnancyPotential
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.services.registry import patient_record_pregnancy_potential
from ketamine_clinic.patients.services.weights import weight_record
from tests.browser.conftest import Visit as Tab
from tests.browser.test_sign_in import current_code, sign_in_with_password
from tests.patients.factories import make_patient
from tests.visits.support import PHQ9_MILD, consent_and_clear

# A family name a browser would render bold if anything forgot to escape it.
HOSTILE = "<b>Bold</b>"


def eligible_patient(prescriber: User, nurse: User) -> Patient:
    """Consented, screened and found eligible, with today's weight (72.5 kg), pregnancy
    potential asked today and a mild PHQ-9: nothing stands between them and a course."""
    patient = make_patient("Avery", HOSTILE)
    consent_and_clear(patient, prescriber)
    patient_record_pregnancy_potential(
        patient=patient,
        potential=PregnancyPotential.NOT_APPLICABLE,
        asked_on=timezone.localdate(),
        by=prescriber,
    )
    weight_record(
        patient=patient,
        value=Decimal("72.5"),
        unit="kg",
        measured_on=timezone.localdate(),
        by=nurse,
    )
    record_response(patient, "phq9", PHQ9_MILD, actor=nurse, channel="staff")
    return patient


def sign_in(tab: Tab, user: User) -> None:
    """With a password, and the authenticator's code where the role requires one."""
    sign_in_with_password(tab, user.username)
    if second_factor_required(user):
        tab.page.locator('input[name="otp_token"]').fill(
            current_code(TOTPDevice.objects.get(user=user))
        )
        tab.page.get_by_role("button", name="Continue").click()
    expect(tab.page.get_by_role("button", name="Sign out")).to_be_visible()


def sign_out(tab: Tab) -> None:
    tab.page.get_by_role("button", name="Sign out").click()
    expect(tab.page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
