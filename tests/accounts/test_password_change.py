"""Changing one's own password, and being made to after an administrator's reset."""

from __future__ import annotations

from django.test import Client

from ketamine_clinic.accounts.forms import PASSWORDS_DIFFER
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.services.passwords import (
    NEW_PASSWORD_SAME,
    OLD_PASSWORD_WRONG,
    user_reset_password,
)
from ketamine_clinic.audit.enums import AuditAction
from tests.accounts.helpers import entries, is_signed_in, post_password
from tests.conftest import PERSONA_PASSWORD, client_for

NEW = "a-brand-new-passphrase-91"


def change(client: Client, old: str, new: str, again: str | None = None) -> str:
    response = client.post(
        "/accounts/password/",
        {"old_password": old, "new_password": new, "new_password_again": again or new},
    )
    return str(response["Location"]) if response.status_code == 302 else response.content.decode()


def test_a_nurse_changes_her_password_and_keeps_her_session(personas: dict[str, User]) -> None:
    client = client_for(personas["nurse"])
    elsewhere = client_for(personas["nurse"])
    assert change(client, PERSONA_PASSWORD, NEW) == "/"
    assert is_signed_in(client)
    # Her other sessions end with the old password.
    assert not is_signed_in(elsewhere)
    nurse = User.objects.get(username="p_nurse")
    assert nurse.check_password(NEW)
    [changed] = entries(AuditAction.PASSWORD_CHANGED)
    assert (changed.actor_username, changed.detail) == ("p_nurse", {"after_reset": False})


def test_the_current_password_is_required(personas: dict[str, User]) -> None:
    page = change(client_for(personas["nurse"]), "not-my-password", NEW)
    assert OLD_PASSWORD_WRONG in page
    assert User.objects.get(username="p_nurse").check_password(PERSONA_PASSWORD)
    assert entries(AuditAction.PASSWORD_CHANGED) == []


def test_django_validators_refuse_a_weak_password_next_to_the_field(
    personas: dict[str, User],
) -> None:
    page = change(client_for(personas["nurse"]), PERSONA_PASSWORD, "12345678")
    assert "This password is too short. It must contain at least 12 characters." in page
    assert "This password is entirely numeric." in page
    assert User.objects.get(username="p_nurse").check_password(PERSONA_PASSWORD)


def test_the_two_new_passwords_must_match(personas: dict[str, User]) -> None:
    page = change(client_for(personas["nurse"]), PERSONA_PASSWORD, NEW, NEW + "x")
    assert PASSWORDS_DIFFER in page


def test_the_new_password_must_differ_from_the_old(personas: dict[str, User]) -> None:
    page = change(client_for(personas["nurse"]), PERSONA_PASSWORD, PERSONA_PASSWORD)
    assert NEW_PASSWORD_SAME in page


def test_after_a_reset_every_page_leads_to_choosing_a_new_password(
    personas: dict[str, User],
) -> None:
    user_reset_password(
        user=personas["nurse"], password="temporary-passphrase-55", by=personas["administrator"]
    )
    client = Client()
    assert post_password(client, "p_nurse", "temporary-passphrase-55") == "/"
    for url in ("/", "/patients/", "/accounts/sign-in/"):
        response = client.get(url, follow=True)
        assert response.redirect_chain[-1][0] == "/accounts/password/", url
    page = client.get("/accounts/password/").content.decode()
    assert "An administrator set a temporary password for you." in page
    assert change(client, "temporary-passphrase-55", NEW) == "/"
    assert client.get("/").status_code == 200
    nurse = User.objects.get(username="p_nurse")
    assert not nurse.must_change_password
    assert entries(AuditAction.PASSWORD_CHANGED)[0].detail == {"after_reset": True}


def test_a_person_who_must_change_their_password_can_still_sign_out(
    personas: dict[str, User],
) -> None:
    User.objects.filter(pk=personas["nurse"].pk).update(must_change_password=True)
    client = client_for(personas["nurse"])
    response = client.post("/accounts/sign-out/")
    assert response["Location"] == "/accounts/sign-in/"
    assert len(entries(AuditAction.SIGN_OUT)) == 1


def test_the_api_answers_json_while_a_password_change_is_due(personas: dict[str, User]) -> None:
    User.objects.filter(pk=personas["nurse"].pk).update(must_change_password=True)
    response = client_for(personas["nurse"]).get("/api/v1/me")
    assert response.status_code == 403
    assert response.json() == {"detail": "Choose a new password before you continue."}
