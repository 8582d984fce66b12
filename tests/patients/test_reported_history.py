"""The history a patient reports: stored verbatim, audited, shown on the chart, refused when bad."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.models import ReportedHistory
from ketamine_clinic.patients.selectors import patient_chart
from ketamine_clinic.patients.services.reported_history import (
    HISTORY_EMPTY,
    HISTORY_NOT_YES_NO,
    HISTORY_UNKNOWN_QUESTION,
    HISTORY_WHO,
    reported_history_record,
)
from tests.conftest import client_for
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HOSTILE = "<img src=x onerror=alert(1)>"


def test_a_tablet_report_is_kept_verbatim_audited_and_shown(personas: dict[str, User]) -> None:
    patient = make_patient()
    reported_history_record(
        patient=patient,
        answers={
            "tried_ect_or_tms": "yes",
            "medical_conditions": HOSTILE,
            "psychiatric_history": "  ",
        },
        by=None,
        channel="kiosk",
    )
    history = ReportedHistory.objects.get()
    assert history.answers == {"tried_ect_or_tms": "yes", "medical_conditions": HOSTILE}
    entry = AuditEntry.objects.get(object_type="reported_history")
    assert (entry.action, entry.actor_username, entry.patient_id) == (
        "create",
        "patient (kiosk)",
        str(patient.pk),
    )
    chart = patient_chart(patient_id=patient.pk, by=personas["nurse"])
    assert chart.reported_history == [
        ("ECT or TMS before", "Yes"),
        ("Medical conditions and operations (own words)", HOSTILE),
    ]
    html = client_for(personas["nurse"]).get(f"/patients/{patient.pk}/").content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert HOSTILE not in html
    assert "History reported by the patient" in html


@pytest.mark.parametrize(
    ("answers", "errors"),
    [
        ({"tried_ect_or_tms": "maybe"}, {"tried_ect_or_tms": [HISTORY_NOT_YES_NO]}),
        ({"favourite_colour": "blue"}, {"favourite_colour": [HISTORY_UNKNOWN_QUESTION]}),
        ({"medical_conditions": ""}, {"answers": [HISTORY_EMPTY]}),
    ],
)
def test_bad_answers_store_nothing(answers: dict[str, str], errors: dict[str, list[str]]) -> None:
    with pytest.raises(ValidationError) as info:
        reported_history_record(patient=make_patient(), answers=answers, by=None, channel="kiosk")
    assert info.value.message_dict == errors
    assert not ReportedHistory.objects.exists()
    assert not AuditEntry.objects.filter(object_type="reported_history").exists()


def test_a_staff_entry_names_the_staff_member(personas: dict[str, User]) -> None:
    with pytest.raises(ValidationError) as info:
        reported_history_record(
            patient=make_patient(), answers={"tried_psychotherapy": "no"}, by=None, channel="staff"
        )
    assert info.value.message_dict == {"by": [HISTORY_WHO]}
    history = reported_history_record(
        patient=make_patient("Sam", "Other"),
        answers={"tried_psychotherapy": "no"},
        by=personas["nurse"],
        channel="staff",
    )
    assert history.entered_by == personas["nurse"]
