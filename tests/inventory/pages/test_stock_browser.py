"""The custodian in a real browser: receive three vials, see them on the stock page, and
destroy one on site before two witnesses who type their own credentials (the second with
their authenticator's code). Screenshots of each page go to tests/artifacts/.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.inventory.enums import EntryKind
from ketamine_clinic.inventory.models import Container, StockEntry
from tests.browser.conftest import (  # noqa: F401  # the browser fixtures, used by name
    BROWSER_TEST,
    Visit,
    app_server,
    browser,
    visit,
)
from tests.browser.test_sign_in import current_code, sign_in_with_password
from tests.conftest import PERSONA_PASSWORD, make_staff
from tests.inventory.pages.support import set_up

pytestmark = BROWSER_TEST


def test_the_custodian_receives_three_vials_and_destroys_one_before_two_witnesses(
    visit: Visit,  # noqa: F811  # the imported fixture, requested by name
) -> None:
    custodian = make_staff("okafor", Role.CUSTODIAN)
    custodian_phone = TOTPDevice.objects.create(user=custodian, name="Phone", confirmed=True)
    make_staff("reyes", Role.NURSE)
    prescriber = make_staff("haddad", Role.PRESCRIBER)
    prescriber_phone = TOTPDevice.objects.create(user=prescriber, name="Phone", confirmed=True)
    setup = set_up(custodian)
    expiry = timezone.localdate() + timedelta(days=400)
    page = visit.page
    page.set_viewport_size({"width": 1280, "height": 900})

    sign_in_with_password(visit, "okafor")
    page.locator('input[name="otp_token"]').fill(current_code(custodian_phone))
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Controlled substances"
    ).click()
    expect(page.get_by_role("heading", name="Controlled substances", level=1)).to_be_visible()
    page.get_by_role("link", name="Receive stock").click()

    expect(page.get_by_role("heading", name="Receive stock")).to_be_visible()
    page.get_by_label("Product").select_option(label=str(setup.product))
    page.locator("#id_lot_number").fill("K2611A")
    page.get_by_label("Expiry date").fill(expiry.isoformat())
    page.get_by_label("Supplier").select_option(label=setup.supplier.name)
    page.get_by_label("Invoice number").fill("INV-2611")
    page.get_by_label("Number of containers").fill("3")
    page.get_by_label("Stored in").select_option(label="Safe A")
    page.get_by_label("Notes").fill("<script>alert('x')</script> outer box dented")
    visit.screenshot("receive-form")
    page.get_by_role("button", name="Receive").click()

    expect(page.get_by_text("Received 3 container(s) of lot K2611A")).to_be_visible()
    expect(page.locator("#received-mg")).to_have_text("1500.00")
    expect(page.get_by_text("<script>alert('x')</script> outer box dented")).to_be_visible()
    visit.screenshot("receipt")

    page.get_by_role("link", name="Stock", exact=True).click()
    expect(page.locator("#total-mg")).to_have_text("1500.00")
    expect(page.locator("#total-ml")).to_have_text("30.00")
    expect(page.locator("#verdict")).to_have_text("Balances")
    visit.screenshot("dashboard")
    page.set_viewport_size({"width": 768, "height": 1024})
    visit.screenshot("dashboard-tablet")
    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Controlled substances")).to_be_hidden()
    visit.screenshot("dashboard-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.get_by_role("link", name="K2611A-02").click()
    expect(page.get_by_role("heading", name="Container K2611A-02")).to_be_visible()
    form = page.locator("#remove form")
    form.get_by_label("How it leaves").select_option("on_site")
    form.get_by_label("Why").select_option("damaged")
    form.get_by_label("Reference").fill("Form 41 #2026-07")
    form.get_by_label("Witness's username", exact=True).fill("reyes")
    form.get_by_label("Witness's password", exact=True).fill("not the password")
    form.get_by_label("Second witness's username").fill("haddad")
    form.get_by_label("Second witness's password").fill(PERSONA_PASSWORD)
    form.get_by_label("Second witness's 6-digit code").fill(current_code(prescriber_phone))
    form.get_by_role("button", name="Record disposal or return").click()

    expect(
        page.get_by_text("The witness's username and password were not accepted")
    ).to_be_visible()
    assert StockEntry.objects.filter(kind=EntryKind.DISPOSED).count() == 0
    visit.screenshot("container-refused")

    form = page.locator("#remove form")
    form.get_by_label("Witness's password", exact=True).fill(PERSONA_PASSWORD)
    form.get_by_label("Second witness's password").fill(PERSONA_PASSWORD)
    # Passwords and codes are never sent back: each witness types theirs again.
    expect(form.get_by_label("Second witness's 6-digit code")).to_have_value("")
    form.get_by_label("Second witness's 6-digit code").fill(current_code(prescriber_phone))
    form.get_by_role("button", name="Record disposal or return").click()

    expect(page.get_by_text("500.00 mg of base disposed of (witnessed)")).to_be_visible()
    expect(page.locator("#on-hand-mg")).to_have_text("0.00")
    expect(page.get_by_role("row").filter(has_text="Disposed of (witnessed)")).to_contain_text(
        "Reyes Test, Haddad Test"
    )
    visit.screenshot("container")
    # The refused form came back with 422, which Chromium logs; nothing else may be there
    # (a CSP violation would be).
    assert [e for e in visit.console.errors if "status of 422" not in e] == []
    vial = Container.objects.get(label="K2611A-02")
    disposed = StockEntry.objects.get(container=vial, kind=EntryKind.DISPOSED)
    assert (disposed.witness.username, disposed.second_witness.username) == (  # type: ignore[union-attr]
        "reyes",
        "haddad",
    )
