"""The movement logs open on the last month of the record: at a real clinic's scale
(19,000 syringes) the unfiltered dispensing log took minutes to read and print
(bench/pages.py, docs/benchmarks.md), and the page's queries stay bounded."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.generate.services import clinic_generate
from ketamine_clinic.inventory.models import StockEntry
from ketamine_clinic.inventory.reports import latest_movement_day
from ketamine_clinic.inventory.views.reports import DEFAULT_DAYS
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


@pytest.fixture
def clinic(db: None) -> None:
    clinic_generate(patients=40, infusions=120, seed=5, today=TODAY)


def _csv_rows(content: bytes) -> int:
    return len(content.decode().strip().splitlines()) - 1


def test_the_dispensing_log_opens_on_the_last_month_and_its_csv_link_gives_those_rows(
    clinic: None, personas: dict[str, User], django_assert_max_num_queries: object
) -> None:
    lead = client_for(personas["clinic_lead"])
    latest = StockEntry.objects.order_by("-at").first()
    assert latest is not None and latest_movement_day() == timezone.localdate(latest.at)
    start = timezone.localdate(latest.at) - timedelta(days=DEFAULT_DAYS - 1)
    url = reverse("inventory:report_dispensing")
    with django_assert_max_num_queries(40):  # type: ignore[operator]
        response = lead.get(url)
    assert response.status_code == 200
    assert response.context["filters"].date_from == start
    assert f"date_from={start}" in response.context["csv_query"]
    drawn = StockEntry.objects.filter(kind="drawn")
    recent = sum(
        1
        for e in drawn.values("preparation", "at").order_by()
        if timezone.localdate(e["at"]) >= start
    )
    recent_syringes = len({e["preparation"] for e in drawn.values("preparation", "at")
                           if timezone.localdate(e["at"]) >= start})  # fmt: skip
    assert recent >= recent_syringes > 0
    assert len(response.context["rows"]) == recent_syringes
    assert _csv_rows(lead.get(f"{url}?{response.context['csv_query']}").content) == recent_syringes
    all_syringes = drawn.values("preparation").distinct().count()
    assert _csv_rows(lead.get(f"{url}?format=csv").content) == all_syringes > recent_syringes


def test_an_explicit_range_still_reads_all_of_it(clinic: None, personas: dict[str, User]) -> None:
    lead = client_for(personas["clinic_lead"])
    response = lead.get(reverse("inventory:report_waste") + "?date_from=2020-01-01")
    assert response.status_code == 200
    assert response.context["filters"].date_from == date(2020, 1, 1)
    assert len(response.context["rows"]) == StockEntry.objects.filter(kind="wasted").count()


def test_an_empty_record_opens_on_the_month_to_today(personas: dict[str, User]) -> None:
    response = client_for(personas["custodian"]).get(reverse("inventory:report_receipts"))
    assert response.status_code == 200
    assert response.context["filters"].date_from == timezone.localdate() - timedelta(
        days=DEFAULT_DAYS - 1
    )
