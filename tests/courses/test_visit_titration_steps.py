"""A visit's titration steps come from its course's protocol snapshot; a booster (no
course) takes the default protocol's."""

from __future__ import annotations

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.courses.models import Course
from ketamine_clinic.courses.selectors import visit_titration_steps
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.pharmacology.titration import TitrationStep
from ketamine_clinic.visits.models import Visit
from tests.visits.support import make_visit

pytestmark = pytest.mark.django_db

STANDARD_STEPS = (
    TitrationStep.by_percent(10),
    TitrationStep.by_percent(-10),
    TitrationStep.by_dose_rate(0.05),
    TitrationStep.by_dose_rate(-0.05),
)


def test_a_course_visit_reads_its_course_s_snapshot(course: Course, visit: Visit) -> None:
    assert visit_titration_steps(visit) == STANDARD_STEPS
    course.protocol = {
        **course.protocol,
        "titration_steps_percent": [5, -5, 15],
        "titration_steps_mg_per_kg_per_h": [],
    }
    course.save(update_fields=["protocol"])
    visit.refresh_from_db()
    assert visit_titration_steps(visit) == (
        TitrationStep.by_percent(5),
        TitrationStep.by_percent(-5),
        TitrationStep.by_percent(15),
    )


def test_a_booster_takes_the_default_protocol_s_steps(patient: Patient, desk: User) -> None:
    booster = make_visit(patient, None, desk)
    assert visit_titration_steps(booster) == STANDARD_STEPS


def test_a_snapshot_without_steps_falls_back_to_the_default(course: Course, visit: Visit) -> None:
    course.protocol = {
        key: value for key, value in course.protocol.items() if not key.startswith("titration")
    }
    course.save(update_fields=["protocol"])
    visit.refresh_from_db()
    assert visit_titration_steps(visit) == STANDARD_STEPS
