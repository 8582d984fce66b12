"""What makes a configuration unsafe to hold patient data, as one list of reasons.

Kept apart from the CLI so tests can feed it settings directly. Each reason is a named
constant naming the environment variable to change, so the operator knows what to fix
and tests can assert the exact text.

Django's own `check --deploy` is folded in (`django_deploy_problems`): our checks cover
what this project's settings can get wrong through the environment, and Django's guard
against a code change undoing a protection (SecurityMiddleware or the clickjacking
middleware removed, the referrer policy dropped). Where both say the same thing, ours
speaks, because it names the variable; three of Django's warnings do not apply to how a
clinic runs this server and are set aside below, each with its reason.
"""

from __future__ import annotations

from typing import Any

KNOWN_WEAK_SECRET_PREFIXES = ("test-only-", "demo-", "django-insecure-", "changeme", "secret")
MIN_SECRET_LENGTH = 50
MIN_SECRET_DISTINCT_CHARACTERS = 5

SECRET_TOO_WEAK = (
    f"KC_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters or repetitive; generate "
    "one with `python -c 'import secrets; print(secrets.token_urlsafe(50))'`"
)
SECRET_IS_KNOWN = "KC_SECRET_KEY is a default, demo or test key; generate a new one"  # noqa: S105 - a message, not a key
DEBUG_ON = "KC_DEBUG is on: error pages would show patient data and settings"
COOKIES_INSECURE = "KC_SECURE_COOKIES is off: session cookies would travel over plain HTTP"
HOSTS_OPEN = "KC_ALLOWED_HOSTS must list the clinic's host names (not '*', not empty)"
SQLITE_WITH_WORKERS = (
    "SQLite with {workers} web workers: use PostgreSQL (DATABASE_URL) or run one worker"
)
IN_MEMORY_LAYER_WITH_WORKERS = (
    "{workers} web workers with the in-memory channel layer: live updates would not "
    "cross workers; set REDIS_URL"
)
CLINIC_PHONE_MISSING = (
    "KC_CLINIC_PHONE is not set: the discharge sheet and the visit instructions must tell "
    "patients which number to call"
)
EMAIL_TO_CONSOLE = (
    "KC_EMAIL_BACKEND is console: patients' visit instructions would be written to the "
    "server log; use smtp"
)
HSTS_OFF = "KC_HSTS_SECONDS is 0: set it (e.g. 31536000) once the site is served over HTTPS only"
DJANGO_CHECK = "Django {id}: {message}"

# Django deployment checks that say what one of ours already says, naming the variable.
COVERED_BY_OUR_CHECKS = frozenset(
    {
        "security.W004",  # HSTS unset: HSTS_OFF
        "security.W009",  # weak SECRET_KEY: SECRET_TOO_WEAK, SECRET_IS_KNOWN
        "security.W012",  # session cookie not Secure: COOKIES_INSECURE
        "security.W016",  # CSRF cookie not Secure: COOKIES_INSECURE
        "security.W018",  # DEBUG on: DEBUG_ON
        "security.W020",  # ALLOWED_HOSTS empty: HOSTS_OPEN
    }
)
# Django deployment checks that do not apply to how a clinic runs this server.
NOT_APPLICABLE = frozenset(
    {
        # HSTS for subdomains: the clinic's host may share a domain with sites it does not
        # run; KC_HSTS_INCLUDE_SUBDOMAINS is the clinic's call, not a safety floor.
        "security.W005",
        # SSL redirect: `serve` speaks plain HTTP to the TLS-terminating proxy in front of
        # it, and that proxy redirects; redirecting here too would loop. HSTS is required.
        "security.W008",
        # HSTS preload is a one-way commitment of the whole domain to browsers' lists.
        "security.W021",
    }
)


def deploy_problems(settings: Any, *, workers: int) -> list[str]:
    """Our checks of `settings` (Django's settings or a stand-in) for `workers` web workers."""
    problems: list[str] = []
    secret = str(settings.SECRET_KEY)
    if len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < MIN_SECRET_DISTINCT_CHARACTERS:
        problems.append(SECRET_TOO_WEAK)
    if secret.lower().startswith(KNOWN_WEAK_SECRET_PREFIXES):
        problems.append(SECRET_IS_KNOWN)
    if settings.DEBUG:
        problems.append(DEBUG_ON)
    if not settings.SESSION_COOKIE_SECURE or not settings.CSRF_COOKIE_SECURE:
        problems.append(COOKIES_INSECURE)
    if "*" in settings.ALLOWED_HOSTS or not settings.ALLOWED_HOSTS:
        problems.append(HOSTS_OPEN)
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3") and workers > 1:
        problems.append(SQLITE_WITH_WORKERS.format(workers=workers))
    if not settings.REDIS_URL and workers > 1:
        problems.append(IN_MEMORY_LAYER_WITH_WORKERS.format(workers=workers))
    if settings.SECURE_HSTS_SECONDS == 0:
        problems.append(HSTS_OFF)
    if settings.EMAIL_BACKEND.endswith("console.EmailBackend"):
        problems.append(EMAIL_TO_CONSOLE)
    if not str(getattr(settings, "KC_CLINIC_PHONE", "")).strip():
        problems.append(CLINIC_PHONE_MISSING)
    return problems


def django_deploy_problems() -> list[str]:
    """Django's `check --deploy` findings (warnings and worse) that ours do not already cover.

    Reads the configured Django settings; no database queries.
    """
    from django.core import checks

    found = checks.run_checks(include_deployment_checks=True, databases=None)
    return [
        DJANGO_CHECK.format(id=message.id, message=message.msg)
        for message in found
        if message.level >= checks.WARNING
        and message.id not in COVERED_BY_OUR_CHECKS | NOT_APPLICABLE
    ]
