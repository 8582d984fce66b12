"""Logging to stderr, one line per event; the audit trail is separate and in the database."""

from __future__ import annotations

from typing import Any

from ketamine_clinic.config.env import env_str

LOG_LEVEL = env_str("KC_LOG_LEVEL", "INFO").upper()

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "line"}},
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
