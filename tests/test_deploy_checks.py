"""What check-deploy refuses: each unsafe setting alone, and a safe configuration passing."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings

from ketamine_clinic.deploy_checks import (
    CLINIC_PHONE_MISSING,
    COOKIES_INSECURE,
    DEBUG_ON,
    EMAIL_TO_CONSOLE,
    HOSTS_OPEN,
    HSTS_OFF,
    IN_MEMORY_LAYER_WITH_WORKERS,
    SECRET_IS_KNOWN,
    SECRET_TOO_WEAK,
    SQLITE_WITH_WORKERS,
    deploy_problems,
    django_deploy_problems,
)

STRONG_SECRET = "k7Hq2vXw9LmN4pRs8TuYz3Ab6CdEf1GhJ5iKoP0qSrVtWxYz-_aBcD"
POSTGRES = {"default": {"ENGINE": "django.db.backends.postgresql"}}
SQLITE = {"default": {"ENGINE": "django.db.backends.sqlite3"}}


def safe_settings(**changes: Any) -> SimpleNamespace:
    """A production configuration with nothing wrong, then `changes`."""
    values: dict[str, Any] = {
        "SECRET_KEY": STRONG_SECRET,
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "ALLOWED_HOSTS": ["clinic.example.org"],
        "DATABASES": POSTGRES,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SECURE_HSTS_SECONDS": 31536000,
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "KC_CLINIC_PHONE": "(555) 010-0142",
    }
    values.update(changes)
    return SimpleNamespace(**values)


def test_a_safe_configuration_has_no_problems() -> None:
    assert deploy_problems(safe_settings(), workers=4) == []


def test_a_single_sqlite_worker_without_redis_is_safe() -> None:
    settings = safe_settings(DATABASES=SQLITE, REDIS_URL="")
    assert deploy_problems(settings, workers=1) == []


@pytest.mark.parametrize(
    "secret",
    [
        "short-but-random-Zq8",
        "a" * 60,
        "abcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcdabcd",
    ],
)
def test_a_short_or_repetitive_secret_is_refused(secret: str) -> None:
    assert deploy_problems(safe_settings(SECRET_KEY=secret), workers=1) == [SECRET_TOO_WEAK]


@pytest.mark.parametrize(
    "secret",
    [
        "demo-" + STRONG_SECRET,
        "test-only-secret-key-never-used-outside-the-test-suite-0123",
        "django-insecure-" + STRONG_SECRET,
        "ChangeMe" + STRONG_SECRET,
    ],
)
def test_a_default_demo_or_test_secret_is_refused(secret: str) -> None:
    assert deploy_problems(safe_settings(SECRET_KEY=secret), workers=1) == [SECRET_IS_KNOWN]


def test_a_short_default_secret_gets_both_reasons() -> None:
    problems = deploy_problems(safe_settings(SECRET_KEY="secret"), workers=1)
    assert problems == [SECRET_TOO_WEAK, SECRET_IS_KNOWN]


def test_debug_is_refused() -> None:
    assert deploy_problems(safe_settings(DEBUG=True), workers=1) == [DEBUG_ON]


@pytest.mark.parametrize("cookie", ["SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE"])
def test_an_insecure_cookie_is_refused(cookie: str) -> None:
    assert deploy_problems(safe_settings(**{cookie: False}), workers=1) == [COOKIES_INSECURE]


@pytest.mark.parametrize("hosts", [["*"], [], ["clinic.example.org", "*"]])
def test_open_or_empty_allowed_hosts_are_refused(hosts: list[str]) -> None:
    assert deploy_problems(safe_settings(ALLOWED_HOSTS=hosts), workers=1) == [HOSTS_OPEN]


def test_sqlite_with_more_than_one_worker_is_refused() -> None:
    problems = deploy_problems(safe_settings(DATABASES=SQLITE), workers=2)
    assert problems == [SQLITE_WITH_WORKERS.format(workers=2)]
    assert problems[0].startswith("SQLite with 2 web workers")


def test_more_than_one_worker_without_redis_is_refused() -> None:
    problems = deploy_problems(safe_settings(REDIS_URL=""), workers=3)
    assert problems == [IN_MEMORY_LAYER_WITH_WORKERS.format(workers=3)]
    assert problems[0].startswith("3 web workers with the in-memory channel layer")


def test_hsts_off_is_refused() -> None:
    assert deploy_problems(safe_settings(SECURE_HSTS_SECONDS=0), workers=1) == [HSTS_OFF]


def test_mail_to_the_console_is_refused() -> None:
    console = safe_settings(EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    assert deploy_problems(console, workers=1) == [EMAIL_TO_CONSOLE]


def test_every_problem_at_once_is_every_reason_in_order() -> None:
    settings = safe_settings(
        SECRET_KEY="demo-key",
        DEBUG=True,
        SESSION_COOKIE_SECURE=False,
        ALLOWED_HOSTS=["*"],
        DATABASES=SQLITE,
        REDIS_URL="",
        SECURE_HSTS_SECONDS=0,
        EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
    )
    assert deploy_problems(settings, workers=2) == [
        SECRET_TOO_WEAK,
        SECRET_IS_KNOWN,
        DEBUG_ON,
        COOKIES_INSECURE,
        HOSTS_OPEN,
        SQLITE_WITH_WORKERS.format(workers=2),
        IN_MEMORY_LAYER_WITH_WORKERS.format(workers=2),
        HSTS_OFF,
        EMAIL_TO_CONSOLE,
    ]


SAFE_DJANGO_SETTINGS: dict[str, Any] = {
    "SECRET_KEY": STRONG_SECRET,
    "SECURE_HSTS_SECONDS": 31536000,
    "ALLOWED_HOSTS": ["clinic.example.org"],
}


def test_django_finds_nothing_more_in_the_projects_production_settings() -> None:
    with override_settings(**SAFE_DJANGO_SETTINGS):
        assert django_deploy_problems() == []


def test_django_does_not_repeat_what_our_checks_already_say() -> None:
    # Weak key, DEBUG, insecure cookies, no HSTS: all ours to report, once.
    with override_settings(
        SECRET_KEY="short",
        DEBUG=True,
        SESSION_COOKIE_SECURE=False,
        CSRF_COOKIE_SECURE=False,
        SECURE_HSTS_SECONDS=0,
    ):
        assert django_deploy_problems() == []


def test_django_reports_a_protection_removed_from_the_middleware() -> None:
    from django.conf import settings

    middleware = [
        name
        for name in settings.MIDDLEWARE
        if name != "django.middleware.clickjacking.XFrameOptionsMiddleware"
    ]
    with override_settings(MIDDLEWARE=middleware, **SAFE_DJANGO_SETTINGS):
        problems = django_deploy_problems()
    assert len(problems) == 1
    assert problems[0].startswith("Django security.W002: You do not have ")


def test_django_reports_a_dropped_referrer_policy() -> None:
    with override_settings(SECURE_REFERRER_POLICY=None, **SAFE_DJANGO_SETTINGS):
        problems = django_deploy_problems()
    assert len(problems) == 1
    assert problems[0].startswith("Django security.W022: ")


def test_a_deployment_without_the_clinics_phone_is_refused() -> None:
    """The discharge sheet tells the patient which number to call: it must have one."""
    assert deploy_problems(safe_settings(KC_CLINIC_PHONE="  "), workers=1) == [CLINIC_PHONE_MISSING]
