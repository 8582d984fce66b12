"""A count with a discrepancy and its resolution, in a real browser: the custodian and a
prescriber each count on their own sheet, the count closes with one vial short, the
clinic lead confirms the loss, and the count history prints it. Screenshots of each
page go to tests/artifacts/.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import second_factor_required
from ketamine_clinic.inventory.enums import EntryKind
from ketamine_clinic.inventory.models import Container, Count, StockEntry
from tests.browser.conftest import (  # noqa: F401  # the browser fixtures, used by name
    BROWSER_TEST,
    Visit,
    app_server,
    browser,
    visit,
)
from tests.browser.test_sign_in import current_code, sign_in_with_password, sign_out
from tests.conftest import make_staff
from tests.inventory.reports_support import receive

pytestmark = BROWSER_TEST


def sign_in(tab: Visit, user: User) -> None:
    """With a password, and the authenticator's code where the role requires one."""
    sign_in_with_password(tab, user.username)
    if second_factor_required(user):
        phone = TOTPDevice.objects.get(user=user)
        tab.page.locator('input[name="otp_token"]').fill(current_code(phone))
        tab.page.get_by_role("button", name="Continue").click()
    expect(tab.page.get_by_role("button", name="Sign out")).to_be_visible()


def count_everything(tab: Visit, stock: dict[str, Container], short_ml: str) -> None:
    """Tick every vial sealed and full, except R2603A-01, where `short_ml` is seen."""
    page = tab.page
    for label, container in stock.items():
        if label == "R2603A-01":
            page.locator(f'input[name="ml_{container.pk}"]').fill(short_ml)
        else:
            page.locator(f'input[name="sealed_{container.pk}"]').check()
    page.get_by_role("button", name="Save my figures").click()
    expect(page.get_by_text("5 figures saved; you have counted 5 of 5 containers.")).to_be_visible()


def test_two_counters_find_a_vial_short_and_the_lead_records_the_loss(
    visit: Visit,  # noqa: F811  # the imported fixture, requested by name
) -> None:
    custodian = make_staff("okafor", Role.CUSTODIAN)
    prescriber = make_staff("haddad", Role.PRESCRIBER)
    lead = make_staff("lindqvist", Role.CLINIC_LEAD)
    for person in (custodian, prescriber, lead):
        if second_factor_required(person):
            TOTPDevice.objects.create(user=person, name="Phone", confirmed=True)
    stock = receive({"custodian": custodian})[2]
    page = visit.page
    page.set_viewport_size({"width": 1024, "height": 768})

    # The custodian starts a routine count of every location and counts alone.
    sign_in(visit, custodian)
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Controlled substances"
    ).click()
    page.get_by_role("navigation", name="Controlled substances").get_by_role(
        "link", name="Counts"
    ).click()
    expect(page.get_by_role("heading", name="Counts", level=1)).to_be_visible()
    page.get_by_role("button", name="Start the count").click()
    expect(page.get_by_role("heading", name=re.compile(r"^Routine count #\d+$"))).to_be_visible()
    # Ids are not reset between transactional tests: read the count's own from the database.
    count_id = Count.objects.get().pk
    expect(page.get_by_role("heading", name=f"Routine count #{count_id}")).to_be_visible()
    count_everything(visit, stock, "9.50")
    visit.screenshot("count-sheet")
    page.get_by_role("button", name="Close the count").click()
    expect(page.get_by_text("The count was not closed:")).to_be_visible()
    expect(page.get_by_text("Two people must count: only one person has counted.")).to_be_visible()
    sign_out(visit)

    # The prescriber sees how far the custodian got, not what they counted.
    sign_in(visit, prescriber)
    visit.goto("/inventory/counts/")
    page.get_by_role("link", name="Open the count sheet").click()
    expect(page.get_by_text("has counted 5 of 5 containers.")).to_be_visible()
    assert page.locator('input[value="9.50"]').count() == 0
    page.set_viewport_size({"width": 768, "height": 1024})
    visit.screenshot("count-sheet-second-counter-tablet")
    count_everything(visit, stock, "9.50")
    page.get_by_role("button", name="Close the count").click()
    expect(page.get_by_text("Count closed with 1 discrepancy")).to_be_visible()
    row = page.get_by_role("row", name="R2603A-01")
    expect(row).to_contain_text("500.00")
    expect(row).to_contain_text("475.00")
    expect(row).to_contain_text("-25.00")
    visit.screenshot("count-closed")
    sign_out(visit)

    # The lead investigates and confirms a loss: 25.00 mg leaves the record as lost.
    sign_in(visit, lead)
    page.set_viewport_size({"width": 1024, "height": 768})
    visit.goto("/inventory/counts/")
    page.get_by_role("link", name=f"R2603A-01 (-25.00 mg, count #{count_id})").click()
    expect(page.get_by_text("Form 106 within one business day")).to_be_visible()
    visit.screenshot("discrepancy")
    page.get_by_label("What the investigation found").select_option(
        label="Loss or theft confirmed (DEA Form 106)"
    )
    page.get_by_label("Notes").fill("<b>0.5 mL</b> gone; CCTV reviewed, police informed.")
    page.get_by_label("DEA Form 106 reference").fill("F106-2026-014")
    page.get_by_role("button", name="Record the resolution").click()
    expect(page.get_by_text("Discrepancy resolved.")).to_be_visible()
    expect(
        page.get_by_text("<b>0.5 mL</b> gone; CCTV reviewed, police informed.", exact=True)
    ).to_be_visible()
    lost = StockEntry.objects.get(kind=EntryKind.LOST)
    assert (lost.container.label, lost.mg) == ("R2603A-01", Decimal("25.00"))
    visit.screenshot("discrepancy-resolved")

    # The count history shows it, on screen and printed.
    page.get_by_role("navigation", name="Controlled substances").get_by_role(
        "link", name="Reports"
    ).click()
    page.get_by_role("link", name="Count history").click()
    line = page.get_by_role("row", name="R2603A-01")
    expect(line).to_contain_text("-25.00")
    expect(line).to_contain_text("Loss or theft confirmed (DEA Form 106)")
    expect(line).to_contain_text("F106-2026-014")
    visit.screenshot("count-history")
    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Show")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Controlled substances")).to_be_hidden()
    visit.screenshot("count-history-print")
    # The refused close answered 422, which the browser logs; nothing else went wrong.
    unexpected = [e for e in visit.console.errors if "status of 422" not in e]
    assert unexpected == []
