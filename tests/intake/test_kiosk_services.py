"""Kiosk sessions: open, drafts, submission, locks by finishing, idling and staff, release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.intake.enums import KioskState, LockReason
from ketamine_clinic.intake.kiosk_forms import KioskFormInvalid
from ketamine_clinic.intake.models import KioskDraft, KioskSession
from ketamine_clinic.intake.selectors import draft_for, kiosk_for_token, timeline_entries
from ketamine_clinic.intake.services import (
    KioskError,
    kiosk_open,
    kiosk_release,
    kiosk_save_draft,
    kiosk_submit,
    kiosk_touch,
    pending_form_keys,
    token_digest,
)
from tests.conftest import PERSONA_PASSWORD
from tests.patients.factories import make_patient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_forms")]


def test_a_nurse_opens_a_kiosk_and_only_the_token_digest_is_stored(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    opened = kiosk_open(patient=patient, form_keys=["mood", "sleep"], actor=personas["nurse"])
    session = opened.session
    assert session.token_sha256 == token_digest(opened.raw_token)
    assert opened.raw_token not in session.token_sha256
    assert kiosk_for_token(opened.raw_token) == session
    assert kiosk_for_token("not-the-token") is None
    assert pending_form_keys(session) == ["mood", "sleep"]
    entry = AuditEntry.objects.filter(object_type="kiosk_session").get()
    assert (entry.action, entry.patient_id, entry.actor_username) == (
        "create",
        str(patient.pk),
        "p_nurse",
    )


@pytest.mark.parametrize("role", ["custodian", "clinic_lead", "administrator", "no_role"])
def test_only_front_desk_nurses_and_prescribers_open_a_kiosk(
    personas: dict[str, User], role: str
) -> None:
    with pytest.raises(KioskError) as info:
        kiosk_open(patient=make_patient(), form_keys=["mood"], actor=personas[role])
    assert info.value.field == "actor"
    assert not KioskSession.objects.exists()


@pytest.mark.parametrize(
    ("keys", "reason"), [([], "choose at least one"), (["nope"], "unknown form 'nope'")]
)
def test_a_kiosk_needs_known_forms(personas: dict[str, User], keys: list[str], reason: str) -> None:
    with pytest.raises(KioskError, match=reason):
        kiosk_open(patient=make_patient(), form_keys=keys, actor=personas["front_desk"])


def test_a_draft_survives_and_is_replaced(personas: dict[str, User]) -> None:
    session = kiosk_open(
        patient=make_patient(), form_keys=["mood"], actor=personas["nurse"]
    ).session
    kiosk_save_draft(session, "mood", {"feeling": "1"})
    kiosk_save_draft(session, "mood", {"feeling": "1", "notes": "<script>alert(1)</script>"})
    assert draft_for(session, "mood") == {"feeling": "1", "notes": "<script>alert(1)</script>"}
    assert KioskDraft.objects.count() == 1


def test_a_draft_for_a_form_not_assigned_is_refused(personas: dict[str, User]) -> None:
    session = kiosk_open(
        patient=make_patient(), form_keys=["mood"], actor=personas["nurse"]
    ).session
    with pytest.raises(KioskError) as info:
        kiosk_save_draft(session, "sleep", {"hours": "8"})
    assert info.value.field == "form_key"
    with pytest.raises(KioskError) as info:
        kiosk_save_draft(session, "mood", {"feeling": 1})
    assert info.value.field == "data.feeling"


def test_submitting_every_form_locks_the_tablet_as_finished(
    personas: dict[str, User], test_forms: list[tuple[int, dict[str, str]]]
) -> None:
    patient = make_patient()
    session = kiosk_open(
        patient=patient, form_keys=["mood", "sleep"], actor=personas["nurse"]
    ).session
    kiosk_save_draft(session, "mood", {"feeling": "0"})
    assert kiosk_submit(session, "mood", {"feeling": "0", "notes": "  fine  "}) is True
    assert test_forms == [(patient.pk, {"feeling": "0", "notes": "fine"})]
    assert draft_for(session, "mood") == {}
    assert pending_form_keys(session) == ["sleep"]
    assert kiosk_submit(session, "sleep", {"hours": "8"}) is False
    session.refresh_from_db()
    assert (session.state, session.lock_reason) == (KioskState.LOCKED, LockReason.FINISHED)
    with pytest.raises(KioskError):
        kiosk_submit(session, "sleep", {"hours": "8"})


def test_invalid_answers_change_nothing(
    personas: dict[str, User], test_forms: list[tuple[int, dict[str, str]]]
) -> None:
    session = kiosk_open(
        patient=make_patient(), form_keys=["mood"], actor=personas["nurse"]
    ).session
    with pytest.raises(KioskFormInvalid) as info:
        kiosk_submit(session, "mood", {"feeling": "7"})
    assert info.value.errors == {"feeling": "please choose one of the answers shown"}
    with pytest.raises(KioskFormInvalid) as info:
        kiosk_submit(session, "mood", {})
    assert info.value.errors == {"feeling": "please answer this question"}
    assert test_forms == []
    assert pending_form_keys(session) == ["mood"]


def test_an_idle_tablet_locks_on_its_next_touch(
    personas: dict[str, User], settings: object
) -> None:
    session = kiosk_open(
        patient=make_patient(), form_keys=["mood"], actor=personas["nurse"]
    ).session
    soon = session.last_activity_at + timedelta(minutes=9)
    assert kiosk_touch(session, now=soon) is True
    late = soon + timedelta(minutes=10, seconds=1)
    assert kiosk_touch(session, now=late) is False
    session.refresh_from_db()
    assert (session.state, session.lock_reason) == (KioskState.LOCKED, LockReason.IDLE)


def test_staff_release_the_tablet_with_their_password(personas: dict[str, User]) -> None:
    session = kiosk_open(
        patient=make_patient(), form_keys=["mood"], actor=personas["nurse"]
    ).session
    kiosk_save_draft(session, "mood", {"feeling": "1"})
    with pytest.raises(KioskError) as info:
        kiosk_release(session, username="p_nurse", password="wrong password")
    assert info.value.field == "password"
    assert KioskSession.objects.get().state == KioskState.ACTIVE
    user = kiosk_release(session, username="p_front_desk", password=PERSONA_PASSWORD)
    assert user == personas["front_desk"]
    session.refresh_from_db()
    assert (session.state, session.closed_by) == (KioskState.CLOSED, personas["front_desk"])
    assert not KioskDraft.objects.exists()
    assert kiosk_for_token("anything") is None


def test_a_prescriber_needs_their_second_factor_to_release(personas: dict[str, User]) -> None:
    session = kiosk_open(
        patient=make_patient(), form_keys=["mood"], actor=personas["nurse"]
    ).session
    with pytest.raises(KioskError) as info:
        kiosk_release(session, username="p_prescriber", password=PERSONA_PASSWORD)
    assert info.value.field == "code"


def test_a_clinic_lead_cannot_release_a_tablet(personas: dict[str, User]) -> None:
    # (Custodians and administrators are stopped earlier, at their second factor.)
    session = kiosk_open(
        patient=make_patient(), form_keys=["mood"], actor=personas["nurse"]
    ).session
    with pytest.raises(KioskError) as info:
        kiosk_release(session, username="p_clinic_lead", password=PERSONA_PASSWORD)
    assert info.value.field == "username"
    assert KioskSession.objects.get().state == KioskState.ACTIVE


def test_the_chart_timeline_lists_the_tablet_session(personas: dict[str, User]) -> None:
    patient = make_patient()
    session = kiosk_open(patient=patient, form_keys=["mood"], actor=personas["nurse"]).session
    kiosk_submit(session, "mood", {"feeling": "0"})
    kiosk_release(session, username="p_nurse", password=PERSONA_PASSWORD)
    titles = [entry.title for entry in sorted(timeline_entries(patient), key=lambda e: e.at)]
    assert titles == ["Tablet intake started", "Form sent from the tablet: mood", "Tablet released"]
    assert timezone.now() >= session.opened_at
