"""Known-answer tests: each rule fires on its condition, and on nothing else.

Every case starts from a patient for whom no rule fires (``clear_facts``) and changes
one thing; the test asserts the exact set of rules that fire. A last test checks that
every rule in the data has a case here, so a new rule cannot arrive untested.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from ketamine_clinic.screening.evaluator import evaluate
from ketamine_clinic.screening.facts import BloodPressure, Outcome, PregnancyStatus
from ketamine_clinic.screening.rules_data import DEFAULT_RULES
from tests.screening.support import clear_facts


@dataclass(frozen=True)
class Case:
    name: str
    fires: frozenset[str]
    answers: dict[str, Any] = field(default_factory=dict)
    kwargs: dict[str, Any] = field(default_factory=dict)


def case(name: str, fires: set[str], answers: dict[str, Any] | None = None, **kwargs: Any) -> Case:
    return Case(name, frozenset(fires), answers or {}, kwargs)


CASES = [
    # --- absolute ---
    case("schizophrenia answered yes", {"PSY-SCHIZOPHRENIA"}, {"schizophrenia": "yes"}),
    case("F20.9 recorded", {"PSY-SCHIZOPHRENIA"}, diagnosis_codes=["F20.9"]),
    case("f25.0 in lower case", {"PSY-SCHIZOPHRENIA"}, diagnosis_codes=["f25.0"]),
    case("F201 without the dot", {"PSY-SCHIZOPHRENIA"}, diagnosis_codes=["F201"]),
    case("psychosis in the past month", {"PSY-ACTIVE"}, {"psychosis_now": "yes"}),
    case("psychotic depression F32.3", {"PSY-DEPRESSION-PSYCHOTIC"}, diagnosis_codes=["F32.3"]),
    case("psychotic depression F33.3", {"PSY-DEPRESSION-PSYCHOTIC"}, diagnosis_codes=["F33.3"]),
    case("non-psychotic depression F33.1: nothing", set(), diagnosis_codes=["F33.1"]),
    case("mania now", {"MOOD-ACTIVE-MANIA"}, {"mania_now": "yes"}),
    case("ketamine allergy", {"ALLERGY-KETAMINE"}, {"ketamine_allergy": "yes"}),
    case("registry allergy to Esketamine", {"ALLERGY-KETAMINE"}, allergies=["Esketamine"]),
    case("registry allergy to penicillin: nothing", set(), allergies=["Penicillin"]),
    case("pregnant answered yes", {"PREG-PREGNANT"}, {"pregnant": "yes"}),
    case(
        "registry says pregnant",
        {"PREG-PREGNANT"},
        pregnancy_status=PregnancyStatus.PREGNANT,
    ),
    case(
        "heart attack 5 months ago",
        {"CV-RECENT-EVENT", "CV-PAST-EVENT"},
        {"heart_attack_or_stroke": "yes", "heart_attack_or_stroke_months_ago": 5},
    ),
    case(
        "heart attack 0 months ago",
        {"CV-RECENT-EVENT", "CV-PAST-EVENT"},
        {"heart_attack_or_stroke": "yes", "heart_attack_or_stroke_months_ago": 0},
    ),
    case("acute MI code I21.4", {"CV-RECENT-EVENT"}, diagnosis_codes=["I21.4"]),
    case("chest pain at rest", {"CV-UNSTABLE-ANGINA"}, {"chest_pain": "yes"}),
    case("unstable angina I20.0", {"CV-UNSTABLE-ANGINA"}, diagnosis_codes=["I20.0"]),
    case("aneurysm answered yes", {"CV-ANEURYSM"}, {"aneurysm": "yes"}),
    case("aortic aneurysm I71.4", {"CV-ANEURYSM"}, diagnosis_codes=["I71.4"]),
    case("cerebral aneurysm I67.1", {"CV-ANEURYSM"}, diagnosis_codes=["I67.1"]),
    case("BP 160/80", {"BP-DEFER"}, blood_pressure=BloodPressure(160, 80)),
    case("BP 120/100", {"BP-DEFER"}, blood_pressure=BloodPressure(120, 100)),
    case("BP 160/100", {"BP-DEFER"}, blood_pressure=BloodPressure(160, 100)),
    case("raised brain pressure", {"ICP-RAISED"}, {"raised_brain_pressure": "yes"}),
    case("intracranial hypertension G93.2", {"ICP-RAISED"}, diagnosis_codes=["G93.2"]),
    case("hydrocephalus G91.9", {"ICP-RAISED"}, diagnosis_codes=["G91.9"]),
    # --- relative ---
    case("psychosis ever", {"PSY-HISTORY"}, {"psychosis_ever": "yes"}),
    case("psychotic disorder F29", {"PSY-HISTORY"}, diagnosis_codes=["F29"]),
    case("bipolar answered yes", {"MOOD-BIPOLAR"}, {"bipolar": "yes"}),
    case("bipolar F31.81", {"MOOD-BIPOLAR"}, diagnosis_codes=["F31.81"]),
    case("manic episode F30.10", {"MOOD-BIPOLAR"}, diagnosis_codes=["F30.10"]),
    case(
        "registry says possibly pregnant",
        {"PREG-POSSIBLE"},
        pregnancy_status=PregnancyStatus.POSSIBLE,
    ),
    case("breastfeeding", {"PREG-BREASTFEEDING"}, {"breastfeeding": "yes"}),
    case(
        "treated hypertension, controlled",
        {"HTN-HISTORY"},
        {"high_blood_pressure": "yes", "blood_pressure_controlled": "yes"},
    ),
    case("hypertension I10", {"HTN-HISTORY"}, diagnosis_codes=["I10"]),
    case(
        "hypertension not controlled",
        {"HTN-HISTORY", "HTN-NOT-CONTROLLED"},
        {"high_blood_pressure": "yes", "blood_pressure_controlled": "no"},
    ),
    case(
        "heart attack 6 months ago: no longer recent",
        {"CV-PAST-EVENT"},
        {"heart_attack_or_stroke": "yes", "heart_attack_or_stroke_months_ago": 6},
    ),
    case("old MI I25.2", {"CV-PAST-EVENT"}, diagnosis_codes=["I25.2"]),
    case("history of stroke Z86.73", {"CV-PAST-EVENT"}, diagnosis_codes=["Z86.73"]),
    case("BP 159/99", {"BP-WARN"}, blood_pressure=BloodPressure(159, 99)),
    case("BP 140/60", {"BP-WARN"}, blood_pressure=BloodPressure(140, 60)),
    case("BP 110/90", {"BP-WARN"}, blood_pressure=BloodPressure(110, 90)),
    case("BP 139/89: nothing", set(), blood_pressure=BloodPressure(139, 89)),
    case("no BP recorded", {"BP-NOT-MEASURED"}, blood_pressure=None),
    case("recent head injury", {"HEAD-INJURY-RECENT"}, {"head_injury_recent": "yes"}),
    case("substance problem this year", {"SUD-CURRENT"}, {"substance_use_now": "yes"}),
    case("substance problem before", {"SUD-HISTORY"}, {"substance_use_past": "yes"}),
    case("alcohol use disorder F10.20", {"SUD-HISTORY"}, diagnosis_codes=["F10.20"]),
    case("opioid use disorder F11.21", {"SUD-HISTORY"}, diagnosis_codes=["F11.21"]),
    case("other substance F19.10", {"SUD-HISTORY"}, diagnosis_codes=["F19.10"]),
    case("nicotine F17.210 is not a substance rule", set(), diagnosis_codes=["F17.210"]),
    case("ketamine or PCP", {"SUD-KETAMINE-PCP"}, {"ketamine_or_pcp_use": "yes"}),
    case("liver disease", {"LIVER"}, {"liver_disease": "yes"}),
    case("cirrhosis K74.60", {"LIVER"}, diagnosis_codes=["K74.60"]),
    case("glaucoma", {"GLAUCOMA"}, {"glaucoma": "yes"}),
    case("glaucoma H40.11", {"GLAUCOMA"}, diagnosis_codes=["H40.11"]),
    case("thyroid", {"THYROID"}, {"thyroid_uncontrolled": "yes"}),
    case("thyrotoxicosis E05.00", {"THYROID"}, diagnosis_codes=["E05.00"]),
    case("sleep apnoea", {"AIRWAY"}, {"sleep_apnoea_or_airway": "yes"}),
    case("OSA G47.33", {"AIRWAY"}, diagnosis_codes=["G47.33"]),
    case("aged 17", {"AGE-UNDER-18"}, age_years=17),
    case("aged 18: nothing", set(), age_years=18),
    case("aged 64: nothing", set(), age_years=64),
    case("aged 65", {"AGE-65-PLUS"}, age_years=65),
    case("benzodiazepine answered", {"MED-BENZODIAZEPINE"}, {"takes_benzodiazepine": "yes"}),
    case("benzodiazepine flag", {"MED-BENZODIAZEPINE"}, medication_flags=["benzodiazepine"]),
    case("lamotrigine answered", {"MED-LAMOTRIGINE"}, {"takes_lamotrigine": "yes"}),
    case("lamotrigine flag", {"MED-LAMOTRIGINE"}, medication_flags=["lamotrigine"]),
    case("MAOI answered", {"MED-MAOI"}, {"takes_maoi": "yes"}),
    case("MAOI flag", {"MED-MAOI"}, medication_flags=["maoi"]),
    case("stimulant answered", {"MED-STIMULANT"}, {"takes_stimulant": "yes"}),
    case("stimulant flag", {"MED-STIMULANT"}, medication_flags=["stimulant"]),
    case("sympathomimetic flag", {"MED-STIMULANT"}, medication_flags=["sympathomimetic"]),
    case("unsure about glaucoma", {"ANSWER-UNSURE"}, {"glaucoma": "unsure"}),
    case("unsure about pregnancy", {"ANSWER-UNSURE"}, {"pregnant": "unsure"}),
    # --- things that must not fire anything ---
    case("depression F32.A is the indication", set(), diagnosis_codes=["F32.A"]),
    case("stable angina I20.9: not unstable", set(), diagnosis_codes=["I20.9"]),
    case("free text that reads 'unsure'", set(), {"health_details": "unsure"}),
    case("free text that reads 'yes'", set(), {"medication_details": "yes"}),
    case(
        "a follow-up answered after its opening question was no",
        set(),
        {"heart_attack_or_stroke": "no", "heart_attack_or_stroke_months_ago": 1},
    ),
    case("registry: not applicable", set(), pregnancy_status=PregnancyStatus.NOT_APPLICABLE),
    case("registry: unknown", set(), pregnancy_status=PregnancyStatus.UNKNOWN),
]


def test_the_clear_patient_fires_nothing_and_is_eligible() -> None:
    result = evaluate(clear_facts())
    assert result.reasons == ()
    assert result.outcome is Outcome.ELIGIBLE
    assert result.unanswered == ()


@pytest.mark.parametrize("item", CASES, ids=[c.name for c in CASES])
def test_each_rule_fires_on_its_condition_and_only_on_it(item: Case) -> None:
    result = evaluate(clear_facts(item.answers, **item.kwargs))
    assert set(result.fired_rule_ids) == item.fires
    expected = max(
        (DEFAULT_RULES_BY_ID[rule_id].level for rule_id in item.fires),
        key=lambda level: level.severity,
        default=Outcome.ELIGIBLE,
    )
    assert result.outcome is expected


DEFAULT_RULES_BY_ID = {rule.id: rule for rule in DEFAULT_RULES.rules}


def test_every_rule_has_a_known_answer_case() -> None:
    covered = set().union(*(c.fires for c in CASES))
    assert covered == set(DEFAULT_RULES_BY_ID)


ABSOLUTE = {
    "PSY-SCHIZOPHRENIA",
    "PSY-ACTIVE",
    "PSY-DEPRESSION-PSYCHOTIC",
    "MOOD-ACTIVE-MANIA",
    "ALLERGY-KETAMINE",
    "PREG-PREGNANT",
    "CV-RECENT-EVENT",
    "CV-UNSTABLE-ANGINA",
    "CV-ANEURYSM",
    "BP-DEFER",
    "ICP-RAISED",
}


def test_the_absolute_contraindications_and_only_they_make_a_patient_not_eligible() -> None:
    not_eligible = {r.id for r in DEFAULT_RULES.rules if r.level is Outcome.NOT_ELIGIBLE}
    assert not_eligible == ABSOLUTE
    assert all(r.level is Outcome.NEEDS_REVIEW for r in DEFAULT_RULES.rules if r.id not in ABSOLUTE)


def test_every_yes_no_question_has_a_rule_for_its_risk_answer() -> None:
    """Otherwise a patient could answer towards risk and the rules would not notice."""
    for question in DEFAULT_RULES.yes_no_questions:
        answers: dict[str, Any] = {question.key: question.risk_answer}
        if question.asked_if is not None:
            answers[question.asked_if[0]] = "yes"
        result = evaluate(clear_facts(answers))
        own = [r for r in result.reasons if any(e.startswith(question.key) for e in r.evidence)]
        assert own, question.key


def test_a_reason_carries_the_rule_text_source_and_evidence() -> None:
    result = evaluate(clear_facts(diagnosis_codes=["f20.9"], blood_pressure=BloodPressure(162, 95)))
    by_id = {reason.rule_id: reason for reason in result.reasons}
    schizophrenia = by_id["PSY-SCHIZOPHRENIA"]
    assert schizophrenia.level is Outcome.NOT_ELIGIBLE
    assert schizophrenia.text == DEFAULT_RULES_BY_ID["PSY-SCHIZOPHRENIA"].reason
    assert "Sanacora" in schizophrenia.source
    assert schizophrenia.evidence == ("diagnosis F20.9",)
    assert by_id["BP-DEFER"].evidence == ("BP 162/95 mmHg",)
    assert by_id["BP-DEFER"].source.endswith("(verify)")


def test_unsure_evidence_names_every_unsure_answer() -> None:
    result = evaluate(clear_facts({"glaucoma": "unsure", "bipolar": "unsure"}))
    (reason,) = result.reasons
    assert reason.evidence == ("bipolar = unsure", "glaucoma = unsure")
