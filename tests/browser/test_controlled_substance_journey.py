"""Every milligram of one syringe, in a real browser, from the delivery to the inspector.

The custodian receives two vials (1000.00 mg of base). A nurse draws the syringe for a
ready visit from both, by name (0.50 + 0.30 mL = 40.00 mg); a second nurse verifies it
and runs the pump for ten minutes; the first nurse accounts for the syringe, the rest
wasted before a prescriber who types their own password and code (a wrong password
first, refused). Two stock keepers count blind and find K2611A-02 short by 0.10 mL: the
count closes with a discrepancy, and the biennial inventory after it cannot close until
the clinic lead records the loss with a Form 106 reference. Then every log shows exactly
these operations, on screen and printed (screenshots in tests/artifacts/).

The clock: the pump starts and stops under a frozen clock, so the pump's record (and
so the mg given) is the same on every run; each later phase moves the clock on, and each
person signs in again in it (the idle limit, and a TOTP code is good once per step).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal

import time_machine
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import ViewportSize, expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.models import Room
from ketamine_clinic.courses.services import course_start
from ketamine_clinic.inventory import selectors
from ketamine_clinic.inventory.enums import Bucket, CountKind, EntryKind
from ketamine_clinic.inventory.models import (
    Container,
    Count,
    CountClosure,
    Discrepancy,
    StockEntry,
    SyringeAccount,
)
from ketamine_clinic.orders.services import order_infusion
from ketamine_clinic.visits.models import Visit
from ketamine_clinic.visits.services import (
    escort_confirm,
    fasting_record,
    iv_access_record,
    medication_review_record,
    visit_schedule,
    visit_transition,
    vitals_record,
)
from tests.browser.conftest import (  # noqa: F401  # the browser fixtures, used by name
    BROWSER_TEST,
    app_server,
    browser,
    visit,
)
from tests.browser.conftest import Visit as Tab
from tests.browser.journey_support import HOSTILE, eligible_patient, sign_in, sign_out
from tests.browser.test_sign_in import current_code
from tests.conftest import PERSONA_PASSWORD, make_staff
from tests.inventory.pages.support import set_up

pytestmark = BROWSER_TEST
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
TABLET: ViewportSize = {"width": 768, "height": 1024}
LOSS_NOTES = "<i>0.10 mL</i> gone from K2611A-02; CCTV reviewed, police report 26-2211."
FORM_106 = "F106-2026-031"
# Ten minutes of the pump at 48.3 mL/h (36.25 mL over 45 min, rounded to the pump's
# 0.1 mL/h) of 1 mg/mL: 8.05 mg given; 40.00 drawn - 8.05 = 31.95 mg wasted.
GIVEN_MG = Decimal("8.05")
WASTED_MG = Decimal("31.95")


def _ready_visit(prescriber: User, nurse: User, desk: User) -> Visit:
    """A consented, eligible patient, checked and ready, with an order: 0.5 mg/kg of
    72.5 kg = 36.25 mg base over 45 min at 1 mg/mL (0.73 mL of 50 mg/mL stock)."""
    patient = eligible_patient(prescriber, nurse)
    now = timezone.now()
    booked = visit_schedule(
        patient=patient,
        scheduled_start=now + timedelta(minutes=10),
        course=course_start(patient=patient, by=prescriber),
        room=Room.objects.get_or_create(name="Room 3")[0],
        by=desk,
    )
    vitals_record(
        visit=booked,
        by=nurse,
        taken_at=now - timedelta(minutes=2),
        systolic_mmhg=122,
        diastolic_mmhg=78,
        heart_rate_per_min=72,
        spo2_percent=98,
        respiratory_rate_per_min=14,
    )
    fasting_record(
        visit=booked,
        by=nurse,
        last_solid_food_at=now - timedelta(hours=8),
        last_clear_fluids_at=now - timedelta(hours=3),
    )
    escort_confirm(visit=booked, by=nurse, name="Jordan Escortperson", phone="555-0142")
    medication_review_record(visit=booked, by=nurse, reviewed=True)
    iv_access_record(visit=booked, by=nurse, site="left forearm", gauge=22, attempts=1)
    for state in ("checked_in", "checks_done", "ready"):
        visit_transition(booked, state, by=nurse)
    order_infusion(
        booked, by=prescriber, dose_mg_per_kg=0.5, duration_min=45, concentration_mg_per_ml=1.0
    )
    return booked


@contextmanager
def _phase(at: datetime, tab: Tab, user: User) -> Iterator[None]:
    """`user` signed in at `at`, the clock running on from there; signed out at the end."""
    with time_machine.travel(at, tick=True):
        sign_in(tab, user)
        yield
        sign_out(tab)


def _screen_and_print(tab: Tab, what: str) -> None:
    tab.screenshot(what)
    tab.page.emulate_media(media="print")
    expect(tab.page.get_by_role("navigation", name="Controlled substances")).to_be_hidden()
    tab.screenshot(f"{what}-print")
    tab.page.emulate_media(media="screen")


def _count(tab: Tab, figures_ml: dict[str, str]) -> None:
    """Enter one counter's figures on the open count's sheet and save them."""
    page = tab.page
    for label, ml in figures_ml.items():
        pk = Container.objects.get(label=label).pk
        page.locator(f'input[name="ml_{pk}"]').fill(ml)
    page.get_by_role("button", name="Save my figures").click()
    expect(page.get_by_text("2 figures saved; you have counted 2 of 2 containers.")).to_be_visible()


def _report_rows(tab: Tab) -> list[list[str]]:
    """The report's rows, once its table is on the page: read straight after a click, the
    rows could be counted before the new page has arrived (none: a flaky failure)."""
    tab.page.wait_for_load_state()
    expect(tab.page.locator("table.report-table")).to_be_visible()
    cells = tab.page.locator("table.report-table tbody tr")
    return [
        [cell.strip() for cell in cells.nth(i).locator("td").all_inner_texts()]
        for i in range(cells.count())
    ]


def _totals(tab: Tab) -> dict[str, str]:
    terms = tab.page.locator(".report-totals dt").all_inner_texts()
    values = tab.page.locator(".report-totals dd").all_inner_texts()
    return dict(zip(terms, values, strict=True))


def test_every_milligram_from_the_delivery_to_the_inspectors_logs(
    visit: Tab,  # noqa: F811  # the imported fixture, requested by name
) -> None:
    tab, page = visit, visit.page
    page.set_viewport_size(DESKTOP)
    custodian = make_staff("whitford", Role.CUSTODIAN)
    nurse = make_staff("okafor", Role.NURSE)
    second_nurse = make_staff("mbeki", Role.NURSE)
    prescriber = make_staff("haddad", Role.PRESCRIBER)
    lead = make_staff("lindqvist", Role.CLINIC_LEAD)
    desk = make_staff("reyes", Role.FRONT_DESK)
    for person in (custodian, prescriber):
        TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    setup = set_up(custodian)  # the registration, the 50 mg/mL 10 mL vial, Safe A, supplier
    expiry = timezone.localdate() + timedelta(days=400)
    booked = _ready_visit(prescriber, nurse, desk)

    # ---- 1. The custodian receives two vials: 1000.00 mg of base. -----------------------
    sign_in(tab, custodian)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Controlled substances"
    ).click()
    page.get_by_role("link", name="Receive stock").click()
    page.get_by_label("Product").select_option(label=str(setup.product))
    page.locator("#id_lot_number").fill("K2611A")
    page.get_by_label("Expiry date").fill(expiry.isoformat())
    page.get_by_label("Supplier").select_option(label=setup.supplier.name)
    page.get_by_label("Invoice number").fill("INV-2611")
    page.get_by_label("Number of containers").fill("2")
    page.get_by_label("Stored in").select_option(label="Safe A")
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_text("Received 2 container(s) of lot K2611A")).to_be_visible()
    expect(page.locator("#received-mg")).to_have_text("1000.00")
    tab.screenshot("receipt")
    sign_out(tab)

    # ---- 2. A nurse draws the syringe from two named vials; a second nurse verifies. ----
    sign_in(tab, nurse)
    tab.goto(f"/visits/{booked.pk}/")
    draw = page.locator("#prepare-form")
    expect(draw).to_contain_text("0.73 mL of 50 mg/mL stock")
    draw.get_by_label("Container 1", exact=True).select_option(
        str(Container.objects.get(label="K2611A-01").pk)
    )
    draw.get_by_label("mL drawn from container 1").fill("0.50")
    draw.get_by_label("Container 2", exact=True).select_option(
        str(Container.objects.get(label="K2611A-02").pk)
    )
    draw.get_by_label("mL drawn from container 2").fill("0.30")
    tab.screenshot("prepare")
    page.get_by_role("button", name="Prepare the syringe").click()
    expect(page.get_by_text("a second person verifies it")).to_be_visible()
    drawn = {e.container.label: e.mg for e in StockEntry.objects.filter(kind=EntryKind.DRAWN)}
    assert drawn == {"K2611A-01": Decimal("25.00"), "K2611A-02": Decimal("15.00")}
    sign_out(tab)

    sign_in(tab, second_nurse)
    tab.goto(f"/visits/{booked.pk}/")
    page.get_by_role("button", name="Verify the syringe (second person)").click()
    expect(page.get_by_text("Syringe verified.")).to_be_visible()

    # ---- 3. The pump runs ten minutes, on a frozen clock. -------------------------------
    started = timezone.now() + timedelta(minutes=1)
    with time_machine.travel(started, tick=False):
        page.get_by_role("button", name="Start the infusion").click()
        expect(page.get_by_text("Infusion started.")).to_be_visible()
    with time_machine.travel(started + timedelta(minutes=10), tick=False):
        page.get_by_role("button", name="Stop: start recovery").click()
        expect(page.get_by_text("recovery has started")).to_be_visible()
        sign_out(tab)

    # ---- 4. The nurse accounts for the syringe; the waste before a witness. ------------
    with _phase(started + timedelta(minutes=11), tab, nurse):
        tab.goto(f"/visits/{booked.pk}/")
        account = page.locator("#syringe-account")
        expect(account.locator(".account-figures")).to_contain_text("40.00 mg")
        account.get_by_label("Witness's username").fill("haddad")
        account.get_by_label("Witness's password").fill("not-the-password")
        account.get_by_role("button", name="Record the account and the witnessed waste").click()
        expect(page.locator("#syringe-account .field.invalid")).to_contain_text("not accepted")
        assert not SyringeAccount.objects.exists()
        assert not StockEntry.objects.filter(kind=EntryKind.WASTED).exists()
        tab.screenshot("account-refused")
        account = page.locator("#syringe-account")
        account.get_by_label("Witness's username").fill("haddad")
        account.get_by_label("Witness's password").fill(PERSONA_PASSWORD)
        account.get_by_label("Witness's 6-digit code").fill(
            current_code(TOTPDevice.objects.get(user=prescriber))
        )
        account.get_by_role("button", name="Record the account and the witnessed waste").click()
        expect(page.get_by_text("Syringe accounted for:")).to_be_visible()
        expect(page.locator(".account-record")).to_contain_text("witnessed by Haddad Test")
        tab.screenshot("account-recorded")

    closed = SyringeAccount.objects.get()
    given, wasted = closed.given_mg, closed.wasted_mg
    assert (closed.drawn_mg, given, wasted) == (Decimal("40.00"), GIVEN_MG, WASTED_MG)
    assert closed.witness == prescriber

    # ---- 5. Two counters, blind: K2611A-02 holds 9.60 mL, the record 9.70. --------------
    # On hand: K2611A-01 500 - 25 = 475.00 mg (9.50 mL), -02 500 - 15 = 485.00 mg (9.70).
    seen = {"K2611A-01": "9.50", "K2611A-02": "9.60"}
    with _phase(started + timedelta(minutes=60), tab, custodian):
        tab.goto("/inventory/counts/")
        page.get_by_role("button", name="Start the count").click()
        # Ids are not reset between tests (SQLite keeps its sequences): read them.
        expect(
            page.get_by_role("heading", name=re.compile(r"^Routine count #\d+$"))
        ).to_be_visible()
        routine = Count.objects.get(kind=CountKind.ROUTINE).pk
        _count(tab, seen)
        tab.screenshot("count-sheet")
    with _phase(started + timedelta(minutes=70), tab, prescriber):
        tab.goto("/inventory/counts/")
        page.get_by_role("link", name="Open the count sheet").click()
        expect(page.get_by_text("Whitford Test has counted 2 of 2 containers.")).to_be_visible()
        # The other counter's figures are not on this sheet.
        assert page.locator('input[value="9.60"]').count() == 0
        _count(tab, seen)
        page.get_by_role("button", name="Close the count").click()
        expect(page.get_by_text("Count closed with 1 discrepancy")).to_be_visible()
        row = page.get_by_role("row", name="K2611A-02")
        expect(row).to_contain_text("485.00")
        expect(row).to_contain_text("480.00")
        expect(row).to_contain_text("-5.00")
        tab.screenshot("count-closed")
        # The biennial inventory, at close of business, follows at once.
        tab.goto("/inventory/counts/")
        page.get_by_label("Kind of count").select_option("biennial")
        page.get_by_label("Taken at").select_option("close")
        page.get_by_role("button", name="Start the count").click()
        expect(
            page.get_by_role("heading", name=re.compile(r"^Biennial inventory \(DEA\) #\d+$"))
        ).to_be_visible()
        biennial = Count.objects.get(kind=CountKind.BIENNIAL).pk
        _count(tab, seen)

    # ---- 6. The next count cannot close while the discrepancy is open. ------------------
    with _phase(started + timedelta(minutes=90), tab, custodian):
        tab.goto("/inventory/counts/")
        page.get_by_role("link", name="Open the count sheet").click()
        _count(tab, seen)
        page.get_by_role("button", name="Close the count").click()
        expect(page.get_by_text("The count was not closed:")).to_be_visible()
        expect(
            page.get_by_text("A discrepancy from earlier counts is not resolved (K2611A-02)")
        ).to_be_visible()
        assert CountClosure.objects.count() == 1
        tab.screenshot("next-count-refused")
        tab.goto("/inventory/")
        expect(page.locator("#count-due-text")).to_contain_text("Next count due")
        expect(page.locator("#open-discrepancies")).to_have_text("1")
        expect(page.get_by_text("1 unresolved discrepancy")).to_be_visible()
        tab.screenshot("dashboard-discrepancy-open")

    # ---- 7. The clinic lead records the loss. ---------------------------------------------
    with _phase(started + timedelta(minutes=100), tab, lead):
        expect(page.locator("#home-discrepancies")).to_have_text("1")
        expect(page.locator("#home-awaiting")).to_have_text("0")
        tab.screenshot("home-lead-discrepancy")
        tab.goto("/inventory/counts/")
        page.get_by_role("link", name=f"K2611A-02 (-5.00 mg, count #{routine})").click()
        page.get_by_label("What the investigation found").select_option(
            label="Loss or theft confirmed (DEA Form 106)"
        )
        page.get_by_label("Notes").fill(LOSS_NOTES)
        page.get_by_label("DEA Form 106 reference").fill(FORM_106)
        page.get_by_role("button", name="Record the resolution").click()
        expect(page.get_by_text("Discrepancy resolved.")).to_be_visible()
        expect(page.get_by_text(LOSS_NOTES, exact=True)).to_be_visible()
        tab.screenshot("discrepancy-resolved")
    lost = StockEntry.objects.get(kind=EntryKind.LOST)
    assert (lost.container.label, lost.mg, lost.reference) == (
        "K2611A-02",
        Decimal("5.00"),
        FORM_106,
    )

    # ---- 8. Now the biennial inventory closes: the record holds what was seen. ---------
    with _phase(started + timedelta(minutes=110), tab, custodian):
        tab.goto("/inventory/counts/")
        page.get_by_role("link", name="Open the count sheet").click()
        page.get_by_role("button", name="Close the count").click()
        expect(
            page.get_by_text("Count closed: every container matched the record.")
        ).to_be_visible()
        tab.goto("/inventory/")
        expect(page.locator("#total-mg")).to_have_text("955.00")
        expect(page.locator("#verdict")).to_have_text("Balances")
        expect(page.get_by_text("No unresolved discrepancy.")).to_be_visible()
        expect(page.locator("#open-discrepancies")).to_have_text("0")
        last_closed = CountClosure.objects.latest("closed_at").closed_at
        expect(page.locator("#count-due")).to_have_text(
            f"{timezone.localtime(last_closed + timedelta(hours=24)):%-d %b %H:%M}"
        )
        _screen_and_print(tab, "dashboard")
        page.set_viewport_size(TABLET)
        tab.screenshot("dashboard-tablet")
        page.set_viewport_size(DESKTOP)
        # The vial's own history: received, drawn, wasted before the witness, lost.
        page.get_by_role("link", name="K2611A-02").click()
        expect(page.locator("#on-hand-mg")).to_have_text("480.00")
        for kind, mg in (
            ("Received", "500.00"),
            ("Drawn into a syringe", "15.00"),
            ("Wasted (witnessed)", "15.00"),
            ("Lost or stolen", "5.00"),
        ):
            expect(page.get_by_role("row").filter(has_text=kind)).to_contain_text(mg)
        _screen_and_print(tab, "container")
        tab.goto("/")
        expect(page.locator("#home-on-hand")).to_have_text("955.00 mg base in 2 containers")
        expect(page.locator("#home-discrepancies")).to_have_text("0")
        tab.screenshot("home-custodian")
    [lot] = selectors.lot_balances()
    assert lot.received_mg == Decimal("1000.00")
    assert lot.buckets == {
        Bucket.ON_HAND: Decimal("955.00"),
        Bucket.IN_SYRINGE: Decimal("0.00"),
        Bucket.GIVEN: given,
        Bucket.WASTED: wasted,
        Bucket.DISPOSED: Decimal("0.00"),
        Bucket.RETURNED: Decimal("0.00"),
        Bucket.LOST: Decimal("5.00"),
    }
    assert Discrepancy.objects.count() == 1

    # ---- 9. The logs, as the lead (or an inspector beside her) reads them. --------------
    with _phase(started + timedelta(minutes=120), tab, lead):
        page.get_by_role("navigation", name="Main").get_by_role(
            "link", name="Controlled substances"
        ).click()
        page.get_by_role("navigation", name="Controlled substances").get_by_role(
            "link", name="Reports"
        ).click()
        page.get_by_role("link", name="Receipt log").click()
        page.wait_for_url("**/reports/receipts/**")
        [receipt] = _report_rows(tab)
        assert receipt[4:] == [
            "INV-2611",
            str(setup.product.name),
            "0409-2053-10",
            "K2611A",
            f"{expiry:%Y-%m-%d}",
            "2",
            "K2611A-01, K2611A-02",
            "1000.00",
            "Whitford Test",
        ]
        assert _totals(tab)["mg received (base)"] == "1000.00"
        _screen_and_print(tab, "receipt-log")

        tab.goto("/inventory/reports/dispensing/")
        [dispensed] = _report_rows(tab)
        assert dispensed[1] == f"{HOSTILE}, Avery"  # shown as text, not bold
        assert dispensed[4:10] == [
            "K2611A-01: 0.50 mL; K2611A-02: 0.30 mL",
            "K2611A",
            "40.00",
            f"{given}",
            f"{wasted}",
            "Okafor Test",
        ]
        assert dispensed[11:] == ["Okafor Test", "Haddad Test"]
        _screen_and_print(tab, "dispensing-log")

        tab.goto("/inventory/reports/waste/")
        # Given first from the first vial drawn (FIFO): K2611A-01 gave 8.05 of its 25.00.
        assert [(r[2], r[3], r[7], r[8], r[9], r[12], r[13]) for r in _report_rows(tab)] == [
            (
                "Wasted (witnessed)",
                "K2611A-01",
                "16.95",
                "0.34",
                f"#{booked.pk}",
                "Okafor Test",
                "Haddad Test",
            ),
            (
                "Wasted (witnessed)",
                "K2611A-02",
                "15.00",
                "0.30",
                f"#{booked.pk}",
                "Okafor Test",
                "Haddad Test",
            ),
        ]
        assert _totals(tab)["mg wasted from syringes (witnessed)"] == f"{wasted}"
        _screen_and_print(tab, "waste-log")

        tab.goto("/inventory/reports/counts/")
        lines = _report_rows(tab)
        assert [(r[0], r[6], r[8], r[9], r[10], r[11]) for r in lines] == [
            (str(routine), "K2611A-01", "475.00", "9.50", "475.00", ""),
            (str(routine), "K2611A-02", "485.00", "9.60", "480.00", "-5.00"),
            (str(biennial), "K2611A-01", "475.00", "9.50", "475.00", ""),
            (str(biennial), "K2611A-02", "480.00", "9.60", "480.00", ""),
        ]
        assert lines[1][12:14] == ["Loss or theft confirmed (DEA Form 106)", LOSS_NOTES]
        assert lines[1][16] == FORM_106
        _screen_and_print(tab, "count-history")

        tab.goto("/inventory/reports/biennial/")
        assert [(r[0], r[5], r[6]) for r in _report_rows(tab)] == [
            ("K2611A-01", "9.50", "475.00"),
            ("K2611A-02", "9.60", "480.00"),
        ]
        assert _totals(tab)["All lots"] == "2 containers, 19.10 mL, 955.00 mg"
        expect(page.locator(".report-facts")).to_contain_text("Close of business")
        _screen_and_print(tab, "biennial")

    # The refused forms answered 422, which Chromium logs; nothing else may be there.
    assert [e for e in tab.console.errors if "status of 422" not in e] == []


def test_the_custodians_reference_pages_on_a_tablet(
    visit: Tab,  # noqa: F811  # the imported fixture, requested by name
) -> None:
    """Every stock page a custodian opens, at tablet width, with one refusal each where a
    form can refuse: the screenshots are for looking at (tests/artifacts/)."""
    tab, page = visit, visit.page
    page.set_viewport_size(TABLET)
    custodian = make_staff("whitford", Role.CUSTODIAN)
    TOTPDevice.objects.create(user=custodian, name="Phone", confirmed=True)
    make_staff("okafor", Role.NURSE)
    setup = set_up(custodian)
    receipt = setup.receive(containers=2)
    received = StockEntry.objects.filter(kind=EntryKind.RECEIVED).order_by("id").first()
    assert received is not None
    sign_in(tab, custodian)

    tab.goto("/inventory/registration/")
    expect(page.get_by_role("heading", name="DEA registration", level=1)).to_be_visible()
    expect(page.locator("main")).to_contain_text("BK1234563")
    tab.screenshot("registration")

    tab.goto("/inventory/suppliers/")
    expect(
        page.get_by_role("row", name=re.compile("Synthetic Pharma Distribution"))
    ).to_be_visible()
    page.get_by_label("DEA number").fill("PA7352015")  # the check digit is 4
    page.get_by_label("Name").fill("Second Distributor")
    page.get_by_label("Address").fill("1 Wharf Lane")
    page.get_by_role("button", name=re.compile("Add")).click()
    expect(page.get_by_text("PA7352015 fails the DEA check digit")).to_be_visible()
    tab.screenshot("suppliers-refused")

    tab.goto("/inventory/products/")
    expect(page.locator("main")).to_contain_text("0409-2053-10")
    expect(page.locator("main")).to_contain_text("57.65")
    tab.screenshot("products")

    tab.goto("/inventory/locations/")
    expect(page.locator("main")).to_contain_text("Safe A")
    tab.screenshot("locations")

    tab.goto("/inventory/receive/")
    page.get_by_label("Product").select_option(label=str(setup.product))
    page.locator("#id_lot_number").fill("K2611B")
    page.get_by_label("Expiry date").fill(f"{timezone.localdate() - timedelta(days=1)}")
    page.get_by_label("Supplier").select_option(label=setup.supplier.name)
    page.get_by_label("Invoice number").fill("INV-2612")
    page.get_by_label("Number of containers").fill("1")
    page.get_by_label("Stored in").select_option(label="Safe A")
    page.get_by_role("button", name="Receive").click()
    expect(page.get_by_text("before it was received: do not accept it")).to_be_visible()
    tab.screenshot("receive-refused")

    tab.goto(f"/inventory/receipts/{receipt.pk}/")
    expect(page.locator("#received-mg")).to_have_text("1000.00")
    tab.screenshot("receipt")

    tab.goto(f"/inventory/entries/{received.pk}/correct")
    expect(page.get_by_role("heading", name=f"Correct entry {received.pk}")).to_be_visible()
    page.get_by_label(re.compile("Difference")).fill("-10")
    page.get_by_label(re.compile("Why|Reason")).fill("Vial label misread at receipt.")
    page.get_by_label("Witness's username").fill("okafor")
    page.get_by_label("Witness's password").fill("not-the-password")
    page.get_by_role("button", name=re.compile("correction", re.IGNORECASE)).click()
    expect(page.get_by_text("were not accepted")).to_be_visible()
    assert StockEntry.objects.filter(corrects__isnull=False).count() == 0
    tab.screenshot("correct-refused")
    assert [e for e in tab.console.errors if "status of 422" not in e] == []
