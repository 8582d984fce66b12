"""The password step: who gets in, and what a refused attempt shows and records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from ketamine_clinic.accounts.enums import SignInFailure
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.services.sign_in import SIGN_IN_FAILED
from ketamine_clinic.audit.enums import AuditAction
from tests.accounts.helpers import enrolled_device, entries, is_signed_in, post_password
from tests.conftest import PERSONA_PASSWORD, client_for, make_staff


def test_a_nurse_signs_in_with_her_password_and_lands_on_home(personas: dict[str, User]) -> None:
    client = Client()
    assert post_password(client, "p_nurse") == "/"
    assert is_signed_in(client)
    sign_ins = entries(AuditAction.SIGN_IN)
    assert [(e.actor_username, e.detail) for e in sign_ins] == [
        ("p_nurse", {"second_factor": False})
    ]


def test_sign_in_goes_on_to_the_page_that_asked_for_it(personas: dict[str, User]) -> None:
    assert post_password(Client(), "p_nurse", next_url="/patients/") == "/patients/"


def test_sign_in_never_redirects_to_another_site(personas: dict[str, User]) -> None:
    assert post_password(Client(), "p_nurse", next_url="https://evil.example/") == "/"


@pytest.mark.parametrize(
    ("username", "password", "failure"),
    [
        ("nobody_here", PERSONA_PASSWORD, SignInFailure.UNKNOWN_USERNAME),
        ("p_nurse", "not-the-password", SignInFailure.WRONG_PASSWORD),
        ("p_retired", PERSONA_PASSWORD, SignInFailure.INACTIVE),
        ("p_locked", PERSONA_PASSWORD, SignInFailure.LOCKED),
    ],
)
def test_every_refusal_reads_the_same_but_the_audit_keeps_the_real_reason(
    personas: dict[str, User], username: str, password: str, failure: SignInFailure
) -> None:
    make_staff("p_retired")
    User.objects.filter(username="p_retired").update(is_active=False)
    make_staff("p_locked")
    User.objects.filter(username="p_locked").update(
        locked_until=timezone.now() + timedelta(minutes=10)
    )
    client = Client()
    response = client.post("/accounts/sign-in/", {"username": username, "password": password})
    assert response.status_code == 200
    page = response.content.decode()
    assert SIGN_IN_FAILED.replace("'", "&#x27;") in page
    assert not is_signed_in(client)
    [failed] = entries(AuditAction.SIGN_IN_FAILED)
    assert failed.actor_username == username
    assert failed.reason == failure.label
    assert failed.detail == {"step": "password", "failure": failure.value}
    assert entries(AuditAction.SIGN_IN) == []


def test_an_unknown_username_is_audited_without_an_actor_account(db: None) -> None:
    Client().post("/accounts/sign-in/", {"username": "mallory", "password": "guess"})
    [failed] = entries(AuditAction.SIGN_IN_FAILED)
    assert failed.actor_id is None
    assert failed.actor_username == "mallory"
    assert failed.client_address == "127.0.0.1"


def test_a_blank_form_shows_field_errors_and_audits_nothing(db: None) -> None:
    response = Client().post("/accounts/sign-in/", {"username": "", "password": ""})
    page = response.content.decode()
    assert page.count("This field is required.") == 2
    assert entries(AuditAction.SIGN_IN_FAILED) == []


def test_a_signed_in_person_visiting_sign_in_goes_home(personas: dict[str, User]) -> None:
    response = client_for(personas["nurse"]).get("/accounts/sign-in/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_out_ends_the_session_and_is_audited(personas: dict[str, User]) -> None:
    client = Client()
    post_password(client, "p_front_desk")
    response = client.post("/accounts/sign-out/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/sign-in/"
    assert "You are signed out." in response.content.decode()
    assert not is_signed_in(client)
    [signed_out] = entries(AuditAction.SIGN_OUT)
    assert signed_out.actor_username == "p_front_desk"


def test_sign_out_needs_a_post_with_a_csrf_token(personas: dict[str, User]) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas["nurse"])
    assert client.get("/accounts/sign-out/").status_code == 405
    assert client.post("/accounts/sign-out/").status_code == 403
    assert is_signed_in(client)


def test_signing_in_over_someone_elses_session_signs_them_out_first(
    personas: dict[str, User],
) -> None:
    enrolled_device(personas["prescriber"])
    client = client_for(personas["nurse"])
    assert post_password(client, "p_prescriber") == "/accounts/second-factor/"
    # Half-way through the prescriber's sign-in, the nurse's session is gone.
    assert client.get("/")["Location"].startswith("/accounts/sign-in/")
    [signed_out] = entries(AuditAction.SIGN_OUT)
    assert signed_out.actor_username == "p_nurse"
