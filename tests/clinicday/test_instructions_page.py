"""Before the day: the printable instructions and sending them by email."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.services.registry import PatientDetails, patient_update_details
from ketamine_clinic.visits.models import Visit
from tests.conftest import client_for
from tests.visits.support import frozen, make_course, make_eligible_patient, make_visit

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(personas: dict[str, User]) -> Visit:
    patient = make_eligible_patient(personas["prescriber"])
    return make_visit(patient, make_course(patient, personas["prescriber"]), personas["nurse"])


def test_the_page_gives_the_times_from_the_appointment(
    personas: dict[str, User], visit: Visit
) -> None:
    # The appointment is 10:00 in New York on Tuesday 10 March 2026 (tests/visits/support).
    with frozen():
        page = client_for(personas["front_desk"]).get(
            reverse("clinicday:instructions", args=[visit.pk])
        )
    html = page.content.decode()
    assert page.status_code == 200
    assert "Tuesday 10 March, 06:00" in html  # no food: 4 h before
    assert "Tuesday 10 March, 08:00" in html  # clear fluids: 2 h before
    assert "No email address on record" in html
    assert "on <strong>(555) 010-0142</strong>" in html
    assert AuditEntry.objects.filter(action="read", detail__page="instructions").exists()


def test_the_front_desk_sends_them_by_email(
    personas: dict[str, User], visit: Visit, django_capture_on_commit_callbacks: Any
) -> None:
    details = replace(PatientDetails.of(visit.patient), email="avery@example.test")
    patient_update_details(patient=visit.patient, details=details, by=personas["front_desk"])
    client = client_for(personas["front_desk"])
    with frozen(), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("clinicday:send_instructions", args=[visit.pk]))
    assert response.status_code == 302
    assert [message.to for message in mail.outbox] == [["avery@example.test"]]
    assert "06:00" in mail.outbox[0].body
    assert "as soon as you can on (555) 010-0142." in mail.outbox[0].body


def test_without_an_email_the_send_is_refused_and_nothing_goes(
    personas: dict[str, User], visit: Visit
) -> None:
    with frozen():
        response = client_for(personas["nurse"]).post(
            reverse("clinicday:send_instructions", args=[visit.pk])
        )
    assert response.status_code == 422
    assert mail.outbox == []
