"""Load a settings module afresh under a patched environment.

`runpy` executes the module's file into a new namespace, so the loaded copy in
`sys.modules` (which Django's settings were built from) is never touched and nothing
needs restoring. Modules it imports come from `sys.modules` as loaded at start-up.
"""

from __future__ import annotations

import importlib.util
import runpy
from collections.abc import Callable
from typing import Any

import pytest

SettingsLoader = Callable[..., dict[str, Any]]

# Every variable the settings read; each test starts from none of them set.
SETTINGS_VARIABLES = (
    "KC_DEBUG",
    "KC_ALLOWED_HOSTS",
    "KC_CSRF_TRUSTED_ORIGINS",
    "KC_SECURE_COOKIES",
    "KC_SSL_REDIRECT",
    "KC_BEHIND_TLS_PROXY",
    "KC_HSTS_SECONDS",
    "KC_HSTS_INCLUDE_SUBDOMAINS",
    "KC_SECRET_KEY",
    "KC_SECRET_KEY_FILE",
    "KC_WEB_WORKERS",
    "DATABASE_URL",
    "REDIS_URL",
    "KC_SESSION_IDLE_MINUTES",
    "KC_SESSION_ABSOLUTE_HOURS",
)


@pytest.fixture
def load_settings(monkeypatch: pytest.MonkeyPatch) -> SettingsLoader:
    """`load_settings("security", KC_DEBUG="1")`: that module's names under that environment."""

    def load(concern: str, **environment: str) -> dict[str, Any]:
        for name in SETTINGS_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        module = (
            f"ketamine_clinic.config.{concern}"
            if "." in concern
            else f"ketamine_clinic.config.settings.{concern}"
        )
        spec = importlib.util.find_spec(module)
        assert spec is not None
        assert spec.origin is not None
        return runpy.run_path(spec.origin)

    return load
