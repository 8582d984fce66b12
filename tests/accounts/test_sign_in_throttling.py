"""Five failures in a row lock an account for fifteen minutes; success resets the count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from ketamine_clinic.accounts.enums import SignInFailure, SignInStep
from ketamine_clinic.accounts.models import User
from ketamine_clinic.accounts.services.sign_in import (
    ACCOUNT_LOCKED,
    SignInRefused,
    _record_failure,
    sign_in_check_code,
    sign_in_check_password,
)
from ketamine_clinic.audit.enums import AuditAction
from tests.accounts.helpers import code_for, enrolled_device, entries, is_signed_in, post_password
from tests.conftest import PERSONA_PASSWORD

START = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)


def fail_password(username: str, times: int) -> None:
    for _ in range(times):
        with pytest.raises(SignInRefused):
            sign_in_check_password(username=username, password="wrong-password")


def test_five_wrong_passwords_lock_the_account_for_fifteen_minutes(
    personas: dict[str, User],
) -> None:
    with time_machine.travel(START, tick=False):
        fail_password("p_nurse", 4)
        assert User.objects.get(username="p_nurse").locked_until is None
        fail_password("p_nurse", 1)
        nurse = User.objects.get(username="p_nurse")
    assert nurse.locked_until == START + timedelta(minutes=15)
    [locked] = entries(AuditAction.ACCOUNT_LOCKED)
    assert locked.actor_username == "p_nurse"
    assert locked.reason == "5 failed sign-in attempts in a row"
    assert locked.detail == {"locked_until": "2026-03-02T08:15:00+00:00", "minutes": 15}
    assert [e.detail["failure"] for e in entries(AuditAction.SIGN_IN_FAILED)] == [
        "wrong_password"
    ] * 5


def test_the_right_password_is_refused_while_locked_and_accepted_after(
    personas: dict[str, User],
) -> None:
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        fail_password("p_nurse", 5)
        clock.shift(timedelta(minutes=14, seconds=59))
        assert post_password(client, "p_nurse") == ""
        assert entries(AuditAction.SIGN_IN_FAILED)[-1].detail["failure"] == "locked"
        clock.shift(timedelta(seconds=2))
        assert post_password(client, "p_nurse") == "/"
        assert is_signed_in(client)
    nurse = User.objects.get(username="p_nurse")
    assert (nurse.failed_sign_ins, nurse.locked_until) == (0, None)


def test_attempts_while_locked_do_not_extend_the_lock(personas: dict[str, User]) -> None:
    with time_machine.travel(START, tick=False) as clock:
        fail_password("p_nurse", 5)
        clock.shift(timedelta(minutes=10))
        fail_password("p_nurse", 3)
    assert User.objects.get(username="p_nurse").locked_until == START + timedelta(minutes=15)
    assert len(entries(AuditAction.ACCOUNT_LOCKED)) == 1


def test_a_success_resets_the_count_of_failures(personas: dict[str, User]) -> None:
    fail_password("p_nurse", 4)
    assert post_password(Client(), "p_nurse") == "/"
    fail_password("p_nurse", 4)
    nurse = User.objects.get(username="p_nurse")
    assert nurse.failed_sign_ins == 4
    assert nurse.locked_until is None


def test_a_correct_password_alone_does_not_reset_the_count_for_a_code_role(
    personas: dict[str, User],
) -> None:
    # Otherwise a stolen password would give endless tries at the code.
    enrolled_device(personas["prescriber"])
    fail_password("p_prescriber", 4)
    assert post_password(Client(), "p_prescriber") == "/accounts/second-factor/"
    assert User.objects.get(username="p_prescriber").failed_sign_ins == 4


def test_wrong_codes_count_towards_the_same_lock(personas: dict[str, User]) -> None:
    device = enrolled_device(personas["prescriber"])
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        fail_password("p_prescriber", 2)
        post_password(client, "p_prescriber")
        for _ in range(3):
            clock.shift(timedelta(minutes=1))  # past django-otp's own back-off
            response = client.post("/accounts/second-factor/", {"otp_token": "000000"})
        assert ACCOUNT_LOCKED in response.content.decode()
        # Even the right code is refused now.
        clock.shift(timedelta(minutes=1))
        response = client.post("/accounts/second-factor/", {"otp_token": code_for(device)})
        assert ACCOUNT_LOCKED in response.content.decode()
        assert not is_signed_in(client)
    assert len(entries(AuditAction.ACCOUNT_LOCKED)) == 1


def test_failures_from_a_stale_copy_of_the_account_all_count(personas: dict[str, User]) -> None:
    # Two requests each holding the account as read before the other's failure: a
    # read-modify-write in Python would lose one; the database increment keeps both.
    stale = User.objects.get(username="p_prescriber")
    device = enrolled_device(stale)
    with time_machine.travel(START, tick=False) as clock:
        for _ in range(2):
            with pytest.raises(SignInRefused):
                sign_in_check_code(user=stale, token="000000")
            clock.shift(timedelta(minutes=1))
            stale.failed_sign_ins = 0  # what the other request's copy still says
    assert User.objects.get(pk=stale.pk).failed_sign_ins == 2
    assert device.user_id == stale.pk


def test_an_existing_lock_is_taken_once_and_audited_once(personas: dict[str, User]) -> None:
    # The lock is claimed by a conditional update; a second failure crossing the limit
    # while the lock holds (as a concurrent one would) neither re-locks nor re-audits.
    until = timezone.now() + timedelta(minutes=15)
    User.objects.filter(username="p_nurse").update(failed_sign_ins=4)
    fail_password("p_nurse", 1)
    locked_until = User.objects.get(username="p_nurse").locked_until
    assert locked_until is not None and locked_until <= until + timedelta(seconds=5)
    User.objects.filter(username="p_nurse").update(failed_sign_ins=9)
    assert not _record_failure(
        user=User.objects.get(username="p_nurse"),
        username="p_nurse",
        failure=SignInFailure.WRONG_CODE,
        step=SignInStep.SECOND_FACTOR,
    )
    assert User.objects.get(username="p_nurse").locked_until == locked_until
    assert len(entries(AuditAction.ACCOUNT_LOCKED)) == 1


def test_unknown_usernames_lock_nothing(personas: dict[str, User]) -> None:
    fail_password("no_such_person", 6)
    assert len(entries(AuditAction.SIGN_IN_FAILED)) == 6
    assert entries(AuditAction.ACCOUNT_LOCKED) == []
    assert sign_in_check_password(username="p_nurse", password=PERSONA_PASSWORD).username == (
        "p_nurse"
    )
