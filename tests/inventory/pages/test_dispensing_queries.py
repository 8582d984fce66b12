"""The dispensing log's page reads the same few queries for one syringe as for a page of
them: its rows read only the columns they show (``only``), and a column left out by
mistake would be read again for every row. The newest movement, which sets the range
the page opens on, is found from the (kind, at) index, a query per kind."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.generate.services import clinic_generate
from ketamine_clinic.inventory.enums import EntryKind
from ketamine_clinic.inventory.models import StockEntry
from ketamine_clinic.inventory.reports import latest_movement_day
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_a_page_of_syringes_reads_no_more_than_one_syringe(personas: dict[str, User]) -> None:
    clinic_generate(patients=40, infusions=120, seed=5, today=TODAY)
    lead = client_for(personas["clinic_lead"])
    url = reverse("inventory:report_dispensing")
    first = StockEntry.objects.filter(kind=EntryKind.DRAWN).order_by("at").first()
    assert first is not None
    day = first.at.date().isoformat()

    lead.get(url)  # the session's first clocks written (a write of its own), not counted
    one_day = _queries(lead, f"{url}?date_from={day}&date_to={day}")
    whole_record = _queries(lead, f"{url}?date_from=2020-01-01")

    assert whole_record == one_day


def test_the_newest_movement_is_the_newest_of_every_kind(db: None) -> None:
    assert latest_movement_day() is None
    clinic_generate(patients=10, infusions=30, seed=2, today=TODAY)
    newest = StockEntry.objects.order_by("-at").values_list("at", flat=True).first()
    assert newest is not None

    with CaptureQueriesContext(connection) as queries:
        found = latest_movement_day()

    assert found == timezone.localdate(newest)
    assert len(queries.captured_queries) == len(EntryKind)
