"""The dispensing log shows a range PAGE_ROWS syringes at a time: a month of a busy
clinic is some 500 syringes, too many to read and print on every request
(bench/pages.py). The totals stay the whole range's; the CSV keeps every row."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.generate.services import clinic_generate
from ketamine_clinic.inventory import reports
from ketamine_clinic.inventory.reports import PAGE_ROWS, Paging
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

URL = reverse("inventory:report_dispensing")
RANGE = "date_from=2000-01-01"


@pytest.fixture
def clinic(db: None) -> None:
    clinic_generate(patients=40, infusions=120, seed=5, today=date(2026, 3, 10))


def _csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode())))[1:]


def _last_read() -> AuditEntry:
    entry = (
        AuditEntry.objects.filter(object_type="dispensing_log", action=AuditAction.READ)
        .order_by("-seq")
        .first()
    )
    assert entry is not None
    return entry


def test_page_two_shows_the_rows_after_page_one_and_the_totals_of_the_whole_range(
    clinic: None, personas: dict[str, User]
) -> None:
    lead = client_for(personas["clinic_lead"])
    every = _csv(lead.get(f"{URL}?{RANGE}&format=csv").content)
    assert len(every) > PAGE_ROWS, "the generated clinic fills more than one page"
    first = lead.get(f"{URL}?{RANGE}")
    second = lead.get(f"{URL}?{RANGE}&page=2")
    assert [[cell for cell, _ in row] for row in first.context["rows"]] == every[:PAGE_ROWS]
    assert [[cell for cell, _ in row] for row in second.context["rows"]] == every[PAGE_ROWS:]
    whole = reports.dispensing_log(
        reports.ReportFilters(date_from=date(2000, 1, 1)),
        by=personas["clinic_lead"],
        purpose="page",
    )
    assert first.context["report"].totals == second.context["report"].totals == whole.totals
    assert {t.label: t.value for t in whole.totals}["Syringes"] == str(len(every))
    assert second.context["report"].paging == Paging(
        number=2, pages=2, rows=len(every), first_row=PAGE_ROWS + 1, last_row=len(every)
    )


def test_the_pages_link_to_each_other_with_the_same_filters(
    clinic: None, personas: dict[str, User]
) -> None:
    lead = client_for(personas["clinic_lead"])
    first = lead.get(f"{URL}?{RANGE}").content.decode()
    assert 'href="?date_from=2000-01-01&amp;page=2" rel="next"' in first
    assert "Rows 1\u2013100 of" in first
    assert "For the whole range" in first
    second = lead.get(f"{URL}?{RANGE}&page=2").content.decode()
    assert 'href="?date_from=2000-01-01&amp;page=1" rel="prev"' in second
    assert 'rel="next"' not in second


def test_a_page_past_the_end_or_not_a_number_shows_the_nearest_page(
    clinic: None, personas: dict[str, User]
) -> None:
    lead = client_for(personas["clinic_lead"])
    assert lead.get(f"{URL}?{RANGE}&page=99").context["report"].paging.number == 2
    assert lead.get(f"{URL}?{RANGE}&page=x").context["report"].paging.number == 1
    assert lead.get(f"{URL}?{RANGE}&page=0").context["report"].paging.number == 1


def test_page_alone_keeps_the_last_month(clinic: None, personas: dict[str, User]) -> None:
    lead = client_for(personas["clinic_lead"])
    response = lead.get(f"{URL}?page=1")
    assert response.status_code == 200
    assert response.context["filters"].date_from is not None


def test_reading_a_page_audits_the_syringes_and_patients_of_that_page_only(
    clinic: None, personas: dict[str, User]
) -> None:
    lead = client_for(personas["clinic_lead"])
    lead.get(f"{URL}?{RANGE}&format=csv")
    every = _last_read().detail
    lead.get(f"{URL}?{RANGE}&page=2")
    page_two = _last_read().detail
    assert page_two["page"] == 2
    assert 0 < len(page_two["preparation_ids"]) == len(every["preparation_ids"]) - PAGE_ROWS
    assert set(page_two["preparation_ids"]) < set(every["preparation_ids"])
    assert set(page_two["patient_ids"]) <= set(every["patient_ids"])


def test_paging_an_empty_log_is_one_empty_page() -> None:
    assert Paging.of(3, rows=0) == Paging(number=1, pages=1, rows=0, first_row=0, last_row=0)
    assert Paging.of(2, rows=250) == Paging(
        number=2, pages=3, rows=250, first_row=101, last_row=200
    )
