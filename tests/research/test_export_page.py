"""The clinic lead's export page: a zip of the same export, audited, refusals on the page."""

from __future__ import annotations

import io
import zipfile

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from tests.conftest import client_for
from tests.research.support import seed_identified_clinic

pytestmark = pytest.mark.django_db


def test_the_lead_downloads_a_zip_of_every_table_and_the_page_lists_the_export(
    personas: dict[str, User],
) -> None:
    clinic = seed_identified_clinic()
    lead = client_for(personas["clinic_lead"])
    response = lead.post(
        "/research/download", {"file_format": "csv", "since": "2026-03-01", "until": ""}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert 'filename="research-export-csv.zip"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    with zipfile.ZipFile(io.BytesIO(body)) as bundle:
        assert sorted(bundle.namelist()) == [
            "README.txt",
            "courses.csv",
            "data_dictionary.csv",
            "patients.csv",
            "scores.csv",
            "visits.csv",
            "vitals.csv",
        ]
        text = " ".join(bundle.read(name).decode("utf-8") for name in bundle.namelist())
    assert text.count("\n") > 40
    assert [value for value in clinic.identifiers if value.lower() in text.lower()] == []
    entry = AuditEntry.objects.get(object_type="research_export")
    assert entry.actor_username == personas["clinic_lead"].username
    assert entry.detail["since"] == "2026-03-01"
    assert entry.detail["destination"] == "download"
    page = lead.get("/research/").content.decode()
    assert "Recent exports" in page
    assert "visits 9" in page and personas["clinic_lead"].username in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"file_format": "xml"}, "Select a valid choice. xml is not one of the available choices."),
        (
            {"file_format": "csv", "since": "2026-03-10", "until": "2026-03-01"},
            "must be on or before the until date 2026-03-01; got 2026-03-10",
        ),
    ],
)
def test_a_refused_choice_comes_back_on_the_page_and_nothing_is_exported(
    personas: dict[str, User], data: dict[str, str], message: str
) -> None:
    response = client_for(personas["clinic_lead"]).post("/research/download", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not AuditEntry.objects.filter(object_type="research_export").exists()


def test_only_the_clinic_lead_sees_the_menu_item(personas: dict[str, User]) -> None:
    assert "/research/" in client_for(personas["clinic_lead"]).get("/").content.decode()
    for role in ("nurse", "prescriber", "administrator", "front_desk", "custodian"):
        assert 'href="/research/"' not in client_for(personas[role]).get("/").content.decode()
