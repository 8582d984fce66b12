"""Property tests: answering towards risk never makes the outcome better.

Hypothesis draws whole screenings (any mix of answered, unanswered and unsure, any
registry facts) and then moves one thing towards risk: one yes/no answer from its safe
answer to "unsure" or to its risk answer, or from "unsure" to the risk answer; one more
medication flag or diagnosis code; a higher blood pressure. The outcome's severity must
not drop. Also: the outcome is always the worst level among the reasons, and never
ELIGIBLE while a required question that was asked is unanswered.
"""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from ketamine_clinic.screening.evaluator import evaluate
from ketamine_clinic.screening.facts import (
    NO,
    UNSURE,
    YES,
    BloodPressure,
    Outcome,
    PregnancyStatus,
    ScreeningFacts,
)
from ketamine_clinic.screening.questionnaire import AnswerType, Question
from ketamine_clinic.screening.rules_data import DEFAULT_RULES

FLAGS = ["benzodiazepine", "lamotrigine", "maoi", "stimulant", "sympathomimetic", "other"]
CODES = [
    "F20.9", "F25.0", "F29", "F31.9", "F30.10", "F10.20", "F17.210", "F32.A", "F41.1",
    "I10", "I21.4", "I20.0", "I25.2", "I71.4", "G93.2", "G47.33", "K74.60", "H40.11",
    "E05.00", "Z86.73", "E03.9", "F32.3", "F33.1",
]  # fmt: skip


def _answer(question: Question) -> st.SearchStrategy[object]:
    if question.answer_type is AnswerType.YES_NO_UNSURE:
        return st.sampled_from([None, YES, NO, UNSURE])
    if question.answer_type is AnswerType.NUMBER:
        low, high = question.number_range or (0, 0)
        return st.one_of(st.none(), st.integers(low, high))
    return st.one_of(
        st.none(),
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=30),
    )


@st.composite
def answer_sets(draw: st.DrawFn) -> dict[str, object]:
    drawn = {q.key: draw(_answer(q)) for q in DEFAULT_RULES.questions}
    return {key: value for key, value in drawn.items() if value is not None}


@st.composite
def blood_pressures(draw: st.DrawFn) -> BloodPressure:
    systolic = draw(st.integers(50, 300))
    return BloodPressure(systolic, draw(st.integers(20, min(200, systolic - 1))))


@st.composite
def screenings(draw: st.DrawFn) -> ScreeningFacts:
    return ScreeningFacts(
        answers=draw(answer_sets()),  # type: ignore[arg-type]
        age_years=draw(st.integers(0, 130)),
        medication_flags=frozenset(draw(st.sets(st.sampled_from(FLAGS)))),
        diagnosis_codes=frozenset(draw(st.sets(st.sampled_from(CODES), max_size=4))),
        pregnancy_status=draw(st.sampled_from(list(PregnancyStatus))),
        blood_pressure=draw(st.one_of(st.none(), blood_pressures())),
    )


def _riskier(question: Question, current: object) -> list[str]:
    """Answers more towards risk than ``current``: safe < unsure < risk."""
    risk = str(question.risk_answer)
    safe = NO if risk == YES else YES
    order = [safe, UNSURE, risk]
    if not isinstance(current, str) or current not in order:
        return [UNSURE, risk]  # from unanswered: unsure and risk are never better
    return order[order.index(current) + 1 :]


def _severity(facts: ScreeningFacts) -> int:
    return evaluate(facts).outcome.severity


@given(screenings(), st.data())
def test_answering_towards_risk_never_makes_the_outcome_better(
    facts: ScreeningFacts, data: st.DataObject
) -> None:
    question = data.draw(st.sampled_from(DEFAULT_RULES.yes_no_questions))
    options = _riskier(question, facts.answers.get(question.key))
    if not options:
        return
    new_answer = data.draw(st.sampled_from(options))
    riskier = dataclasses.replace(facts, answers={**facts.answers, question.key: new_answer})
    assert _severity(riskier) >= _severity(facts)


@given(screenings(), st.sampled_from(FLAGS), st.sampled_from(CODES))
def test_another_flag_or_diagnosis_never_makes_the_outcome_better(
    facts: ScreeningFacts, flag: str, code: str
) -> None:
    with_flag = dataclasses.replace(facts, medication_flags=facts.medication_flags | {flag})
    with_code = dataclasses.replace(facts, diagnosis_codes=facts.diagnosis_codes | {code})
    assert _severity(with_flag) >= _severity(facts)
    assert _severity(with_code) >= _severity(facts)


@given(screenings(), blood_pressures(), st.integers(0, 60), st.integers(0, 60))
def test_a_higher_blood_pressure_never_makes_the_outcome_better(
    facts: ScreeningFacts, bp: BloodPressure, up_systolic: int, up_diastolic: int
) -> None:
    higher = BloodPressure(
        min(bp.systolic_mmhg + up_systolic, 300),
        min(bp.diastolic_mmhg + up_diastolic, 200, min(bp.systolic_mmhg + up_systolic, 300) - 1),
    )
    if higher.diastolic_mmhg < bp.diastolic_mmhg:
        return
    before = dataclasses.replace(facts, blood_pressure=bp)
    after = dataclasses.replace(facts, blood_pressure=higher)
    assert _severity(after) >= _severity(before)


@given(screenings())
def test_the_outcome_is_the_worst_reason_and_unanswered_is_never_eligible(
    facts: ScreeningFacts,
) -> None:
    result = evaluate(facts)
    worst = max((r.level.severity for r in result.reasons), default=0)
    assert result.outcome.severity == worst
    if result.unanswered:
        assert result.outcome is not Outcome.ELIGIBLE
    if result.outcome is Outcome.ELIGIBLE:
        assert result.reasons == ()
