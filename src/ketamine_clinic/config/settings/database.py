"""Database: SQLite by default, PostgreSQL (or another) when DATABASE_URL is set."""

from __future__ import annotations

from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from ketamine_clinic.config.env import env_str
from ketamine_clinic.config.settings.paths import DATA_DIR

DEFAULT_DATABASE_URL = f"sqlite:///{DATA_DIR / 'db.sqlite3'}"


def database_from_url(url: str) -> dict[str, Any]:
    """Parse DATABASE_URL into Django's DATABASES entry with our per-engine options."""
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
    engine = config.get("ENGINE", "")
    if engine == "django.db.backends.sqlite3":
        # IMMEDIATE: a write transaction takes the write lock at BEGIN, so two writers
        # queue instead of one failing half-way (the audit chain reads then appends).
        # WAL lets readers go on while a writer commits.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    elif engine == "django.db.backends.postgresql":
        # A new connection per request, no pool (OPTIONS["pool"], psycopg[pool]): measured
        # on the generated clinic, connecting costs ~1 ms of this process's CPU and 1-2 ms
        # of PostgreSQL's, against 50-60 ms + ~18 ms for a chart, so a pool would save
        # ~10 ms of waiting per request but little of the CPU the busy server queues on,
        # for a new dependency whose max_size must also cover the gateway's threads,
        # which hold their connections for long. Revisit if connecting ever shows up.
        config.setdefault("OPTIONS", {})
    else:
        raise ImproperlyConfigured(
            f"DATABASE_URL: engine {engine or 'unknown'} is not supported; use sqlite:// or postgres://"
        )
    config["ATOMIC_REQUESTS"] = False
    return config


DATABASE_URL = env_str("DATABASE_URL", DEFAULT_DATABASE_URL)
DATABASES = {"default": database_from_url(DATABASE_URL)}
