"""The patient pages over HTTP: who may use them, what they show, and hostile input."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.selectors import SEARCH_BAD_DATE
from tests.conftest import client_for
from tests.patients.factories import make_patient

PATIENT_CARE = {"front_desk", "nurse", "prescriber", "clinic_lead"}
EVERY_PERSONA = sorted([*PATIENT_CARE, "custodian", "administrator", "no_role"])


@pytest.fixture
def avery(db: None) -> Patient:
    return make_patient("Avery", "Testpatient", born=date(1984, 3, 7), preferred="Ave")


def reads() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.READ).order_by("seq"))


@pytest.mark.parametrize("persona", EVERY_PERSONA)
def test_the_search_page_is_for_the_people_who_care_for_patients(
    personas: dict[str, User], avery: Patient, persona: str
) -> None:
    response = client_for(personas[persona]).get("/patients/", {"q": "avery"})

    if persona in PATIENT_CARE:
        assert response.status_code == 200
        assert avery.mrn in response.content.decode()
        assert len(reads()) == 1
    else:
        assert response.status_code == 403
        assert avery.mrn not in response.content.decode()
        assert reads() == []


@pytest.mark.parametrize("persona", EVERY_PERSONA)
def test_the_chart_is_for_the_people_who_care_for_patients(
    personas: dict[str, User], avery: Patient, persona: str
) -> None:
    response = client_for(personas[persona]).get(f"/patients/{avery.pk}/")

    if persona in PATIENT_CARE:
        assert response.status_code == 200
        assert [entry.patient_id for entry in reads()] == [str(avery.pk)]
    else:
        assert response.status_code == 403
        assert "Testpatient" not in response.content.decode()
        assert reads() == []


@pytest.mark.parametrize("url", ["/patients/", "/patients/1/"])
def test_an_anonymous_visitor_is_sent_to_sign_in(db: None, url: str) -> None:
    response = Client().get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")


def test_the_search_page_without_a_query_reads_nothing(personas: dict[str, User]) -> None:
    response = client_for(personas["front_desk"]).get("/patients/", {"q": "   "})

    assert response.status_code == 200
    assert "Search by part of a name" in response.content.decode()
    assert reads() == []


def test_search_results_link_to_each_chart(personas: dict[str, User], avery: Patient) -> None:
    other = make_patient("Jordan", "Sampleton", born=date(1984, 3, 7))

    html = client_for(personas["nurse"]).get("/patients/", {"q": "1984-03-07"}).content.decode()

    assert "2 patients found for “1984-03-07” (date of birth)." in html
    assert f'<a href="/patients/{avery.pk}/">Testpatient, Avery &quot;Ave&quot;</a>' in html
    assert f'<a href="/patients/{other.pk}/">{other.mrn}</a>' in html


def test_a_bad_date_is_a_field_error_not_a_crash(personas: dict[str, User]) -> None:
    response = client_for(personas["nurse"]).get("/patients/", {"q": "2026-02-30"})

    assert response.status_code == 200
    assert SEARCH_BAD_DATE in response.content.decode()
    assert reads() == []


@pytest.mark.parametrize("query", ["a" * 101, "ave\x00ry"])
def test_a_query_the_form_refuses_is_a_field_error(personas: dict[str, User], query: str) -> None:
    response = client_for(personas["nurse"]).get("/patients/", {"q": query})

    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert reads() == []


def test_a_hostile_query_is_shown_escaped_and_recorded_as_typed(
    personas: dict[str, User],
) -> None:
    hostile = "<script>alert(1)</script>"

    html = client_for(personas["front_desk"]).get("/patients/", {"q": hostile}).content.decode()

    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    assert reads()[-1].detail["query"] == hostile


def test_a_hostile_name_is_shown_escaped_in_results_and_chart(
    personas: dict[str, User],
) -> None:
    patient = make_patient("<b>Bold</b>", "O'Testpatient", preferred='"><script>x()</script>')
    client = client_for(personas["nurse"])

    listing = client.get("/patients/", {"q": "bold"}).content.decode()
    chart = client.get(f"/patients/{patient.pk}/").content.decode()

    for html in (listing, chart):
        assert "&lt;b&gt;Bold&lt;/b&gt;" in html
        assert "O&#x27;Testpatient" in html
        assert "&quot;&gt;&lt;script&gt;x()&lt;/script&gt;" in html
        assert "<script>x()" not in html
        assert "<b>Bold" not in html


def test_the_chart_shows_who_the_patient_is_and_what_will_come(
    personas: dict[str, User], avery: Patient
) -> None:
    html = client_for(personas["prescriber"]).get(f"/patients/{avery.pk}/").content.decode()

    assert 'Testpatient, Avery &quot;Ave&quot; <span class="badge">' + avery.mrn in html
    assert "<dt>Date of birth</dt><dd>1984-03-07 (age" in html
    assert "<dt>Sex at birth</dt><dd>Female</dd>" in html
    for coming in ("Timeline", "Latest scores", "Treatment course"):
        assert f"<h2>{coming}</h2>" in html


def test_the_chart_of_a_patient_who_does_not_exist_is_404_and_reads_nothing(
    personas: dict[str, User],
) -> None:
    response = client_for(personas["nurse"]).get("/patients/987654/")

    assert response.status_code == 404
    assert reads() == []


def test_a_chart_read_records_the_request_id_and_client_address(
    personas: dict[str, User], avery: Patient
) -> None:
    client_for(personas["nurse"]).get(
        f"/patients/{avery.pk}/", HTTP_X_REQUEST_ID="req-chart-0001", REMOTE_ADDR="192.0.2.7"
    )

    [entry] = reads()
    assert (entry.request_id, entry.client_address, entry.channel) == (
        "req-chart-0001",
        "192.0.2.7",
        "web",
    )
