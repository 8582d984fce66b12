"""The kiosk with its real forms: answers reach the screening rules and the scoring engine."""

from __future__ import annotations

import pytest

from ketamine_clinic.accounts.models import User
from ketamine_clinic.assessments.models import QuestionnaireResponse, RiskFlag
from ketamine_clinic.intake.form_sources import SCREENING_FORM_KEY
from ketamine_clinic.intake.kiosk_forms import KioskFormInvalid, available_forms
from ketamine_clinic.intake.services import kiosk_open, kiosk_submit, pending_form_keys
from ketamine_clinic.screening.models import ScreeningAssessment
from tests.patients.factories import make_patient

pytestmark = pytest.mark.django_db

HOSTILE = "<script>alert(1)</script>"


def no_to_everything() -> dict[str, str]:
    form = available_forms()[SCREENING_FORM_KEY]
    return {q.key: "no" for q in form.questions if q.required}


def test_the_intake_forms_come_first_then_every_instrument() -> None:
    assert list(available_forms()) == [
        "details",
        "history",
        "screening",
        "consent",
        "cssrs_screener",
        "dissociation",
        "gad7",
        "pcl5",
        "phq9",
        "qids_sr16",
    ]


def test_a_phq9_from_the_tablet_is_scored_and_raises_the_risk_flag(
    personas: dict[str, User],
) -> None:
    patient = make_patient()
    session = kiosk_open(patient=patient, form_keys=["phq9"], actor=personas["nurse"]).session
    answers = {f"item_{i}": v for i, v in enumerate("121012101", start=1)}
    assert kiosk_submit(session, "phq9", answers) is False
    response = QuestionnaireResponse.objects.get(patient=patient)
    assert (response.total, response.channel, response.entered_by) == (9, "kiosk", None)
    assert RiskFlag.objects.get(patient=patient).kind == "phq9_item9"


def test_a_cssrs_yes_where_the_skip_logic_does_not_ask_is_refused(
    personas: dict[str, User],
) -> None:
    session = kiosk_open(
        patient=make_patient(), form_keys=["cssrs_screener"], actor=personas["nurse"]
    ).session
    form = available_forms()["cssrs_screener"]
    answers = {q.key: "0" for q in form.questions}
    gated = next(q for q in form.questions if not q.required)
    answers[gated.key] = "1"
    with pytest.raises(KioskFormInvalid) as info:
        kiosk_submit(session, "cssrs_screener", answers)
    assert list(info.value.errors) == [gated.key]
    assert pending_form_keys(session) == ["cssrs_screener"]


def test_the_screening_from_the_tablet_is_judged_by_the_rules(personas: dict[str, User]) -> None:
    patient = make_patient()
    session = kiosk_open(
        patient=patient, form_keys=[SCREENING_FORM_KEY], actor=personas["front_desk"]
    ).session
    answers = {**no_to_everything(), "schizophrenia": "yes", "health_details": HOSTILE}
    kiosk_submit(session, SCREENING_FORM_KEY, answers)
    assessment = ScreeningAssessment.objects.get(patient=patient)
    assert assessment.outcome == "not_eligible"
    assert assessment.answers["health_details"] == HOSTILE  # verbatim, never interpreted
    assert assessment.channel == "kiosk"


def test_a_number_question_takes_only_a_whole_number(personas: dict[str, User]) -> None:
    session = kiosk_open(
        patient=make_patient(), form_keys=[SCREENING_FORM_KEY], actor=personas["nurse"]
    ).session
    answers = {
        **no_to_everything(),
        "heart_attack_or_stroke": "yes",
        "heart_attack_or_stroke_months_ago": "two",
    }
    with pytest.raises(KioskFormInvalid) as info:
        kiosk_submit(session, SCREENING_FORM_KEY, answers)
    assert info.value.errors == {"heart_attack_or_stroke_months_ago": "please enter a whole number"}
    assert not ScreeningAssessment.objects.exists()


def test_clinician_rated_scores_are_never_offered_on_the_tablet() -> None:
    assert {"aldrete", "padss"}.isdisjoint(available_forms())
