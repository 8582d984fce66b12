"""The logs say exactly what was done: a known month (tests/inventory/reports_support.py)
read back through every report, as selectors, as the printed page and as CSV, and tied
to the ledger's per-lot balances."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.inventory import reports
from ketamine_clinic.inventory.enums import Bucket
from ketamine_clinic.inventory.selectors import lot_balances
from ketamine_clinic.inventory.services.use import DrawLine
from ketamine_clinic.orders.selectors import current_order
from ketamine_clinic.orders.services import syringe_prepare
from tests.conftest import client_for
from tests.infusion.support import make_ready_visit
from tests.inventory.reports_support import (
    CLINIC_DEA,
    FORM_106,
    LOSS_NOTES,
    NDC,
    PRODUCT_NAME,
    REGISTRANT,
    SUPPLIER_ADDRESS,
    SUPPLIER_DEA,
    SUPPLIER_NAME,
    Month,
    month,
)
from tests.visits.support import NOW, frozen

pytestmark = pytest.mark.django_db

NONE = reports.ReportFilters()
# The pump's record of the visit: 55 min at the order's rate (0.5 mg/kg for 72.5 kg over
# 55 min, 36.25 mg planned) as the pump ran it, to its rate resolution: 36.21 mg given.
# Drawn 0.60 mL (30.00 mg) from R2603A-01 then 0.40 mL (20.00 mg) from R2603A-02; the
# given mg is attributed in the order drawn: 30.00 from -01, 6.21 from -02, 13.79 wasted.
GIVEN = "36.21"
WASTED = "13.79"


class TableReader(HTMLParser):
    """The cells of the report's table and the totals' values, as text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.totals: dict[str, str] = {}
        self._in_table = self._in_body = self._in_totals = False
        self._cell: list[str] | None = None
        self._label = ""
        self._kind = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if tag == "table" and "report-table" in classes:
            self._in_table = True
        elif tag == "section" and "report-totals" in classes:
            self._in_totals = True
        elif self._in_table and tag == "tbody":
            self._in_body = True
        elif self._in_body and tag == "tr":
            self.rows.append([])
        elif (self._in_body and tag == "td") or (self._in_totals and tag in {"dt", "dd"}):
            self._cell, self._kind = [], tag

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in_table = self._in_body = False
        elif tag == "section":
            self._in_totals = False
        elif self._cell is not None and tag == self._kind:
            text = "".join(self._cell).strip()
            if tag == "td":
                self.rows[-1].append(text)
            elif tag == "dt":
                self._label = text
            else:
                self.totals[self._label] = text
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def page(client: Client, name: str, query: str = "") -> TableReader:
    response = client.get(reverse(f"inventory:{name}") + query)
    assert response.status_code == 200, response.content.decode()[:2000]
    reader = TableReader()
    reader.feed(response.content.decode())
    return reader


def csv_rows(client: Client, name: str, query: str = "") -> list[list[str]]:
    separator = "&" if query else "?"
    response = client.get(reverse(f"inventory:{name}") + query + f"{separator}format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def known(personas: dict[str, User]) -> Month:
    return month(personas)


@pytest.fixture
def lead(known: Month, personas: dict[str, User]) -> Client:
    # After the month: signing in gives the persona an authenticator, which a witness
    # would then have to enter a code from.
    return client_for(personas["clinic_lead"])


def test_the_receipt_log_lists_both_invoices_with_the_suppliers_details(known: Month) -> None:
    report = reports.receipt_log(NONE)
    common = (SUPPLIER_NAME, SUPPLIER_ADDRESS, SUPPLIER_DEA)
    assert report.rows == [
        ("2026-03-02", *common, "INV-7001", PRODUCT_NAME, NDC, "R2603A", "2027-06-30", "3",
         "R2603A-01, R2603A-02, R2603A-03", "1500.00", "P_Custodian Test"),
        ("2026-03-05", *common, "INV-7002", PRODUCT_NAME, NDC, "R2603B", "2027-09-30", "2",
         "R2603B-01, R2603B-02", "1000.00", "P_Custodian Test"),
    ]  # fmt: skip
    assert [(t.label, t.value) for t in report.totals] == [
        ("Receipts", "2"),
        ("Containers received", "5"),
        ("mg received (base)", "2500.00"),
    ]


def test_the_dispensing_log_has_the_syringe_drawn_given_and_wasted(
    known: Month, personas: dict[str, User]
) -> None:
    report = reports.dispensing_log(NONE, by=personas["clinic_lead"], purpose="page")
    patient = known.visit.patient
    assert report.rows == [
        (
            "2026-03-10 09:30",
            patient.display_name,
            patient.mrn,
            f"#{known.visit.pk} Infusion 1 of 6, 2026-03-10",
            "R2603A-01: 0.60 mL; R2603A-02: 0.40 mL",
            "R2603A",
            "50.00",
            GIVEN,
            WASTED,
            "P_Nurse Test",
            "2026-03-10 10:30",
            "P_Nurse Test",
            "P_Prescriber Test",
        )
    ]
    assert (known.account.given_mg, known.account.wasted_mg) == (Decimal(GIVEN), Decimal(WASTED))
    assert {t.label: t.value for t in report.totals} == {
        "Syringes": "1",
        "mg drawn": "50.00",
        "mg given": GIVEN,
        "mg wasted": WASTED,
        "Syringes awaiting account": "0",
    }


def test_reading_the_dispensing_log_is_audited_with_its_patients(
    known: Month, personas: dict[str, User], lead: Client
) -> None:
    before = AuditEntry.objects.filter(object_type="dispensing_log").count()
    page(lead, "report_dispensing")
    csv_rows(lead, "report_dispensing")
    reads = list(
        AuditEntry.objects.filter(object_type="dispensing_log", action=AuditAction.READ).order_by(
            "seq"
        )
    )
    assert len(reads) == before + 2
    assert [r.detail["purpose"] for r in reads[-2:]] == ["page", "csv"]
    assert reads[-1].detail["patient_ids"] == [known.visit.patient_id]
    assert reads[-1].actor_username == personas["clinic_lead"].username


def test_the_waste_log_has_the_syringe_waste_the_destruction_and_the_return(
    known: Month,
) -> None:
    report = reports.waste_log(NONE)
    kinds = [
        (row[2], row[3], row[7], row[10], row[11], row[13], row[14], row[15]) for row in report.rows
    ]
    assert kinds == [
        ("Wasted (witnessed)", "R2603A-02", WASTED, "", "", "P_Prescriber Test", "", ""),
        ("Disposed of (witnessed)", "R2603A-03", "500.00", "Destroyed on site (DEA Form 41)",
         "Contaminated or suspect", "P_Nurse Test", "P_Prescriber Test", "Form 41 #41-0007"),
        ("Returned (witnessed)", "R2603B-02", "500.00", "Sent to a reverse distributor",
         "Recalled by the manufacturer", "P_Nurse Test", "", "RD-5521"),
    ]  # fmt: skip
    assert report.rows[0][9] == f"#{known.visit.pk}"
    assert {t.label: t.value for t in report.totals} == {
        "mg wasted from syringes (witnessed)": WASTED,
        "mg destroyed on site": "500.00",
        "mg returned": "500.00",
    }


def test_the_count_history_has_the_lines_and_the_resolved_loss(known: Month) -> None:
    report = reports.count_history(NONE)
    head = (
        str(known.count.pk),
        "Biennial inventory (DEA)",
        "Close of business",
        "All locations",
        "2026-03-12 17:00",
        "P_Prescriber Test and P_Custodian Test",
    )
    blank = ("", "", "", "", "", "")
    assert report.rows == [
        (*head, "R2603A-01", "R2603A", "470.00", "9.40", "470.00", *blank),
        (*head, "R2603A-02", "R2603A", "480.00", "9.50", "475.00", "-5.00",
         "Loss or theft confirmed (DEA Form 106)", LOSS_NOTES, "P_Clinic_Lead Test",
         "2026-03-13 10:00", FORM_106),
        (*head, "R2603B-01", "R2603B", "500.00", "10.00", "500.00", *blank),
    ]  # fmt: skip
    assert {t.label: t.value for t in report.totals} == {
        "Counts": "1",
        "Containers counted": "3",
        "Discrepancies": "1",
        "Discrepancies still open": "0",
        "Net difference (counted minus record), mg": "-5.00",
    }


def test_the_biennial_inventory_has_the_count_the_registrant_and_totals_per_lot(
    known: Month,
) -> None:
    report = reports.biennial_inventory(NONE)
    facts = {t.label: t.value for t in report.facts}
    assert facts["Inventory date"] == "2026-03-12"
    assert facts["Taken at"] == "Close of business"
    assert (facts["Registrant"], facts["DEA registration"]) == (REGISTRANT, CLINIC_DEA)
    assert report.rows == [
        ("R2603A-01", PRODUCT_NAME, NDC, "R2603A", "2027-06-30", "9.40", "470.00"),
        ("R2603A-02", PRODUCT_NAME, NDC, "R2603A", "2027-06-30", "9.50", "475.00"),
        ("R2603B-01", PRODUCT_NAME, NDC, "R2603B", "2027-09-30", "10.00", "500.00"),
    ]
    assert [(t.label, t.value) for t in report.totals] == [
        ("Lot R2603A (NDC 0409-2053-10, expires 2027-06-30)", "2 containers, 18.90 mL, 945.00 mg"),
        ("Lot R2603B (NDC 0409-2053-10, expires 2027-09-30)", "1 container, 10.00 mL, 500.00 mg"),
        ("All lots", "3 containers, 28.90 mL, 1445.00 mg"),
    ]


def test_the_logs_add_up_to_each_lots_balance_in_the_ledger(
    known: Month, personas: dict[str, User]
) -> None:
    """received = on hand + given + wasted + disposed + returned + lost, from the logs."""
    for lot in (known.lot_a, known.lot_b):
        only = reports.ReportFilters(lot=lot)
        received = Decimal(reports.receipt_log(only).totals[2].value)
        dispensing = {
            t.label: t.value
            for t in reports.dispensing_log(only, by=personas["clinic_lead"], purpose="page").totals
        }
        waste = [Decimal(t.value) for t in reports.waste_log(only).totals]
        loss = -sum(
            (Decimal(row[11]) for row in reports.count_history(only).rows if row[11]), Decimal(0)
        )
        on_hand = sum(
            (Decimal(row[6]) for row in reports.biennial_inventory(only).rows), Decimal(0)
        )
        (balance,) = lot_balances(lot_ids=[lot.pk])
        assert received == balance.received_mg
        assert Decimal(dispensing["mg given"]) == balance.buckets[Bucket.GIVEN]
        assert waste == [
            balance.buckets[Bucket.WASTED],
            balance.buckets[Bucket.DISPOSED],
            balance.buckets[Bucket.RETURNED],
        ]
        assert loss == balance.buckets[Bucket.LOST]
        # The count was the last thing done: what it counted is what is on hand now.
        assert on_hand == balance.buckets[Bucket.ON_HAND]
        assert received == on_hand + Decimal(dispensing["mg given"]) + sum(waste) + loss
    assert [lot.lot_number for lot in (known.lot_a, known.lot_b)] == ["R2603A", "R2603B"]
    assert lot_balances()[0].buckets[Bucket.LOST] == Decimal("5.00")


REPORT_SELECTORS = {
    "report_receipts": lambda f, by: reports.receipt_log(f),
    "report_dispensing": lambda f, by: reports.dispensing_log(f, by=by, purpose="page"),
    "report_waste": lambda f, by: reports.waste_log(f),
    "report_counts": lambda f, by: reports.count_history(f),
    "report_biennial": lambda f, by: reports.biennial_inventory(f),
}


@pytest.mark.parametrize("name", sorted(REPORT_SELECTORS))
def test_the_page_and_the_csv_show_the_same_rows_as_the_report(
    name: str, known: Month, lead: Client, personas: dict[str, User]
) -> None:
    report = REPORT_SELECTORS[name](NONE, personas["clinic_lead"])
    assert report.rows, "the month put something in every log"
    expected = [list(row) for row in report.rows]
    printed = page(lead, name)
    assert printed.rows == expected
    assert printed.totals == {t.label: t.value for t in report.totals}
    downloaded = csv_rows(lead, name)
    assert downloaded[0] == list(report.columns)
    assert downloaded[1:] == expected


def test_every_report_prints_the_clinic_and_its_dea_registration(
    known: Month, lead: Client
) -> None:
    for name in REPORT_SELECTORS:
        html = lead.get(reverse(f"inventory:{name}")).content.decode()
        assert f'<p class="report-clinic">{settings.KC_CLINIC_NAME}</p>' in html
        assert f"DEA registration <strong>{CLINIC_DEA}</strong>" in html
        assert REGISTRANT in html
        assert 'href="/static/inventory/reports.css"' in html


def test_filters_by_date_range_and_lot_narrow_the_rows(known: Month, lead: Client) -> None:
    receipts = page(lead, "report_receipts", "?date_to=2026-03-03")
    assert [row[4] for row in receipts.rows] == ["INV-7001"]
    receipts = page(lead, "report_receipts", "?date_from=2026-03-03&date_to=2026-03-31")
    assert [row[4] for row in receipts.rows] == ["INV-7002"]
    receipts = page(lead, "report_receipts", f"?lot={known.lot_b.pk}")
    assert [row[4] for row in receipts.rows] == ["INV-7002"]
    assert receipts.totals["mg received (base)"] == "1000.00"

    waste = csv_rows(lead, "report_waste", "?date_from=2026-03-11")
    assert [row[3] for row in waste[1:]] == ["R2603A-03", "R2603B-02"]
    waste = csv_rows(lead, "report_waste", f"?lot={known.lot_b.pk}")
    assert [row[3] for row in waste[1:]] == ["R2603B-02"]

    assert page(lead, "report_dispensing", f"?lot={known.lot_b.pk}").rows == []
    assert page(lead, "report_dispensing", "?date_from=2026-03-11").rows == []
    assert (
        len(page(lead, "report_dispensing", "?date_from=2026-03-10&date_to=2026-03-10").rows) == 1
    )

    counts = page(lead, "report_counts", f"?lot={known.lot_b.pk}")
    assert [row[6] for row in counts.rows] == ["R2603B-01"]
    assert counts.totals["Discrepancies"] == "0"
    biennial = page(lead, "report_biennial", f"?lot={known.lot_a.pk}")
    assert [row[0] for row in biennial.rows] == ["R2603A-01", "R2603A-02"]
    assert biennial.totals["All lots"] == "2 containers, 18.90 mL, 945.00 mg"
    assert page(lead, "report_biennial", "?date_to=2026-03-11").rows == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?date_from=2026-13-45", "Enter a date as yyyy-mm-dd, e.g. 2026-03-10."),
        ("?date_from=2026-03-12&date_to=2026-03-01", "The start date must be on or before the end date."),
        ("?lot=abc", "There is no such lot: pick one from the list."),
        ("?lot=999999", "There is no such lot: pick one from the list."),
    ],
)  # fmt: skip
def test_bad_filters_give_a_clear_error_not_a_crash(
    query: str, message: str, known: Month, lead: Client
) -> None:
    for name in REPORT_SELECTORS:
        response = lead.get(reverse(f"inventory:{name}") + query)
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html
        assert "report-table" not in html
        as_csv = lead.get(reverse(f"inventory:{name}") + query + "&format=csv")
        assert as_csv.status_code == 400
        assert as_csv["Content-Type"] == "text/plain; charset=utf-8"
        assert message in as_csv.content.decode()


def test_a_syringe_not_yet_accounted_for_shows_what_was_drawn_and_awaits_its_account(
    known: Month, personas: dict[str, User]
) -> None:
    visit = make_ready_visit(personas)
    order = current_order(visit)
    assert order is not None
    with frozen(NOW):
        syringe_prepare(
            order,
            by=personas["nurse"],
            draws=[DrawLine(known.containers["R2603B-01"].pk, Decimal("0.80"))],
        )
    report = reports.dispensing_log(NONE, by=personas["clinic_lead"], purpose="page")
    assert len(report.rows) == 2
    waiting = report.rows[1]
    assert waiting[4:9] == ("R2603B-01: 0.80 mL", "R2603B", "40.00", "", "")
    assert waiting[10:] == ("", "awaiting account", "")
    totals = {t.label: t.value for t in report.totals}
    assert (totals["mg drawn"], totals["mg given"], totals["mg wasted"]) == ("90.00", GIVEN, WASTED)
    assert totals["Syringes awaiting account"] == "1"
