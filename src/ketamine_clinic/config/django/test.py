"""Test settings: production settings with a fixed test key and a fast password hasher.

Everything else stays as production has it, so tests exercise the real middleware,
CSP and cookie flags.
"""

from __future__ import annotations

import os

os.environ.setdefault(
    "KC_SECRET_KEY", "test-only-secret-key-never-used-outside-the-test-suite-0123"
)

# Settings modules compose by star import; it is Django's own idiom for layered settings.
from ketamine_clinic.config.django.base import *  # noqa: F403
from ketamine_clinic.config.settings.auth import PASSWORD_HASHERS as _PRODUCTION_HASHERS

# Argon2 costs ~50 ms a hash by design; tests that check hashing use the production list.
PRODUCTION_PASSWORD_HASHERS = _PRODUCTION_HASHERS
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A fictional number (555-01xx), so the sheets the tests read carry one.
KC_CLINIC_PHONE = "(555) 010-0142"

# Tests read the figures they have just written: the dashboard counts them before answering
# (tests/outcomes/test_recount.py switches the background recount on where it tests it).
KC_OUTCOMES_RECOUNT_IN_BACKGROUND = False
