"""What makes a configuration unsafe to hold patient data, as one list of reasons.

Kept apart from the CLI so tests can feed it settings directly.
"""

from __future__ import annotations

from typing import Any

KNOWN_WEAK_SECRET_PREFIXES = ("test-only-", "demo-", "django-insecure-", "changeme", "secret")
MIN_SECRET_LENGTH = 50


def deploy_problems(settings: Any, *, workers: int) -> list[str]:
    problems: list[str] = []
    secret = str(settings.SECRET_KEY)
    if len(secret) < MIN_SECRET_LENGTH or len(set(secret)) < 5:
        problems.append(
            f"KC_SECRET_KEY is shorter than {MIN_SECRET_LENGTH} characters or repetitive"
        )
    if secret.lower().startswith(KNOWN_WEAK_SECRET_PREFIXES):
        problems.append("KC_SECRET_KEY is a default, demo or test key; generate a new one")
    if settings.DEBUG:
        problems.append("KC_DEBUG is on: error pages would show patient data and settings")
    if not settings.SESSION_COOKIE_SECURE or not settings.CSRF_COOKIE_SECURE:
        problems.append("KC_SECURE_COOKIES is off: session cookies would travel over plain HTTP")
    if "*" in settings.ALLOWED_HOSTS or not settings.ALLOWED_HOSTS:
        problems.append("KC_ALLOWED_HOSTS must list the clinic's host names (not '*', not empty)")
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3") and workers > 1:
        problems.append(
            f"SQLite with {workers} web workers: use PostgreSQL (DATABASE_URL) or run one worker"
        )
    if not settings.REDIS_URL and workers > 1:
        problems.append(
            f"{workers} web workers with the in-memory channel layer: live updates would not "
            "cross workers; set REDIS_URL"
        )
    if settings.SECURE_HSTS_SECONDS == 0 and not settings.DEBUG:
        problems.append(
            "KC_HSTS_SECONDS is 0: set it (e.g. 31536000) once the site is served over HTTPS only"
        )
    return problems
