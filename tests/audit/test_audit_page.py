"""The clinic lead's audit page: who may see it, its filters, paging, and its own entry."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client, override_settings

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.context import AuditContext, audit_context
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.audit.selectors import (
    AUDIT_PAGE_SIZE,
    FILTER_BAD_PATIENT,
    FILTER_DATES_REVERSED,
    FILTER_UNKNOWN_MRN,
)
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.enums import SexAtBirth
from ketamine_clinic.patients.services import patient_create
from tests.conftest import client_for

URL = "/audit/"
ROW = re.compile(r"<tr>\s*<td>(\d+)</td>")


def shown_seqs(html: str) -> list[int]:
    return [int(seq) for seq in ROW.findall(html)]


def views_recorded() -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=AuditAction.AUDIT_VIEWED).order_by("seq"))


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("clinic_lead", 200),
        ("front_desk", 403),
        ("nurse", 403),
        ("prescriber", 403),
        ("custodian", 403),
        ("administrator", 403),
        ("no_role", 403),
    ],
)
def test_only_the_clinic_lead_may_open_the_audit_page(
    personas: dict[str, User], persona: str, status: int
) -> None:
    response = client_for(personas[persona]).get(URL)

    assert response.status_code == status
    if status == 200:
        assert len(views_recorded()) == 1
    else:
        assert views_recorded() == []
        denied = AuditEntry.objects.filter(action=AuditAction.ACCESS_DENIED).get()
        assert (denied.actor_id, denied.object_id) == (personas[persona].pk, URL)


def test_an_anonymous_visitor_is_sent_to_sign_in(db: None) -> None:
    response = Client().get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/sign-in/")
    assert views_recorded() == []


def test_the_page_shows_when_who_what_and_where_for_each_entry(personas: dict[str, User]) -> None:
    nurse = personas["nurse"]
    context = AuditContext(request_id="req-visible-123", client_address="192.0.2.44", channel="web")
    with (
        time_machine.travel(datetime(2026, 7, 1, 16, 0, 5, tzinfo=UTC), tick=False),
        audit_context(context),
    ):
        read = audit_record(
            action=AuditAction.READ,
            actor=nurse,
            object_type="patient",
            object_id=7,
            patient_id=7,
            reason="pre-infusion check",
        )
    lead = client_for(personas["clinic_lead"])

    with override_settings(TIME_ZONE="America/New_York"):
        html = lead.get(URL, {"person": "p_nurse"}).content.decode()

    assert shown_seqs(html) == [read.seq]
    row = html[html.index(f"<td>{read.seq}</td>") :]
    cells = [
        cell.strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row[: row.index("</tr>")], re.S)
    ]
    assert cells == [
        str(read.seq),
        "2026-07-01 12:00:05 EDT",  # 16:00 UTC in the clinic's zone
        'p_nurse <span class="badge">Nurse</span><div class="muted">web</div>',
        "Read",
        "patient 7",
        '<a href="/patients/7/">7</a>',
        "pre-infusion check",
        "req-visi",  # the full id is in the cell's title
        "192.0.2.44",
    ]
    assert '<td class="mono" title="req-visible-123">req-visi</td>' in row


def test_viewing_writes_one_entry_with_the_filters_used(personas: dict[str, User]) -> None:
    lead = personas["clinic_lead"]

    response = client_for(lead).get(
        URL,
        {"person": "p_nurse", "action": "read", "date_from": "2026-01-01", "patient": "17"},
        HTTP_X_REQUEST_ID="req-lead-view-1",
    )

    assert response.status_code == 200
    [viewed] = views_recorded()
    assert viewed.actor_id == lead.pk
    assert viewed.object_type == "audit_trail"
    assert viewed.patient_id == "17"
    assert viewed.request_id == "req-lead-view-1"
    assert viewed.detail == {
        "filters": {
            "person": "p_nurse",
            "patient_id": "17",
            "action": "read",
            "date_from": "2026-01-01",
        },
        "page": 1,
        "count": 0,
    }


@pytest.fixture
def mixed_trail(personas: dict[str, User]) -> dict[str, Any]:
    """Entries by two people about two patients at known instants."""
    nurse, prescriber = personas["nurse"], personas["prescriber"]
    with time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False):
        first = patient_create(
            legal_first_name="Avery",
            legal_last_name="Testpatient",
            date_of_birth=date(1984, 3, 7),
            sex_at_birth=SexAtBirth.FEMALE,
            by=prescriber,
        )
        second = patient_create(
            legal_first_name="Jordan",
            legal_last_name="Sampleton",
            date_of_birth=date(1971, 11, 23),
            sex_at_birth=SexAtBirth.MALE,
            by=prescriber,
        )
    entries = {}
    # 03:30 UTC on the 10th is 23:30 on the 9th in New York (EDT since 8 March 2026).
    for name, instant, actor, patient in [
        ("late_on_9th", datetime(2026, 3, 10, 3, 30, tzinfo=UTC), nurse, first),
        ("morning_10th", datetime(2026, 3, 10, 14, 0, tzinfo=UTC), nurse, second),
        ("on_11th", datetime(2026, 3, 11, 15, 0, tzinfo=UTC), prescriber, first),
    ]:
        with time_machine.travel(instant, tick=False):
            entries[name] = audit_record(
                action=AuditAction.READ,
                actor=actor,
                object_type="patient",
                object_id=patient.pk,
                patient_id=patient.pk,
            )
    return {"entries": entries, "first": first, "second": second}


def seqs_for(lead: User, **query: str) -> list[int]:
    with override_settings(TIME_ZONE="America/New_York"):
        response = client_for(lead).get(URL, query)
    assert response.status_code == 200
    return shown_seqs(response.content.decode())


def test_it_filters_by_person_case_insensitively(
    personas: dict[str, User], mixed_trail: dict[str, Any]
) -> None:
    entries = mixed_trail["entries"]
    shown = seqs_for(personas["clinic_lead"], person="P_Nurse")

    assert shown == [entries["morning_10th"].seq, entries["late_on_9th"].seq]


def test_it_filters_by_patient_id_and_by_mrn_alike(
    personas: dict[str, User], mixed_trail: dict[str, Any]
) -> None:
    first, entries = mixed_trail["first"], mixed_trail["entries"]
    created = AuditEntry.objects.get(action=AuditAction.CREATE, patient_id=str(first.pk))
    expected = [entries["on_11th"].seq, entries["late_on_9th"].seq, created.seq]
    lead = personas["clinic_lead"]

    by_id = seqs_for(lead, patient=str(first.pk))
    view_by_id = views_recorded()[-1]
    by_mrn = seqs_for(lead, patient=first.mrn)

    assert by_id == expected
    # The lead's first look, filtered by this patient, is itself about this patient.
    assert view_by_id.patient_id == str(first.pk)
    assert by_mrn == [view_by_id.seq, *expected]
    assert seqs_for(lead, patient=first.mrn.lower(), action="create") == [created.seq]


def test_dates_are_the_clinics_calendar_days(
    personas: dict[str, User], mixed_trail: dict[str, Any]
) -> None:
    entries = mixed_trail["entries"]
    lead = personas["clinic_lead"]

    assert seqs_for(lead, date_from="2026-03-09", date_to="2026-03-09") == [
        entries["late_on_9th"].seq
    ]
    assert seqs_for(lead, date_from="2026-03-10", date_to="2026-03-10") == [
        entries["morning_10th"].seq
    ]
    assert seqs_for(lead, date_from="2026-03-11", action="read") == [entries["on_11th"].seq]
    assert seqs_for(lead, date_to="2026-03-01", action="create") == [
        entry.seq for entry in AuditEntry.objects.filter(action="create").order_by("-seq")
    ]


@pytest.mark.parametrize(
    ("query", "field_error"),
    [
        ({"date_from": "2026-13-45"}, "Enter a valid date."),
        ({"date_to": "yesterday"}, "Enter a valid date."),
        ({"date_from": "2026-03-10", "date_to": "2026-03-09"}, FILTER_DATES_REVERSED),
        ({"patient": "Avery"}, FILTER_BAD_PATIENT),
        ({"patient": "KC999999"}, FILTER_UNKNOWN_MRN.format(mrn="KC999999")),
        (
            {"action": "delete_everything"},
            "Select a valid choice. delete_everything is not one of the available choices.",
        ),
        ({"person": "x" * 151}, "Ensure this value has at most 150 characters (it has 151)."),
    ],
)
def test_an_invalid_filter_is_a_field_error_and_reads_nothing(
    personas: dict[str, User], query: dict[str, str], field_error: str
) -> None:
    response = client_for(personas["clinic_lead"]).get(URL, query)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Correct the filters above to see entries." in html
    assert re.search(rf'<ul class="errorlist"[^>]*><li>{re.escape(field_error)}</li></ul>', html)
    assert "<table" not in html
    assert views_recorded() == []


def test_it_pages_fifty_at_a_time_newest_first_keeping_the_filters(
    personas: dict[str, User],
) -> None:
    made = [
        audit_record(action=AuditAction.SIGN_OUT, actor=personas["nurse"]).seq for _ in range(120)
    ]
    lead = client_for(personas["clinic_lead"])
    newest_first = sorted(made, reverse=True)

    first = lead.get(URL, {"action": "sign_out"}).content.decode()
    third = lead.get(URL, {"action": "sign_out", "page": "3"}).content.decode()
    beyond = lead.get(URL, {"action": "sign_out", "page": "99"}).content.decode()
    garbage = lead.get(URL, {"action": "sign_out", "page": "abc"}).content.decode()

    assert AUDIT_PAGE_SIZE == 50
    assert shown_seqs(first) == newest_first[:50]
    assert "page 1 of 3" in first
    assert 'href="?action=sign_out&amp;page=2"' in first
    assert shown_seqs(third) == newest_first[100:]
    assert 'href="?action=sign_out&amp;page=2"' in third
    assert shown_seqs(beyond) == newest_first[100:]
    assert shown_seqs(garbage) == newest_first[:50]
    assert [entry.detail["page"] for entry in views_recorded()] == [1, 3, 3, 1]


def test_what_people_typed_is_shown_escaped(personas: dict[str, User]) -> None:
    audit_record(
        action=AuditAction.SIGN_IN_FAILED,
        actor=None,
        actor_username="<img src=x onerror=alert(1)>",
        reason="<script>alert('reason')</script>",
        detail={"query": "<script>alert(2)</script>", "tries": [1, "<b>"]},
    )

    html = client_for(personas["clinic_lead"]).get(URL).content.decode()

    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;alert(&#x27;reason&#x27;)&lt;/script&gt;" in html
    assert "query: &lt;script&gt;alert(2)&lt;/script&gt;; tries: [1, &quot;&lt;b&gt;&quot;]" in html
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "<b>" not in html
