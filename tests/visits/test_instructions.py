"""Before the day: fasting times in the clinic's zone (DST included) and the email."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.instructions import (
    ARRANGE_ESCORT,
    NO_EMAIL,
    send_visit_instructions,
    visit_instructions,
)
from ketamine_clinic.visits.models import Visit
from tests.visits.support import frozen, make_visit

pytestmark = pytest.mark.django_db

Capture = Callable[..., AbstractContextManager[Any]]


def test_fasting_times_are_four_and_two_hours_before_in_the_clinic_s_zone(visit: Visit) -> None:
    found = visit_instructions(visit)
    assert found.appointment.isoformat() == "2026-03-10T10:00:00-04:00"
    assert found.last_solid_food.isoformat() == "2026-03-10T06:00:00-04:00"
    assert found.last_clear_fluids.isoformat() == "2026-03-10T08:00:00-04:00"
    assert found.escort_text == ARRANGE_ESCORT


@pytest.mark.parametrize(
    ("start_utc", "appointment", "food", "fluids"),
    [
        # Clocks go forward at 02:00 on 8 March 2026: 4 real hours before 05:00 EDT is
        # 00:00 EST, not the 01:00 that wall-clock subtraction would give.
        (
            datetime(2026, 3, 8, 9, 0, tzinfo=UTC),
            "2026-03-08T05:00:00-04:00",
            "2026-03-08T00:00:00-05:00",
            "2026-03-08T03:00:00-04:00",
        ),
        # Clocks go back at 02:00 on 1 November 2026: 4 real hours before 04:00 EST is
        # the first 01:00 (EDT), not 00:00.
        (
            datetime(2026, 11, 1, 9, 0, tzinfo=UTC),
            "2026-11-01T04:00:00-05:00",
            "2026-11-01T01:00:00-04:00",
            "2026-11-01T02:00:00-05:00",
        ),
    ],
)
def test_fasting_windows_across_a_daylight_saving_change_are_real_hours(
    patient: Patient, desk: User, start_utc: datetime, appointment: str, food: str, fluids: str
) -> None:
    visit = make_visit(patient, None, desk, start=start_utc)
    found = visit_instructions(visit)
    assert (
        found.appointment.isoformat(),
        found.last_solid_food.isoformat(),
        found.last_clear_fluids.isoformat(),
    ) == (appointment, food, fluids)


def _with_contacts(patient: Patient, **fields: str) -> None:
    Patient.objects.filter(pk=patient.pk).update(**fields)
    patient.refresh_from_db()


def test_the_email_goes_to_the_patient_in_text_and_html_and_is_audited(
    visit: Visit, desk: User, django_capture_on_commit_callbacks: Capture
) -> None:
    _with_contacts(
        visit.patient,
        email="avery@example.test",
        escort_name="Jordan <b>Escort</b>",
        escort_phone="555-0142",
    )
    with frozen(), django_capture_on_commit_callbacks(execute=True):
        send_visit_instructions(visit, by=desk)
    (message,) = mail.outbox
    assert isinstance(message, EmailMultiAlternatives)
    assert message.to == ["avery@example.test"]
    assert message.subject == "Your infusion on Tuesday 10 March 2026: how to prepare"
    assert "Your infusion 1 of 6 at Ketamine Clinic is on Tuesday 10 March 2026 at 10:00." in (
        message.body
    )
    assert "- Last solid food: by 06:00 on Tuesday 10 March (4 hours before)." in message.body
    assert "until 08:00 on Tuesday 10 March (2 hours before)" in message.body
    assert "Your escort on record is Jordan <b>Escort</b> (555-0142)." in message.body
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    assert "Last solid food: by <strong>06:00</strong>" in str(html)
    assert "Jordan &lt;b&gt;Escort&lt;/b&gt;" in str(html)
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry is not None
    assert (entry.object_type, entry.object_id, entry.actor_username) == (
        "visit_instructions_email",
        str(visit.pk),
        desk.username,
    )
    assert entry.detail["last_solid_food"] == "2026-03-10T06:00:00-04:00"


def test_without_an_email_address_nothing_is_sent_or_audited(
    visit: Visit, desk: User, django_capture_on_commit_callbacks: Capture
) -> None:
    entries = AuditEntry.objects.count()
    with (
        frozen(),
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(ValidationError) as refused,
    ):
        send_visit_instructions(visit, by=desk)
    assert refused.value.message_dict == {"email": [NO_EMAIL]}
    assert mail.outbox == []
    assert AuditEntry.objects.count() == entries


def test_a_clinic_lead_does_not_send_instructions(visit: Visit, personas: dict[str, User]) -> None:
    _with_contacts(visit.patient, email="avery@example.test")
    with pytest.raises(PermissionDenied):
        send_visit_instructions(visit, by=personas["clinic_lead"])
