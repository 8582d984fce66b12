"""TOTP for the roles that need it: the code step, enrolment, and what a half sign-in opens."""

from __future__ import annotations

from base64 import b32encode
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.selectors import second_factor_required
from ketamine_clinic.accounts.services.second_factor import (
    ALREADY_ENROLLED,
    second_factor_enrolment_begin,
)
from ketamine_clinic.accounts.services.sessions import PENDING_EXPIRED
from ketamine_clinic.accounts.services.sign_in import CODE_TOO_SOON, CODE_WRONG, SignInRefused
from ketamine_clinic.accounts.services.users import user_set_roles
from ketamine_clinic.audit.enums import AuditAction
from tests.accounts.helpers import code_for, enrolled_device, entries, is_signed_in, post_password
from tests.conftest import client_for

START = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("role", "needed"),
    [
        (Role.FRONT_DESK, False),
        (Role.NURSE, False),
        (Role.PRESCRIBER, True),
        (Role.CUSTODIAN, True),
        (Role.CLINIC_LEAD, False),
        (Role.ADMINISTRATOR, True),
    ],
)
def test_the_default_roles_needing_a_second_factor(
    personas: dict[str, User], role: Role, needed: bool
) -> None:
    assert second_factor_required(personas[role.value]) is needed


@override_settings(KC_MFA_REQUIRED_ROLES=["nurse"])
def test_a_clinic_can_choose_which_roles_need_a_second_factor(personas: dict[str, User]) -> None:
    assert second_factor_required(personas["nurse"])
    assert not second_factor_required(personas["prescriber"])


def test_a_correct_password_for_a_prescriber_opens_only_the_code_page(
    personas: dict[str, User],
) -> None:
    enrolled_device(personas["prescriber"])
    client = Client()
    assert post_password(client, "p_prescriber") == "/accounts/second-factor/"
    # Not signed in yet: staff pages still send them to sign in.
    for url in ("/", "/patients/", "/accounts/password/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/sign-in/")
    assert entries(AuditAction.SIGN_IN) == []
    page = client.get("/accounts/second-factor/").content.decode()
    assert 'name="otp_token"' in page
    assert "p_prescriber" in page


def test_the_right_code_signs_the_prescriber_in_with_a_verified_device(
    personas: dict[str, User],
) -> None:
    device = enrolled_device(personas["prescriber"])
    client = Client()
    post_password(client, "p_prescriber", next_url="/patients/")
    response = client.post("/accounts/second-factor/", {"otp_token": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/patients/"
    assert is_signed_in(client)
    [signed_in] = entries(AuditAction.SIGN_IN)
    assert signed_in.actor_username == "p_prescriber"
    assert signed_in.detail == {"second_factor": True}


def test_a_wrong_code_is_refused_next_to_the_field_and_audited(personas: dict[str, User]) -> None:
    device = enrolled_device(personas["custodian"])
    client = Client()
    post_password(client, "p_custodian")
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/second-factor/", {"otp_token": wrong})
    assert response.status_code == 200
    assert CODE_WRONG in response.content.decode()
    assert not is_signed_in(client)
    [failed] = entries(AuditAction.SIGN_IN_FAILED)
    assert failed.detail == {"step": "second_factor", "failure": "wrong_code"}
    assert User.objects.get(username="p_custodian").failed_sign_ins == 1


def test_a_code_right_after_a_wrong_one_is_asked_to_wait(personas: dict[str, User]) -> None:
    device = enrolled_device(personas["custodian"])
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        post_password(client, "p_custodian")
        client.post("/accounts/second-factor/", {"otp_token": "000000"})
        response = client.post("/accounts/second-factor/", {"otp_token": code_for(device)})
        assert CODE_TOO_SOON in response.content.decode()
        clock.shift(timedelta(seconds=3))
        response = client.post("/accounts/second-factor/", {"otp_token": code_for(device)})
    assert response.status_code == 302


def test_a_code_cannot_be_used_twice(personas: dict[str, User]) -> None:
    device = enrolled_device(personas["prescriber"])
    with time_machine.travel(START, tick=False):
        code = code_for(device)
        first, second = Client(), Client()
        post_password(first, "p_prescriber")
        assert first.post("/accounts/second-factor/", {"otp_token": code}).status_code == 302
        post_password(second, "p_prescriber")
        response = second.post("/accounts/second-factor/", {"otp_token": code})
    assert response.status_code == 200
    assert CODE_WRONG in response.content.decode()


def test_the_code_step_lapses_after_five_minutes(personas: dict[str, User]) -> None:
    device = enrolled_device(personas["prescriber"])
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        post_password(client, "p_prescriber")
        clock.shift(timedelta(minutes=5, seconds=1))
        response = client.post("/accounts/second-factor/", {"otp_token": code_for(device)})
    assert response.status_code == 200
    assert PENDING_EXPIRED in response.content.decode()
    assert not is_signed_in(client)


def test_the_code_step_within_five_minutes_still_works(personas: dict[str, User]) -> None:
    device = enrolled_device(personas["prescriber"])
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        post_password(client, "p_prescriber")
        clock.shift(timedelta(minutes=4, seconds=50))
        response = client.post("/accounts/second-factor/", {"otp_token": code_for(device)})
    assert response.status_code == 302


def test_the_code_page_without_a_password_step_says_to_start_again(db: None) -> None:
    response = Client().get("/accounts/second-factor/")
    assert response.status_code == 200
    assert PENDING_EXPIRED in response.content.decode()


def test_first_sign_in_of_an_administrator_shows_the_secret_and_a_qr_code(
    personas: dict[str, User],
) -> None:
    client = Client()
    assert post_password(client, "p_administrator") == "/accounts/second-factor/enrol/"
    response = client.get("/accounts/second-factor/enrol/")
    page = response.content.decode()
    device = TOTPDevice.objects.get(user=personas["administrator"])
    assert not device.confirmed
    assert '<svg xmlns="http://www.w3.org/2000/svg"' in page
    assert 'class="totp-qr"' in page
    secret = b32encode(device.bin_key).decode().rstrip("=")
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    assert grouped in page
    # Nothing from elsewhere and no script: the page must work offline under the CSP.
    assert "<script>" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # Reloading shows the same secret: a scanned code stays valid.
    client.get("/accounts/second-factor/enrol/")
    assert TOTPDevice.objects.filter(user=personas["administrator"]).count() == 1


def test_confirming_enrolment_with_a_code_signs_in_and_is_audited(
    personas: dict[str, User],
) -> None:
    client = Client()
    post_password(client, "p_administrator")
    client.get("/accounts/second-factor/enrol/")
    device = TOTPDevice.objects.get(user=personas["administrator"])
    response = client.post("/accounts/second-factor/enrol/", {"otp_token": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert is_signed_in(client)
    [enrolled] = entries(AuditAction.MFA_ENROLLED)
    assert enrolled.actor_username == "p_administrator"
    assert entries(AuditAction.SIGN_IN)[0].detail == {"second_factor": True}


def test_a_wrong_enrolment_code_leaves_the_device_unconfirmed(personas: dict[str, User]) -> None:
    client = Client()
    post_password(client, "p_administrator")
    client.get("/accounts/second-factor/enrol/")
    device = TOTPDevice.objects.get(user=personas["administrator"])
    wrong = f"{(int(code_for(device)) + 1) % 1_000_000:06d}"
    response = client.post("/accounts/second-factor/enrol/", {"otp_token": wrong})
    assert CODE_WRONG in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not is_signed_in(client)
    assert entries(AuditAction.SIGN_IN_FAILED)[0].detail == {
        "step": "enrolment",
        "failure": "wrong_code",
    }


def test_a_password_alone_cannot_enrol_a_second_authenticator(personas: dict[str, User]) -> None:
    enrolled_device(personas["prescriber"])
    client = Client()
    post_password(client, "p_prescriber")
    response = client.get("/accounts/second-factor/enrol/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/second-factor/"
    assert TOTPDevice.objects.filter(user=personas["prescriber"]).count() == 1
    with pytest.raises(SignInRefused) as refused:
        second_factor_enrolment_begin(user=personas["prescriber"])
    assert refused.value.message == ALREADY_ENROLLED


def test_client_for_gives_mfa_roles_a_fully_signed_in_client(personas: dict[str, User]) -> None:
    for name in ("prescriber", "custodian", "administrator", "nurse"):
        assert is_signed_in(client_for(personas[name])), name


def test_a_session_without_a_verified_device_is_ended_for_a_role_needing_one(
    personas: dict[str, User],
) -> None:
    client = Client()
    client.force_login(personas["prescriber"])  # password only, no second factor
    response = client.get("/patients/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/sign-in/?next=/patients/"
    [ended] = entries(AuditAction.SESSION_EXPIRED)
    assert ended.actor_username == "p_prescriber"
    assert ended.reason == "your account now needs a second-factor code"


def test_gaining_a_role_that_needs_a_code_ends_a_password_only_session(
    personas: dict[str, User],
) -> None:
    client = client_for(personas["nurse"])
    assert is_signed_in(client)
    user_set_roles(user=personas["nurse"], roles=[Role.NURSE, Role.PRESCRIBER], by=None)
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/sign-in/")
    assert "You were signed out: your account now needs a second-factor code." in (
        response.content.decode()
    )
