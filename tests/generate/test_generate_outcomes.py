"""The generated scores respond like the literature (clinical.md): after six infusions
roughly 50-70% respond on the PHQ-9 and 20-38% remit, and responders relapse over time."""

from __future__ import annotations

from datetime import datetime

import pytest

from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.courses.models import Course
from ketamine_clinic.generate.services import clinic_generate
from ketamine_clinic.instruments.outcomes import is_remission, is_response
from tests.generate.conftest import TODAY

pytestmark = pytest.mark.django_db


def test_response_and_remission_after_a_full_course_sit_in_the_published_band(db: None) -> None:
    clinic_generate(patients=500, infusions=1600, seed=7, today=TODAY)
    responded = remitted = relapsed_later = followed = 0
    courses = list(Course.objects.filter(status=CourseStatus.COMPLETED).select_related("patient"))
    assert len(courses) >= 100
    for course in courses:
        assert course.ended_at is not None
        rows = QuestionnaireResponse.objects.filter(
            patient=course.patient, instrument_key="phq9"
        ).order_by("taken_at", "id")
        phq: list[tuple[datetime, int]] = [(r.taken_at, r.total or 0) for r in rows]
        baseline = phq[0][1]
        # The first PHQ-9 after the sixth infusion (the follow-up a week later).
        after = [total for at, total in phq if at > course.ended_at]
        assert after, course
        responded += is_response("phq9", baseline_total=baseline, current_total=after[0])
        remitted += is_remission("phq9", total=after[0])
        if is_response("phq9", baseline_total=baseline, current_total=after[0]) and len(after) > 4:
            followed += 1
            relapsed_later += not is_response(
                "phq9", baseline_total=baseline, current_total=after[-1]
            )
    assert 0.50 <= responded / len(courses) <= 0.70
    assert 0.20 <= remitted / len(courses) <= 0.38
    # Some responders (not all, not none) no longer respond months later.
    assert 0 < relapsed_later < followed
