"""The patient's own details and history, filled on the tablet."""

from __future__ import annotations

import pytest
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.intake.kiosk_forms import KioskFormInvalid, available_forms
from ketamine_clinic.intake.patient_forms import DETAILS_FORM_KEY, HISTORY_FORM_KEY
from ketamine_clinic.intake.services import kiosk_open, kiosk_submit
from ketamine_clinic.patients.models import Correction, Patient, ReportedHistory
from tests.conftest import client_for
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"


def details_answers(patient: Patient) -> dict[str, str]:
    form = available_forms()[DETAILS_FORM_KEY]
    assert form.initial is not None
    return dict(form.initial(patient))


def test_the_details_form_cannot_change_who_the_patient_is() -> None:
    keys = {q.key for q in available_forms()[DETAILS_FORM_KEY].questions}
    assert {"legal_first_name", "legal_last_name", "date_of_birth", "sex_at_birth"} & keys == set()
    assert {"escort_name", "escort_phone", "phone", "preferred_name"} <= keys


def test_the_details_form_shows_what_is_recorded_and_saves_a_change(
    personas: dict[str, User],
) -> None:
    patient = make_patient(preferred="Av")
    tablet = client_for(personas["nurse"])
    tablet.post(reverse("intake:open", args=[patient.pk]), {"forms": [DETAILS_FORM_KEY]})
    page = tablet.get(reverse("intake:kiosk_form", args=[DETAILS_FORM_KEY])).content.decode()
    assert 'name="preferred_name" value="Av"' in page
    read = AuditEntry.objects.filter(
        action="read", object_type="patient", actor_username__startswith="kiosk:"
    )
    assert [(e.patient_id, e.detail) for e in read] == [(str(patient.pk), {"form": "details"})]
    answers = {**details_answers(patient), "escort_name": HOSTILE, "escort_phone": "555-0199"}
    done = tablet.post(reverse("intake:kiosk_form", args=[DETAILS_FORM_KEY]), answers)
    assert done.status_code == 302
    patient.refresh_from_db()
    assert (patient.escort_name, patient.escort_phone) == (HOSTILE, "555-0199")
    correction = Correction.objects.get(patient=patient)
    assert correction.reason == "Updated by the patient on the intake tablet"
    assert correction.by is None


def test_an_escort_without_a_phone_is_refused_naming_the_field(personas: dict[str, User]) -> None:
    patient = make_patient()
    session = kiosk_open(
        patient=patient, form_keys=[DETAILS_FORM_KEY], actor=personas["nurse"]
    ).session
    answers = {**details_answers(patient), "escort_name": "Pat Example"}
    with pytest.raises(KioskFormInvalid) as info:
        kiosk_submit(session, DETAILS_FORM_KEY, answers)
    assert list(info.value.errors) == ["escort_phone"]
    patient.refresh_from_db()
    assert patient.escort_name == ""


def test_details_sent_unchanged_count_as_done(personas: dict[str, User]) -> None:
    patient = make_patient()
    session = kiosk_open(
        patient=patient, form_keys=[DETAILS_FORM_KEY], actor=personas["nurse"]
    ).session
    assert kiosk_submit(session, DETAILS_FORM_KEY, details_answers(patient)) is False
    assert not Correction.objects.filter(patient=patient).exists()


def test_the_history_is_stored_from_the_tablet(personas: dict[str, User]) -> None:
    patient = make_patient()
    session = kiosk_open(
        patient=patient, form_keys=[HISTORY_FORM_KEY], actor=personas["nurse"]
    ).session
    with pytest.raises(KioskFormInvalid) as info:
        kiosk_submit(session, HISTORY_FORM_KEY, {})
    assert list(info.value.errors) == ["psychiatric_history"]
    kiosk_submit(
        session, HISTORY_FORM_KEY, {"had_ketamine_treatment": "no", "medical_conditions": HOSTILE}
    )
    history = ReportedHistory.objects.get(patient=patient)
    assert history.answers == {"had_ketamine_treatment": "no", "medical_conditions": HOSTILE}
    assert (
        AuditEntry.objects.filter(
            object_type="reported_history", actor_username="patient (kiosk)"
        ).count()
        == 1
    )
