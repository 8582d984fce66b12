"""A patient and the staff who answer for them, for the assessments tests."""

from __future__ import annotations

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.patients.models import Patient
from tests.patients.factories import make_patient


@pytest.fixture
def patient(db: None) -> Patient:
    return make_patient()


@pytest.fixture
def nurse(personas: dict[str, User]) -> User:
    return personas["nurse"]


@pytest.fixture
def prescriber(personas: dict[str, User]) -> User:
    return personas["prescriber"]
