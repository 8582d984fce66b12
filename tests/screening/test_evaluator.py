"""The evaluator: worst level wins, unanswered is never eligible, bad answers are refused."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from ketamine_clinic.screening.evaluator import UNANSWERED_RULE_ID, evaluate
from ketamine_clinic.screening.facts import (
    BloodPressure,
    FactsError,
    Outcome,
    PregnancyStatus,
    ScreeningFacts,
)
from ketamine_clinic.screening.questionnaire import (
    ANSWER_NOT_NUMBER,
    ANSWER_NOT_YES_NO,
    ANSWER_OUT_OF_RANGE,
    ANSWER_TEXT_TOO_LONG,
    ANSWER_TEXT_UNSTORABLE,
    ANSWER_UNKNOWN_QUESTION,
    TEXT_MAX_LENGTH,
    AnswerError,
)
from ketamine_clinic.screening.rules_data import BP_DEFER_MMHG, BP_WARN_MMHG, DEFAULT_RULES
from tests.screening.support import clear_answers, clear_facts


def test_the_worst_level_wins_whatever_the_order() -> None:
    facts = clear_facts(
        {"glaucoma": "yes", "ketamine_allergy": "yes", "takes_maoi": "yes"},
    )
    result = evaluate(facts)
    assert result.outcome is Outcome.NOT_ELIGIBLE
    assert set(result.fired_rule_ids) == {"GLAUCOMA", "ALLERGY-KETAMINE", "MED-MAOI"}


def test_several_relative_reasons_stay_needs_review() -> None:
    result = evaluate(clear_facts({"glaucoma": "yes"}, medication_flags=["lamotrigine"]))
    assert result.outcome is Outcome.NEEDS_REVIEW


def test_reasons_come_in_rule_order_with_the_unanswered_reason_last() -> None:
    answers = clear_answers()
    del answers["glaucoma"]
    answers["liver_disease"] = "yes"
    answers["schizophrenia"] = "yes"
    result = evaluate(_facts_with(answers))
    assert result.fired_rule_ids == ("PSY-SCHIZOPHRENIA", "LIVER", UNANSWERED_RULE_ID)


def _facts_with(answers: Mapping[str, object]) -> ScreeningFacts:
    return ScreeningFacts(
        answers=answers,  # type: ignore[arg-type]
        age_years=40,
        pregnancy_status=PregnancyStatus.NOT_PREGNANT,
        blood_pressure=BloodPressure(120, 80),
    )


def test_an_unanswered_required_question_gives_needs_review_never_eligible() -> None:
    answers = clear_answers()
    del answers["pregnant"]
    result = evaluate(_facts_with(answers))
    assert result.outcome is Outcome.NEEDS_REVIEW
    assert result.unanswered == ("pregnant",)
    (reason,) = result.reasons
    assert reason.rule_id == UNANSWERED_RULE_ID
    assert reason.text == "not answered: Pregnant or possibly pregnant"
    assert reason.evidence == ("pregnant",)


def test_an_empty_questionnaire_lists_every_opening_question_as_unanswered() -> None:
    result = evaluate(_facts_with({}))
    assert result.outcome is Outcome.NEEDS_REVIEW
    opening = [q.key for q in DEFAULT_RULES.questions if q.required and q.asked_if is None]
    assert list(result.unanswered) == opening


def test_a_follow_up_is_required_only_when_its_opening_question_is_yes() -> None:
    yes = evaluate(clear_facts({"high_blood_pressure": "yes"}))
    assert yes.unanswered == ("blood_pressure_controlled",)
    assert yes.outcome is Outcome.NEEDS_REVIEW
    unsure = evaluate(clear_facts({"heart_attack_or_stroke": "unsure"}))
    assert unsure.unanswered == ()


def test_a_heart_attack_with_no_date_is_reviewed_not_passed() -> None:
    result = evaluate(clear_facts({"heart_attack_or_stroke": "yes"}))
    assert result.unanswered == ("heart_attack_or_stroke_months_ago",)
    assert set(result.fired_rule_ids) == {"CV-PAST-EVENT", UNANSWERED_RULE_ID}


def test_blank_free_text_is_not_an_answer_and_optional_text_is_never_required() -> None:
    result = evaluate(clear_facts({"health_details": "   "}))
    assert result.outcome is Outcome.ELIGIBLE
    assert result.unanswered == ()


def test_the_result_carries_the_rules_version() -> None:
    assert evaluate(clear_facts()).rules_version == DEFAULT_RULES.version


# --- blood pressure at each boundary ------------------------------------------------------


@pytest.mark.parametrize(
    ("systolic", "diastolic", "outcome", "rule"),
    [
        (159, 99, Outcome.NEEDS_REVIEW, "BP-WARN"),
        (160, 99, Outcome.NOT_ELIGIBLE, "BP-DEFER"),
        (159, 100, Outcome.NOT_ELIGIBLE, "BP-DEFER"),
        (160, 100, Outcome.NOT_ELIGIBLE, "BP-DEFER"),
        (139, 89, Outcome.ELIGIBLE, None),
        (140, 89, Outcome.NEEDS_REVIEW, "BP-WARN"),
        (139, 90, Outcome.NEEDS_REVIEW, "BP-WARN"),
        (140, 90, Outcome.NEEDS_REVIEW, "BP-WARN"),
        (210, 120, Outcome.NOT_ELIGIBLE, "BP-DEFER"),
    ],
)
def test_blood_pressure_thresholds_at_each_boundary(
    systolic: int, diastolic: int, outcome: Outcome, rule: str | None
) -> None:
    result = evaluate(clear_facts(blood_pressure=BloodPressure(systolic, diastolic)))
    assert result.outcome is outcome
    assert result.fired_rule_ids == (() if rule is None else (rule,))


def test_the_thresholds_are_the_references_defaults() -> None:
    assert BP_DEFER_MMHG == (160, 100)
    assert BP_WARN_MMHG == (140, 90)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "field"),
    [
        (301, 80, "blood_pressure.systolic_mmhg"),
        (40, 30, "blood_pressure.systolic_mmhg"),
        (120, 10, "blood_pressure.diastolic_mmhg"),
        (120, 120, "blood_pressure.diastolic_mmhg"),
    ],
)
def test_an_impossible_blood_pressure_is_refused_naming_the_field(
    systolic: int, diastolic: int, field: str
) -> None:
    with pytest.raises(FactsError) as caught:
        BloodPressure(systolic, diastolic)
    assert caught.value.field_name == field


def test_an_impossible_age_is_refused() -> None:
    with pytest.raises(FactsError, match="age_years"):
        clear_facts(age_years=-1)
    with pytest.raises(FactsError, match="age_years"):
        ScreeningFacts(answers={}, age_years=True)


def test_facts_do_not_change_when_the_callers_dict_does() -> None:
    answers = clear_answers()
    facts = _facts_with(answers)
    answers["schizophrenia"] = "yes"
    assert evaluate(facts).outcome is Outcome.ELIGIBLE


# --- answers that do not fit -----------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("not_a_question", "yes", ANSWER_UNKNOWN_QUESTION),
        ("glaucoma", "Yes", ANSWER_NOT_YES_NO),
        ("glaucoma", True, ANSWER_NOT_YES_NO),
        ("glaucoma", 1, ANSWER_NOT_YES_NO),
        ("heart_attack_or_stroke_months_ago", "3", ANSWER_NOT_NUMBER),
        ("heart_attack_or_stroke_months_ago", 2.5, ANSWER_NOT_NUMBER),
        ("heart_attack_or_stroke_months_ago", True, ANSWER_NOT_NUMBER),
        ("heart_attack_or_stroke_months_ago", -1, ANSWER_OUT_OF_RANGE.format(low=0, high=1200)),
        ("heart_attack_or_stroke_months_ago", 1201, ANSWER_OUT_OF_RANGE.format(low=0, high=1200)),
        ("health_details", 5, "answer with text"),
        ("health_details", "x" * (TEXT_MAX_LENGTH + 1), ANSWER_TEXT_TOO_LONG),
        ("health_details", "nul \x00 here", ANSWER_TEXT_UNSTORABLE),
        ("health_details", "lone \ud800 surrogate", ANSWER_TEXT_UNSTORABLE),
    ],
)
def test_an_answer_that_does_not_fit_is_refused_naming_the_question(
    key: str, value: object, message: str
) -> None:
    answers: dict[str, object] = dict(clear_answers())
    answers[key] = value
    with pytest.raises(AnswerError) as caught:
        evaluate(_facts_with(answers))
    assert caught.value.field_name == key
    assert caught.value.message == message


def test_hostile_free_text_is_accepted_as_it_is() -> None:
    text = "<script>alert(1)</script> {{ 7*7 }} '; DROP TABLE patients; -- \u202e"
    result = evaluate(clear_facts({"health_details": text}))
    assert result.outcome is Outcome.ELIGIBLE
