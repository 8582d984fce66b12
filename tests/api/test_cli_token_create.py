"""`ketamine-clinic token create`: a token for a device, printed once, or one clear line."""

from __future__ import annotations

import pytest
from django.test import Client

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.api.models import ApiToken
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from tests.api.helpers import bearer
from tests.cli.conftest import run_main
from tests.conftest import make_staff


@pytest.mark.django_db
def test_it_prints_a_working_token_once_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    make_staff("gateway", Role.NURSE)
    code, out, err = run_main(
        capsys, "token", "create", "--username", "gateway", "--name", "Room 2 pump gateway"
    )
    assert code == 0
    secret = out.strip()
    assert out == secret + "\n"  # nothing but the secret, for piping into a config
    token = ApiToken.objects.get(user__username="gateway")
    assert err == (
        f"created token {token.prefix}… (id {token.pk}) for gateway; "
        "store it now, it will not be shown again:\n"
    )
    assert token.name == "Room 2 pump gateway"
    assert token.created_by is None
    assert Client().get("/api/v1/me", headers=bearer(secret)).json()["username"] == "gateway"
    entry = AuditEntry.objects.filter(action=AuditAction.API_TOKEN_CREATED).get()
    assert entry.channel == "cli:token"


@pytest.mark.django_db
def test_an_unknown_username_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, "token", "create", "--username", "ghost", "--name", "x")
    assert (code, out) == (2, "")
    assert err == "ketamine-clinic: error: --username: no staff account is named 'ghost'\n"


@pytest.mark.django_db
def test_a_blank_name_is_named_as_the_option(capsys: pytest.CaptureFixture[str]) -> None:
    make_staff("gateway", Role.NURSE)
    code, out, err = run_main(capsys, "token", "create", "--username", "gateway", "--name", " ")
    assert (code, out) == (2, "")
    assert err == (
        "ketamine-clinic: error: --name: give the token a name, e.g. the device it is for.\n"
    )
    assert not ApiToken.objects.exists()


@pytest.mark.django_db
def test_a_deactivated_account_gets_no_token(capsys: pytest.CaptureFixture[str]) -> None:
    user = make_staff("retired", Role.NURSE)
    User.objects.filter(pk=user.pk).update(is_active=False)
    code, _, err = run_main(capsys, "token", "create", "--username", "retired", "--name", "x")
    assert code == 2
    assert err == (
        "ketamine-clinic: error: --username: a deactivated account cannot be given a token.\n"
    )


def test_its_help_names_both_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(capsys, "token", "create", "--help")
    assert code == 0
    assert "--username" in out
    assert "--name" in out
    assert "printed once" in out
