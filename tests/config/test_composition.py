"""The production settings carry every setting the concern modules define.

base.py imports each name explicitly (mypy needs that); a name left out silently falls
back to Django's default, which is how SESSION_COOKIE_SECURE once went missing.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest

from ketamine_clinic.config import settings as concern_package
from ketamine_clinic.config.django import base

# Upper-case names that are inputs to other settings, not settings themselves.
NOT_SETTINGS = {
    "DEFAULT_DATABASE_URL",
    "LOG_LEVEL",
    "REDIS_CONNECT_TIMEOUT_S",
    "REDIS_SOCKET_TIMEOUT_S",
}

CONCERNS = sorted(module.name for module in pkgutil.iter_modules(concern_package.__path__))


def test_there_are_concern_modules_to_check() -> None:
    assert {"auth", "channels", "database", "security"} <= set(CONCERNS)


@pytest.mark.parametrize("concern", CONCERNS)
def test_every_setting_of_the_concern_module_reaches_the_production_settings(
    concern: str,
) -> None:
    module = importlib.import_module(f"{concern_package.__name__}.{concern}")
    names = [name for name in vars(module) if name.isupper() and name not in NOT_SETTINGS]
    missing = [name for name in names if not hasattr(base, name)]
    assert missing == []
    for name in names:
        assert getattr(base, name) == getattr(module, name), name
