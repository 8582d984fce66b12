"""`ketamine-clinic createuser`: an account with roles, or one line naming the bad option."""

from __future__ import annotations

import pytest

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from tests.cli.conftest import run_main

STRONG_PASSWORD = "plum-orbit-harbour-91"


@pytest.mark.django_db
def test_it_creates_an_active_user_holding_every_role_given(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run_main(
        capsys,
        "createuser",
        "--username",
        "okafor",
        "--role",
        "nurse",
        "--role",
        "clinic_lead",
        "--password",
        STRONG_PASSWORD,
        "--first-name",
        "Sam",
        "--last-name",
        "Okafor",
        "--credentials",
        "RN",
    )
    assert (code, err) == (0, "")
    assert out == "created okafor with roles clinic_lead, nurse\n"
    user = User.objects.get(username="okafor")
    assert user.is_active
    assert user.roles == frozenset({Role.NURSE, Role.CLINIC_LEAD})
    assert user.display_name == "Sam Okafor, RN"
    assert user.check_password(STRONG_PASSWORD)


@pytest.mark.django_db
def test_an_unknown_role_is_named_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(
        capsys, "createuser", "--username", "x1", "--role", "wizard", "--password", STRONG_PASSWORD
    )
    assert (code, out) == (2, "")
    assert err == (
        "ketamine-clinic: error: --role: unknown role 'wizard'; choose from front_desk, nurse, "
        "prescriber, custodian, clinic_lead, administrator\n"
    )
    assert not User.objects.filter(username="x1").exists()


@pytest.mark.django_db
def test_a_duplicate_username_is_reported_as_username(
    capsys: pytest.CaptureFixture[str],
) -> None:
    args = ("createuser", "--username", "reyes", "--role", "front_desk")
    assert run_main(capsys, *args, "--password", STRONG_PASSWORD)[0] == 0
    code, out, err = run_main(capsys, *args, "--password", "another-" + STRONG_PASSWORD)
    assert (code, out) == (2, "")
    assert err == "ketamine-clinic: error: --username: A user with that username already exists.\n"
    assert User.objects.filter(username="reyes").count() == 1


@pytest.mark.django_db
def test_a_malformed_username_is_reported_as_username(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_main(
        capsys,
        "createuser",
        "--username",
        "dana reyes!",
        "--role",
        "front_desk",
        "--password",
        STRONG_PASSWORD,
    )
    assert code == 2
    assert err.startswith("ketamine-clinic: error: --username: Enter a valid username.")
    assert err.count("\n") == 1
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_weak_password_is_reported_as_password_with_every_reason(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = run_main(
        capsys, "createuser", "--username", "lee", "--role", "custodian", "--password", "12345678"
    )
    assert code == 2
    assert err == (
        "ketamine-clinic: error: --password: This password is too short. It must contain at "
        "least 12 characters. This password is too common. This password is entirely numeric.\n"
    )
    assert not User.objects.filter(username="lee").exists()


@pytest.mark.django_db
def test_without_a_password_option_it_prompts_for_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return STRONG_PASSWORD

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    code, out, _ = run_main(capsys, "createuser", "--username", "chris", "--role", "administrator")
    assert code == 0
    assert prompts == ["Password: "]
    assert out == "created chris with roles administrator\n"
    assert User.objects.get(username="chris").check_password(STRONG_PASSWORD)
