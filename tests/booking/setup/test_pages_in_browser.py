"""The rota and a patient's availability in a real browser: laid out with the clinic's
CSS, no CSP errors, and the clinic lead's and the desk's work done by clicking."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone
from playwright.sync_api import expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.enums import ShiftRole
from ketamine_clinic.booking.models import (
    AvailabilityWindow,
    ClinicHours,
    Room,
    StaffShift,
    UnavailableDate,
)
from ketamine_clinic.booking.setup import services
from tests.browser.conftest import BROWSER_TEST, Visit
from tests.browser.test_sign_in import sign_in_with_password
from tests.conftest import make_staff
from tests.patients.factories import make_patient

pytestmark = BROWSER_TEST


def _shift(staff: User, role: ShiftRole, day: date, starts: int, ends: int, by: User) -> None:
    zone = timezone.get_default_timezone()
    StaffShift.objects.create(
        staff=staff,
        role=role.value,
        starts_at=datetime.combine(day, time(starts), tzinfo=zone),
        ends_at=datetime.combine(day, time(ends), tzinfo=zone),
        recorded_at=timezone.now(),
        recorded_by=by,
    )


def _seed_next_week(lead: User) -> date:
    """Next week (all of it ahead): open weekdays and Saturday morning, two nurses and a
    prescriber, with a prescriber gap on Wednesday afternoon and no nurse on Friday."""
    for weekday in range(5):
        ClinicHours.objects.create(weekday=weekday, opens_at=time(8), closes_at=time(18))
    ClinicHours.objects.create(weekday=5, opens_at=time(9), closes_at=time(13))
    for number in range(1, 5):
        Room.objects.create(name=f"Room {number}", display_order=number)
    nurse = make_staff("adeyemi", Role.NURSE)
    second = make_staff("brennan", Role.NURSE)
    prescriber = make_staff("chowdhury", Role.PRESCRIBER)
    prescriber.credentials = "MD"
    prescriber.save()
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday()) + timedelta(days=7)
    for offset in range(5):
        day = monday + timedelta(days=offset)
        _shift(prescriber, ShiftRole.PRESCRIBER, day, 8, 13 if offset == 2 else 18, lead)
        if offset != 4:
            _shift(nurse, ShiftRole.NURSE, day, 8, 16, lead)
            _shift(second, ShiftRole.NURSE, day, 10, 18, lead)
    saturday = monday + timedelta(days=5)
    _shift(prescriber, ShiftRole.PRESCRIBER, saturday, 9, 13, lead)
    _shift(nurse, ShiftRole.NURSE, saturday, 9, 13, lead)
    return monday


def test_the_clinic_lead_reads_the_rota_gaps_and_adds_the_missing_nurse(visit: Visit) -> None:
    lead = make_staff("okoro", Role.CLINIC_LEAD)
    monday = _seed_next_week(lead)
    visit.page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_password(visit, "okoro")
    visit.goto(f"/schedule/rota/?week={monday.isoformat()}")
    expect(visit.page.get_by_text("No infusion can be booked then.").first).to_be_visible()
    visit.screenshot("rota-with-gaps")

    friday = monday + timedelta(days=4)
    form = visit.page.locator("form.shift-form")
    form.get_by_label("Who").select_option(label="Brennan Test (Nurse)")
    form.get_by_label("Day").fill(friday.isoformat())
    form.get_by_label("From").fill("08:00")
    form.get_by_label("To").fill("18:00")
    form.get_by_role("button", name="Add shift").click()
    expect(visit.page.get_by_text("Brennan Test is on the rota")).to_be_visible()
    visit.screenshot("rota-nurse-added")
    assert visit.console.errors == []
    visit.goto("/schedule/rooms/")
    expect(visit.page.get_by_role("heading", name="Infusion rooms")).to_be_visible()
    visit.screenshot("rooms")
    visit.goto("/schedule/hours/")
    visit.page.get_by_label("Sunday opens").fill("10:00")
    visit.page.get_by_role("button", name="Save opening hours").click()
    expect(visit.page.get_by_text(services.HOURS_HALF_GIVEN)).to_be_visible()
    visit.screenshot("hours-refused")
    visit.goto("/schedule/settings/")
    visit.screenshot("settings")


def test_the_desk_keeps_a_patients_availability(visit: Visit) -> None:
    make_staff("dlamini", Role.FRONT_DESK)
    patient = make_patient("Avery", "<b>Quinn</b>", preferred="Ave")
    AvailabilityWindow.objects.create(
        patient=patient, weekday=1, starts_at=time(9), ends_at=time(13)
    )
    AvailabilityWindow.objects.create(
        patient=patient, weekday=3, starts_at=time(8), ends_at=time(12)
    )
    AvailabilityWindow.objects.create(
        patient=patient, weekday=3, starts_at=time(14), ends_at=time(17, 30)
    )
    today = timezone.localdate()
    UnavailableDate.objects.create(patient=patient, date=today + timedelta(days=10))
    visit.page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_password(visit, "dlamini")
    visit.goto(f"/patients/{patient.pk}/")
    visit.page.get_by_role("link", name="Availability for booking").click()
    expect(visit.page.get_by_role("heading", name="Availability for booking")).to_be_visible()
    expect(visit.page.get_by_text("<b>Quinn</b>", exact=False).first).to_be_visible()
    visit.screenshot("availability")

    visit.page.get_by_label("Friday, window 1, from").fill("10:00")
    visit.page.get_by_label("Friday, window 1, to").fill("09:00")
    visit.page.get_by_role("button", name="Save weekly availability").click()
    expect(visit.page.get_by_text("The window must end after it starts.")).to_be_visible()
    visit.screenshot("availability-refused")
    visit.page.get_by_label("Friday, window 1, to").fill("15:00")
    visit.page.get_by_role("button", name="Save weekly availability").click()
    expect(visit.page.get_by_text("Weekly availability saved.")).to_be_visible()

    visit.page.get_by_label("Add a date").fill((today + timedelta(days=20)).isoformat())
    visit.page.get_by_role("button", name="Add date").click()
    expect(visit.page.get_by_text("added.")).to_be_visible()
    visit.screenshot("availability-saved")
    assert AvailabilityWindow.objects.filter(patient=patient, weekday=4).exists()
    # The refused form answers 422 on purpose (Chromium logs it); nothing else may appear.
    assert [e for e in visit.console.errors if "status of 422" not in e] == []
