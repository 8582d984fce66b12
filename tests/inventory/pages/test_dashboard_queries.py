"""The stock dashboard makes the same few queries whatever the size of the record: the
ledger is summed once for the stock on hand and its expiry warnings, and the syringes
awaiting their account are found in the database (bench/pages.py: 12 s at 19,000
syringes on a busy SQLite server before, ~0.2 s after)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.generate.services import clinic_generate
from ketamine_clinic.inventory.selectors import syringes_awaiting_account
from ketamine_clinic.orders.models import SyringePreparation
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)
DASHBOARD_QUERIES = 18  # 21 before: the ledger summed twice, the awaiting syringes in three reads


def _dashboard_queries(personas: dict[str, User]) -> int:
    client = client_for(personas["custodian"])
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("inventory:dashboard"))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_dashboard_query_count_does_not_grow_with_the_record(
    personas: dict[str, User], django_assert_max_num_queries: object
) -> None:
    clinic_generate(patients=10, infusions=30, seed=2, today=TODAY)
    small = _dashboard_queries(personas)
    clinic_generate(patients=60, infusions=200, seed=3, today=TODAY, allow_existing=True)
    assert _dashboard_queries(personas) == small
    client = client_for(personas["custodian"])
    with django_assert_max_num_queries(DASHBOARD_QUERIES):  # type: ignore[operator]
        client.get(reverse("inventory:dashboard"))


def test_only_syringes_drawn_and_not_accounted_are_awaiting(db: None) -> None:
    clinic_generate(patients=10, infusions=30, seed=2, today=TODAY)
    assert syringes_awaiting_account() == []  # every generated syringe is accounted for
    assert SyringePreparation.objects.filter(account__isnull=False).count() == 30
