"""Facts for the screening tests: a patient with nothing to report, and ways to add one thing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ketamine_clinic.screening.facts import (
    NO,
    AnswerValue,
    BloodPressure,
    PregnancyStatus,
    ScreeningFacts,
)
from ketamine_clinic.screening.questionnaire import AnswerType
from ketamine_clinic.screening.rules_data import DEFAULT_RULES


def clear_answers() -> dict[str, AnswerValue]:
    """Every opening yes/no question answered with its safe answer; no follow-up asked."""
    answers: dict[str, AnswerValue] = {}
    for question in DEFAULT_RULES.questions:
        if question.answer_type is AnswerType.YES_NO_UNSURE and question.asked_if is None:
            answers[question.key] = NO if question.risk_answer != NO else "yes"
    return answers


NORMAL_BP = BloodPressure(systolic_mmhg=120, diastolic_mmhg=80)
_UNSET = object()


def clear_facts(
    answers: Mapping[str, AnswerValue] | None = None,
    *,
    age_years: int = 40,
    medication_flags: Iterable[str] = (),
    diagnosis_codes: Iterable[str] = (),
    pregnancy_status: PregnancyStatus = PregnancyStatus.NOT_PREGNANT,
    allergies: Iterable[str] = (),
    blood_pressure: BloodPressure | object | None = _UNSET,
) -> ScreeningFacts:
    """A patient for whom no rule fires, with ``answers`` laid over the clear ones."""
    merged = clear_answers()
    merged.update(answers or {})
    bp = NORMAL_BP if blood_pressure is _UNSET else blood_pressure
    assert bp is None or isinstance(bp, BloodPressure)
    return ScreeningFacts(
        answers=merged,
        age_years=age_years,
        medication_flags=frozenset(medication_flags),
        diagnosis_codes=frozenset(diagnosis_codes),
        pregnancy_status=pregnancy_status,
        blood_pressure=bp,
        allergies=frozenset(allergies),
    )
