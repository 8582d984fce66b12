"""The clinic lead in a real browser: from the menu to the export page, a Parquet zip
downloaded, and the export then listed on the page."""

from __future__ import annotations

import zipfile

from playwright.sync_api import expect

from ketamine_clinic.accounts.enums import Role
from tests.browser.conftest import (  # noqa: F401 - fixtures used by name
    BROWSER_TEST,
    Visit,
    app_server,
    browser,
    visit,
)
from tests.browser.test_sign_in import sign_in_with_password
from tests.conftest import make_staff
from tests.research.support import seed_identified_clinic

pytestmark = BROWSER_TEST


def test_the_lead_downloads_the_parquet_export_and_sees_it_listed(visit: Visit) -> None:  # noqa: F811
    seed_identified_clinic()
    # The clinic lead needs no second factor under the default KC_MFA_REQUIRED_ROLES.
    make_staff("achterberg", Role.CLINIC_LEAD)
    visit.page.set_viewport_size({"width": 1280, "height": 900})
    sign_in_with_password(visit, "achterberg")
    nav = visit.page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Research export").click()
    expect(visit.page.get_by_role("heading", name="Research export", exact=True)).to_be_visible()
    expect(visit.page.get_by_text("No export has been taken yet.")).to_be_visible()
    visit.screenshot("page")

    visit.page.get_by_label("Parquet (typed columns)").check()
    visit.page.get_by_label("From (optional)").fill("2026-03-01")
    with visit.page.expect_download() as downloading:
        visit.page.get_by_role("button", name="Download the export (zip)").click()
    download = downloading.value
    assert download.suggested_filename == "research-export-parquet.zip"
    with zipfile.ZipFile(download.path()) as bundle:
        assert "visits.parquet" in bundle.namelist()

    visit.goto("/research/")
    row = visit.page.get_by_role("row").filter(has_text="achterberg")
    expect(row).to_contain_text("parquet")
    expect(row).to_contain_text("from 2026-03-01")
    expect(row).to_contain_text("visits 9")
    visit.screenshot("listed")
    assert visit.console.errors == []
