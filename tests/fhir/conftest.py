from __future__ import annotations

import pytest

from ketamine_clinic.accounts.models import User
from tests.fhir.support import CourseRecord, course_record


@pytest.fixture
def course(personas: dict[str, User]) -> CourseRecord:
    return course_record(personas)
