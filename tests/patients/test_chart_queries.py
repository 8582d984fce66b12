"""The chart reads each of the patient's tables once, whatever the size of the record.

Several apps draw the chart (timeline entries, the scores panel, the trajectories, the
course card, the consent card) and share what they read through ``chart_rows``; before
they did, a generated patient's chart made 52 queries, reading the questionnaire
responses, the courses and the visits three times each (bench/pages.py: p95 755 ms on
PostgreSQL).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.generate.services import clinic_generate
from ketamine_clinic.patients.models import Patient
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 10)
# The session and the user (3), the patient with its people and the audited read (6 with
# the transaction), the registry's own rows (6), then one read per table of the other apps.
CHART_QUERIES = 37
# Read by more than one of the chart's providers, so read once and shared.
SHARED_TABLES = (
    "assessments_questionnaireresponse",
    "assessments_riskflag",
    "courses_course",
    "visits_visit",
    "orders_infusionorder",
    "infusion_pumpevent",
    "infusion_adverseevent",
    "patients_medication",
    "consent_consentsignature",
    "consent_consentwithdrawal",
)


def _busiest_patient() -> Patient:
    return Patient.objects.annotate(n=Count("visits")).order_by("-n", "pk")[0]


def _chart_queries(nurse: User, patient: Patient) -> list[str]:
    client = client_for(nurse)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("patients:chart", args=[patient.pk]))
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def _tables(queries: list[str]) -> Counter[str]:
    found: Counter[str] = Counter()
    for sql in queries:
        match = re.search(r'\bFROM "(\w+)"', sql)
        if match and sql.lstrip().upper().startswith("SELECT"):
            found[match.group(1)] += 1
    return found


def test_the_chart_makes_a_fixed_number_of_queries(personas: dict[str, User]) -> None:
    clinic_generate(patients=10, infusions=30, seed=2, today=TODAY)
    patient = _busiest_patient()

    queries = _chart_queries(personas["nurse"], patient)

    assert len(queries) == CHART_QUERIES


def test_the_tables_several_providers_need_are_read_once(personas: dict[str, User]) -> None:
    clinic_generate(patients=10, infusions=30, seed=2, today=TODAY)

    tables = _tables(_chart_queries(personas["nurse"], _busiest_patient()))

    assert {table: tables[table] for table in SHARED_TABLES} == dict.fromkeys(SHARED_TABLES, 1)


def test_no_chart_makes_more_queries_however_long_the_record(
    personas: dict[str, User],
) -> None:
    clinic_generate(patients=20, infusions=100, seed=3, today=TODAY)
    counts = {
        patient.pk: len(_chart_queries(personas["nurse"], patient))
        for patient in Patient.objects.all()
    }

    assert max(counts.values()) <= CHART_QUERIES, counts
