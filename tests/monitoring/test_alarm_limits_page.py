"""The alarm-limits page: readers see the clinic's and the patient's limits and the
history; a prescriber changes one with a reason; a refusal is shown next to its field."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.devices import mdc
from ketamine_clinic.monitoring.models import AlarmLimitAdjustment
from tests.conftest import client_for
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db
SPO2_MEDIUM = f"{mdc.SPO2.code}:medium"


def test_a_prescriber_changes_a_limit_and_the_page_shows_it(personas: dict[str, User]) -> None:
    patient = make_patient()
    client = client_for(personas["prescriber"])
    url = reverse("monitoring:alarm_limits", args=[patient.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b"None: the clinic's limits apply." in page.content
    response = client.post(
        reverse("monitoring:alarm_limit_adjust", args=[patient.pk]),
        {"rule": SPO2_MEDIUM, "side": "low", "limit": "88", "reason": "COPD <baseline 89-91>"},
        follow=True,
    )
    assert b"Limit changed: it applies from now." in response.content
    assert b"adjusted" in response.content
    assert b"COPD &lt;baseline 89-91&gt;" in response.content  # escaped
    assert AlarmLimitAdjustment.objects.get().limit == 88
    assert AuditEntry.objects.filter(object_type="patient", patient_id=str(patient.pk)).exists()


def test_a_refusal_names_the_field(personas: dict[str, User]) -> None:
    patient = make_patient()
    response = client_for(personas["prescriber"]).post(
        reverse("monitoring:alarm_limit_adjust", args=[patient.pk]),
        {"rule": SPO2_MEDIUM, "side": "low", "limit": "60", "reason": "no"},
    )
    assert response.status_code == 422
    assert not AlarmLimitAdjustment.objects.exists()
    assert b"message-error" in response.content


def test_a_nurse_reads_but_has_no_form(personas: dict[str, User]) -> None:
    patient = make_patient()
    nurse = client_for(personas["nurse"])
    page = nurse.get(reverse("monitoring:alarm_limits", args=[patient.pk]))
    assert page.status_code == 200
    assert b"Adjust a limit" not in page.content
    denied = nurse.post(
        reverse("monitoring:alarm_limit_adjust", args=[patient.pk]),
        {"rule": SPO2_MEDIUM, "side": "low", "limit": "88", "reason": "x"},
    )
    assert denied.status_code == 403
