"""A small generated clinic, made once per test that asks for it (inside its transaction)."""

from __future__ import annotations

from datetime import date

import pytest

from ketamine_clinic.generate.services import GenerationReport, clinic_generate

SMALL_PATIENTS = 60
SMALL_INFUSIONS = 190
SEED = 3
# A fixed "today", so the clinic (and every assertion on it) is the same on any day.
TODAY = date(2026, 3, 10)


@pytest.fixture
def small_clinic(db: None) -> GenerationReport:
    return clinic_generate(
        patients=SMALL_PATIENTS, infusions=SMALL_INFUSIONS, seed=SEED, today=TODAY
    )
