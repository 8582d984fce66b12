"""The dashboard page and its CSV: who may open it, what it says, and that it escapes
and never names a patient."""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.outcomes.selectors import forget_cached_outcomes
from tests.conftest import client_for
from tests.outcomes.builders import Plan, build
from tests.outcomes.test_cohort_and_measures import known_clinic

pytestmark = pytest.mark.django_db

URL = "/outcomes/"


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("clinic_lead", 200),
        ("prescriber", 200),
        ("nurse", 403),
        ("front_desk", 403),
        ("custodian", 403),
        ("administrator", 403),
        ("no_role", 403),
    ],
)
def test_only_the_clinic_lead_and_prescribers_open_it(
    personas: dict[str, User], persona: str, status: int
) -> None:
    assert client_for(personas[persona]).get(URL).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in() -> None:
    response = Client().get(URL)
    assert response.status_code == 302 and "/sign-in" in response["Location"]


def test_the_page_shows_each_rate_with_its_denominator_and_interval(
    personas: dict[str, User], prescriber: User
) -> None:
    build(known_clinic(), by=prescriber)
    before = AuditEntry.objects.count()
    page = client_for(personas["clinic_lead"]).get(URL).content.decode()
    # Response 6 of 10 by intention to treat: 60%, Wilson 31-83%; completers 5 of 8.
    assert "6 of 10" in page and "60%" in page and "31\N{EN DASH}83%" in page
    assert "5 of 8" in page
    # The advertised figure beside the response, on the same denominators: any benefit
    # in 7 of 10 who started, 6 of 8 completers.
    assert "Any benefit (the figure a clinic would advertise)" in page
    assert "<strong>7 of 10</strong> courses that started" in page
    assert "Completers only: 75%, 6 of 8" in page
    assert "McInnes 2022" in page and "53.6%" in page
    assert "no responder followed to 56 days yet" in page  # beside "~60% at 8 weeks"
    assert "<svg" in page and "Time to relapse among responders" in page
    assert "Testpatient" not in page  # aggregates only
    assert AuditEntry.objects.count() == before  # no patient was read into the page


def test_an_instrument_without_mcid_says_so(personas: dict[str, User], prescriber: User) -> None:
    build([Plan(instrument="gad7", baseline=15, end=4)], by=prescriber)
    page = client_for(personas["prescriber"]).get(URL, {"instrument": "gad7"}).content.decode()
    assert "GAD-7 defines no minimal clinically important difference" in page
    assert "Outcomes: GAD-7" in page


def test_an_unknown_instrument_is_refused_by_name_and_escaped(personas: dict[str, User]) -> None:
    response = client_for(personas["prescriber"]).get(URL, {"instrument": "<script>x</script>"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "<script>x</script>" not in body
    assert "&lt;script&gt;x&lt;/script&gt;" in body
    assert "Instrument:" in body and "PHQ-9" in body
    csv_response = client_for(personas["prescriber"]).get(
        URL, {"instrument": "cssrs_screener", "format": "csv"}
    )
    assert csv_response.status_code == 400
    assert csv_response.content.decode().startswith("Instrument: 'cssrs_screener'")


def test_the_csv_has_the_same_figures(personas: dict[str, User], prescriber: User) -> None:
    build(known_clinic(), by=prescriber)
    response = client_for(personas["clinic_lead"]).get(URL, {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:5] == ["table", "row", "denominator", "k", "n"]
    found = {(r[0], r[1], r[2]): r[3:] for r in rows[1:]}
    assert found[("measures", "Response", "started (intention to treat)")][:3] == [
        "6",
        "10",
        "60.0",
    ]
    assert found[("measures", "Response", "completers")][:3] == ["5", "8", "62.5"]


def test_a_new_score_shows_on_the_next_page(personas: dict[str, User], prescriber: User) -> None:
    client = client_for(personas["clinic_lead"])
    build([Plan(baseline=20, end=15)], by=prescriber)
    assert "0 of 1" in client.get(URL).content.decode()
    build([Plan(baseline=20, end=5)], by=prescriber)  # a second course that responds
    assert "1 of 2" in client.get(URL).content.decode()


def test_the_page_runs_the_same_few_queries_for_any_number_of_courses(
    personas: dict[str, User],
    prescriber: User,
) -> None:
    # No per-patient query: 3 courses and 30 courses cost the same queries. The
    # timing at full size (6,000 patients, 19,000 infusions) is in the report.
    client = client_for(personas["clinic_lead"])
    client.get(URL)  # the session and the first, empty computation
    counts = []
    for size in (3, 30):
        build([Plan(baseline=20, end=8, follow_ups=[(30, 12)]) for _ in range(size)], by=prescriber)
        forget_cached_outcomes()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL).status_code == 200
        counts.append(len(queries))
    assert 0 < counts[0] == counts[1] <= 25
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)  # nothing changed: the cached figures, after the version check
    assert len(queries) < counts[1]


def test_the_relapse_curve_at_8_weeks_stands_beside_mcinnes(
    personas: dict[str, User], prescriber: User
) -> None:
    # Four responders: censored at 7, relapsed at 30 (three followed: S = 2/3) and at 60,
    # censored at 90 (a score of 9 is still 55% below 20). At day 56, S = 2/3.
    build(
        [
            Plan(baseline=20, end=6, follow_ups=[(30, 15)]),
            Plan(baseline=20, end=6, follow_ups=[(28, 6), (60, 14)]),
            Plan(baseline=20, end=6, follow_ups=[(28, 8), (90, 9)]),
            Plan(baseline=20, end=6),
        ],
        by=prescriber,
    )
    page = client_for(personas["prescriber"]).get(URL).content.decode()
    assert "67% of 4 responders still responding at 56 days" in page
    assert "~60%" in page
    assert "60 days (95% CI 30 days to not reached)" in page  # the median, by hand
