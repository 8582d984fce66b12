"""The staff and the patient the visit tests share."""

from __future__ import annotations

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.courses.models import Course
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.models import Visit
from tests.visits.support import make_course, make_eligible_patient, make_visit


@pytest.fixture
def nurse(personas: dict[str, User]) -> User:
    return personas["nurse"]


@pytest.fixture
def prescriber(personas: dict[str, User]) -> User:
    return personas["prescriber"]


@pytest.fixture
def desk(personas: dict[str, User]) -> User:
    return personas["front_desk"]


@pytest.fixture
def patient(prescriber: User) -> Patient:
    return make_eligible_patient(prescriber)


@pytest.fixture
def course(patient: Patient, prescriber: User) -> Course:
    return make_course(patient, prescriber)


@pytest.fixture
def visit(patient: Patient, course: Course, desk: User) -> Visit:
    return make_visit(patient, course, desk)
