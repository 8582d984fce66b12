"""The tablet in a browser's place: open, greet, autosave, send, lock, release."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from ketamine_clinic.accounts.models import User
from ketamine_clinic.intake.enums import KioskState, LockReason
from ketamine_clinic.intake.models import KioskSession
from ketamine_clinic.intake.views import KIOSK_COOKIE
from tests.conftest import PERSONA_PASSWORD, client_for
from tests.patients.factories import make_patient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("test_forms")]

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def open_tablet(nurse: User, *forms: str, preferred: str = "Sam") -> tuple[Client, KioskSession]:
    """A nurse signs in on the tablet and hands it over; returns the tablet's client."""
    patient = make_patient(preferred=preferred)
    tablet = client_for(nurse)
    response = tablet.post(
        reverse("intake:open", args=[patient.pk]), {"forms": list(forms or ("mood",))}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:kiosk_home")
    cookie = response.cookies[KIOSK_COOKIE]
    assert (cookie["httponly"], cookie["samesite"], cookie["path"]) == (True, "Strict", "/kiosk/")
    return tablet, KioskSession.objects.get(patient=patient)


def test_handing_over_signs_the_staff_member_out_of_the_tablet(personas: dict[str, User]) -> None:
    tablet, _ = open_tablet(personas["nurse"])
    staff_page = tablet.get(reverse("patients:list"))
    assert staff_page.status_code == 302
    assert staff_page["Location"].startswith(reverse("accounts:sign_in"))


def test_the_open_page_lists_the_forms_and_refuses_none_chosen(personas: dict[str, User]) -> None:
    patient = make_patient()
    client = client_for(personas["front_desk"])
    page = client.get(reverse("intake:open", args=[patient.pk]))
    assert page.status_code == 200
    assert b"How you are today" in page.content
    refused = client.post(reverse("intake:open", args=[patient.pk]), {})
    assert refused.status_code == 200
    assert b"choose at least one form" in refused.content
    assert not KioskSession.objects.exists()


def test_the_tablet_greets_the_patient_and_escapes_their_name(personas: dict[str, User]) -> None:
    tablet, _ = open_tablet(personas["nurse"], preferred=HOSTILE)
    home = tablet.get(reverse("intake:kiosk_home"))
    assert home.status_code == 200
    assert home["Cache-Control"] == "no-store"
    body = home.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'class="nav"' not in body  # no staff navigation on the tablet


def test_answers_are_saved_as_the_patient_goes_and_come_back_after_a_reload(
    personas: dict[str, User],
) -> None:
    tablet, _ = open_tablet(personas["nurse"])
    draft_url = reverse("intake:kiosk_draft", args=["mood"])
    saved = tablet.post(
        draft_url, json.dumps({"feeling": "1", "notes": HOSTILE}), content_type="application/json"
    )
    assert saved.status_code == 204
    page = tablet.get(reverse("intake:kiosk_form", args=["mood"])).content.decode()
    assert 'value="1" checked' in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)</script>" not in page


@pytest.mark.parametrize(
    ("body", "status"), [(b"not json", 400), (b"[1, 2]", 400), (b'{"feeling": 5}', 400)]
)
def test_a_bad_autosave_is_refused(personas: dict[str, User], body: bytes, status: int) -> None:
    tablet, _ = open_tablet(personas["nurse"])
    response = tablet.post(
        reverse("intake:kiosk_draft", args=["mood"]), body, content_type="application/json"
    )
    assert response.status_code == status


def test_autosave_needs_the_csrf_token(personas: dict[str, User]) -> None:
    tablet, _ = open_tablet(personas["nurse"])
    strict = Client(enforce_csrf_checks=True)
    strict.cookies[KIOSK_COOKIE] = tablet.cookies[KIOSK_COOKIE].value
    response = strict.post(
        reverse("intake:kiosk_draft", args=["mood"]), b"{}", content_type="application/json"
    )
    assert response.status_code == 403


def test_sending_shows_errors_then_finishes_and_locks(
    personas: dict[str, User], test_forms: list[tuple[int, dict[str, str]]]
) -> None:
    tablet, session = open_tablet(personas["nurse"])
    form_url = reverse("intake:kiosk_form", args=["mood"])
    missing = tablet.post(form_url, {"notes": "half done"})
    assert missing.status_code == 200
    assert b"please answer this question" in missing.content
    assert b"half done" in missing.content  # kept, not lost
    done = tablet.post(form_url, {"feeling": "0", "notes": "half done"})
    assert done.status_code == 302
    assert done["Location"] == reverse("intake:kiosk_locked")
    assert test_forms == [(session.patient_id, {"feeling": "0", "notes": "half done"})]
    locked = tablet.get(reverse("intake:kiosk_locked"))
    assert b"Thank you" in locked.content
    assert tablet.get(reverse("intake:kiosk_home"))["Location"] == reverse("intake:kiosk_locked")


def test_the_patient_can_hand_back_and_staff_release(personas: dict[str, User]) -> None:
    tablet, session = open_tablet(personas["nurse"])
    tablet.post(reverse("intake:kiosk_locked"), {"action": "lock"})
    session.refresh_from_db()
    assert (session.state, session.lock_reason) == (KioskState.LOCKED, LockReason.STAFF)
    wrong = tablet.post(
        reverse("intake:kiosk_locked"),
        {"action": "release", "username": "p_nurse", "password": "nope"},
    )
    assert wrong.status_code == 200
    assert b'role="alert"' in wrong.content
    released = tablet.post(
        reverse("intake:kiosk_locked"),
        {"action": "release", "username": "p_nurse", "password": PERSONA_PASSWORD},
    )
    assert released.status_code == 302
    assert released["Location"] == reverse("accounts:sign_in")
    assert b"This tablet is not in use" in tablet.get(reverse("intake:kiosk_home")).content
    session.refresh_from_db()
    assert session.state == KioskState.CLOSED


def test_an_idle_tablet_shows_the_lock_screen(personas: dict[str, User]) -> None:
    tablet, session = open_tablet(personas["nurse"])
    KioskSession.objects.filter(pk=session.pk).update(
        last_activity_at=session.last_activity_at - timedelta(minutes=11)
    )
    response = tablet.get(reverse("intake:kiosk_form", args=["mood"]))
    assert response["Location"] == reverse("intake:kiosk_locked")
    draft = tablet.post(
        reverse("intake:kiosk_draft", args=["mood"]), b"{}", content_type="application/json"
    )
    assert draft.status_code == 409


def test_a_browser_without_a_tablet_session_sees_nothing_of_anyone() -> None:
    page = Client().get(reverse("intake:kiosk_form", args=["mood"]))
    assert page.status_code == 200
    assert b"not in use" in page.content
