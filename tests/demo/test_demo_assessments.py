"""The demo's questionnaires and screenings: trends, a risk flag, a queue; seeded once."""

from __future__ import annotations

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import QuestionnaireResponse
from ketamine_clinic.assessments.selectors import open_risk_flags, score_history
from ketamine_clinic.demo.assessments import seed_demo_assessments
from ketamine_clinic.demo.patients import seed_demo_patients
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.review.selectors import review_queue

pytestmark = pytest.mark.django_db


def test_the_demo_gets_trends_a_risk_flag_and_a_queue_once(personas: dict[str, User]) -> None:
    seed_demo_patients()
    assert seed_demo_assessments() == 3
    avery = Patient.objects.get(legal_first_name="Avery")
    assert [r.total for r in score_history(avery, "phq9")] == [18, 13, 8, 4]
    riley = Patient.objects.get(legal_first_name="Riley")
    assert [flag.patient for flag in open_risk_flags()] == [riley]
    kinds = sorted(item.kind for item in review_queue(by=personas["prescriber"]))
    assert kinds == ["risk_flag", "screening", "screening"]
    count = QuestionnaireResponse.objects.count()
    assert seed_demo_assessments() == 0
    assert QuestionnaireResponse.objects.count() == count


def test_the_demo_consents_are_signed_once_in_front_of_the_demo_nurse() -> None:
    from ketamine_clinic.consent.selectors import needs_consent
    from ketamine_clinic.demo.assessments import seed_demo_consents
    from ketamine_clinic.demo.seed import seed_demo_clinic

    seed_demo_clinic()
    avery = Patient.objects.get(legal_first_name="Avery")
    riley = Patient.objects.get(legal_first_name="Riley")
    assert (needs_consent(avery), needs_consent(riley)) == (False, True)
    assert seed_demo_consents() == 0
