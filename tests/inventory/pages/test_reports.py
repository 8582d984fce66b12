"""The report pages themselves: the index, the empty states, escaping, the CSV's
protection against formulas, and who may read them. What the rows say is proved in
tests/inventory/test_reports_match.py."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.inventory.enums import DisposalMethod, DisposalReason
from ketamine_clinic.inventory.models import Container
from ketamine_clinic.inventory.services.stock import RemovalRequest, stock_remove
from tests.conftest import client_for
from tests.inventory.reports_support import receive, witness

pytestmark = pytest.mark.django_db

REPORT_NAMES = [
    "report_receipts",
    "report_dispensing",
    "report_waste",
    "report_counts",
    "report_biennial",
]


def test_the_index_links_every_log(personas: dict[str, User]) -> None:
    html = client_for(personas["custodian"]).get(reverse("inventory:report_index")).content
    for name in REPORT_NAMES:
        assert f'href="{reverse(f"inventory:{name}")}"'.encode() in html
    assert b"No DEA registration is on file yet." in html


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_an_empty_record_gives_an_empty_report_not_an_error(
    name: str, personas: dict[str, User]
) -> None:
    client = client_for(personas["prescriber"])
    response = client.get(reverse(f"inventory:{name}"))
    assert response.status_code == 200
    assert b"report-empty" in response.content
    assert b"No DEA registration on file." in response.content
    as_csv = client.get(reverse(f"inventory:{name}") + "?format=csv")
    assert len(list(csv.reader(io.StringIO(as_csv.content.decode())))) == 1  # the header


def test_the_biennial_report_says_how_to_take_one_when_there_is_none(
    personas: dict[str, User],
) -> None:
    html = client_for(personas["clinic_lead"]).get(reverse("inventory:report_biennial"))
    assert "No biennial inventory has been closed in this range" in html.content.decode()


@pytest.fixture
def removed_with_tricky_text(personas: dict[str, User]) -> dict[str, Container]:
    """R2603B-02 returned with a reference and notes a spreadsheet or browser would run."""
    _, _, containers = receive(personas)
    stock_remove(
        RemovalRequest(
            container=containers["R2603B-02"],
            method=DisposalMethod.SUPPLIER_RETURN,
            reason=DisposalReason.OTHER,
            reference='=HYPERLINK("http://example.invalid","x")',
            notes="<script>alert(1)</script> -2 vials? @once",
        ),
        by=personas["custodian"],
        witness=witness(personas["nurse"]),
    )
    return containers


def test_text_staff_typed_is_escaped_on_the_page(
    removed_with_tricky_text: dict[str, Container], personas: dict[str, User]
) -> None:
    html = client_for(personas["clinic_lead"]).get(reverse("inventory:report_waste")).content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; -2 vials? @once" in html
    assert b"<script>alert(1)" not in html


def test_text_that_a_spreadsheet_would_run_is_written_as_text_in_the_csv(
    removed_with_tricky_text: dict[str, Container], personas: dict[str, User]
) -> None:
    response = client_for(personas["clinic_lead"]).get(
        reverse("inventory:report_waste") + "?format=csv"
    )
    assert response["Content-Disposition"].startswith('attachment; filename="waste-')
    header, row = list(csv.reader(io.StringIO(response.content.decode())))
    record = dict(zip(header, row, strict=True))
    assert record["Reference"] == '\'=HYPERLINK("http://example.invalid","x")'
    assert record["Notes"] == "<script>alert(1)</script> -2 vials? @once"
    # Numbers stay numbers, minus sign and all.
    assert record["mg (base)"] == "500.00"


def test_the_csv_keeps_the_filters_of_the_page(
    removed_with_tricky_text: dict[str, Container], personas: dict[str, User]
) -> None:
    client = client_for(personas["custodian"])
    html = client.get(reverse("inventory:report_waste") + "?date_from=2026-03-01").content
    assert b'href="?date_from=2026-03-01&amp;format=csv"' in html


@pytest.mark.parametrize("role", ["nurse", "front_desk", "administrator", "no_role"])
def test_people_outside_the_record_cannot_read_a_log_or_its_csv(
    role: str, personas: dict[str, User]
) -> None:
    client: Client = client_for(personas[role])
    for name in REPORT_NAMES:
        assert client.get(reverse(f"inventory:{name}")).status_code == 403
        assert client.get(reverse(f"inventory:{name}") + "?format=csv").status_code == 403
