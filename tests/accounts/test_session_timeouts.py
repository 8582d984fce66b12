"""Idle (15 min) and absolute (12 h) session timeouts, with their message and audit entry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.conf import settings
from django.test import Client

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from tests.accounts.helpers import entries, post_password

START = datetime(2026, 3, 2, 8, 0, 0, tzinfo=UTC)


def test_the_server_keeps_a_session_long_enough_for_the_idle_check_to_see_it() -> None:
    # If the stored session lapsed with the idle timeout, an idle sign-out would happen
    # silently, with no message and no audit entry.
    assert settings.SESSION_COOKIE_AGE > settings.KC_SESSION_IDLE_MINUTES * 60


def test_fifteen_idle_minutes_sign_a_person_out_with_a_message(
    personas: dict[str, User],
) -> None:
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        post_password(client, "p_nurse")
        clock.shift(timedelta(minutes=14, seconds=59))
        assert client.get("/").status_code == 200
        clock.shift(timedelta(minutes=15, seconds=1))
        response = client.get("/patients/", follow=True)
    assert response.redirect_chain == [("/accounts/sign-in/?next=/patients/", 302)]
    assert (
        "You were signed out: no activity for 15 minutes. Please sign in again."
        in response.content.decode()
    )
    [expired] = entries(AuditAction.SESSION_EXPIRED)
    assert expired.actor_username == "p_nurse"
    assert expired.reason == "no activity for 15 minutes"
    assert expired.at == START + timedelta(minutes=30)


def test_activity_keeps_a_session_alive_until_twelve_hours(personas: dict[str, User]) -> None:
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        post_password(client, "p_nurse")
        elapsed = timedelta(0)
        while elapsed + timedelta(minutes=14) <= timedelta(hours=12):
            clock.shift(timedelta(minutes=14))
            elapsed += timedelta(minutes=14)
            assert client.get("/").status_code == 200, elapsed
        clock.shift(timedelta(hours=12) - elapsed + timedelta(seconds=1))
        response = client.get("/", follow=True)
    assert response.redirect_chain[0] == ("/accounts/sign-in/?next=/", 302)
    assert "You were signed out: signed in for more than 12 hours." in response.content.decode()
    [expired] = entries(AuditAction.SESSION_EXPIRED)
    assert expired.reason == "signed in for more than 12 hours"


def test_a_signed_out_session_stays_signed_out(personas: dict[str, User]) -> None:
    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        post_password(client, "p_nurse")
        clock.shift(timedelta(minutes=16))
        client.get("/")
        response = client.get("/")
    assert response.status_code == 302
    assert len(entries(AuditAction.SESSION_EXPIRED)) == 1


def test_a_page_view_writes_the_session_at_most_every_fifteen_seconds(
    personas: dict[str, User],
) -> None:
    """The idle clock is written when it is 15 s old or more, so most page views do not
    write to the database; the idle timeout can then come up to 15 s early, never late."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def session_writes() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return sum('UPDATE "django_session"' in q["sql"] for q in queries.captured_queries)

    client = Client()
    with time_machine.travel(START, tick=False) as clock:
        post_password(client, "p_nurse")
        clock.shift(timedelta(seconds=10))
        assert session_writes() == 0
        clock.shift(timedelta(seconds=4))
        assert session_writes() == 0  # 14 s since the clock was written
        clock.shift(timedelta(seconds=1))
        assert session_writes() == 1  # 15 s: written
        clock.shift(timedelta(seconds=5))
        assert session_writes() == 0
        # Last written 5 s before this idle spell: out at 15 min after that write.
        clock.shift(timedelta(minutes=14, seconds=56))
        response = client.get("/patients/", follow=True)
    assert response.redirect_chain == [("/accounts/sign-in/?next=/patients/", 302)]
