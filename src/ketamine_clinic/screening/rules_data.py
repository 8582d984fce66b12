"""The clinic's screening rules, as typed Python data, each with its source.

Why Python rather than TOML: the same reasons as ``pharmacology/drug_library_data.py``.
Rules are frozen dataclasses checked when this module is imported (a rule reading a
question that does not exist, or a duplicate id, fails the test run, not a screening);
mypy checks every field; each threshold sits next to the comment that justifies it; a
condition is a small typed tree (``conditions.py``), which TOML would have to
re-invent as a mini-language with its own parser and its own bugs. A clinic changes
its rules by changing this module under review, bumping ``RULES_VERSION`` and the
pinned fingerprint in ``tests/screening/test_rules_version.py`` (docs/screening.md).

Levels: NOT_ELIGIBLE for the reference's "absolute or near-absolute" contraindications,
NEEDS_REVIEW for its relative ones (``/work/shared/reference/clinical.md``,
"Contraindications to screen for"). NOT_ELIGIBLE is the rules' verdict, not the end of
the matter: a prescriber records the decision, and may override with a stated reason.

``verify=True`` marks a rule whose source the reference says to check, or a number
(6 months, age 18 and 65, BP 160/100 and 140/90) that is a clinic default rather than
a published threshold. They show "(verify)" until a clinician has checked them.

Diagnosis codes are ICD-10-CM prefixes. F17 (nicotine) is deliberately absent from
the substance-use rules: smoking is not the substance use the APA statement means.
"""

from __future__ import annotations

from typing import Final

from ketamine_clinic.screening.conditions import (
    AgeAtLeast,
    AgeBelow,
    AllergyMentions,
    AllOf,
    AnswerBelow,
    AnswerIs,
    AnyAnswerIs,
    AnyOf,
    BloodPressureAtLeast,
    BloodPressureMissing,
    DiagnosisPrefix,
    HasMedicationFlag,
    Not,
    PregnancyStatusIs,
)
from ketamine_clinic.screening.facts import NO, UNSURE, YES, Outcome, PregnancyStatus
from ketamine_clinic.screening.questionnaire import AnswerType
from ketamine_clinic.screening.questionnaire_data import QUESTIONS
from ketamine_clinic.screening.rules import Rule, RuleSet

# Bump on ANY change to QUESTIONS or RULES (texts included), then pin the new
# fingerprint in tests/screening/test_rules_version.py. Format: date of the change and a
# counter for that day.
RULES_VERSION: Final = "2026-11-26.2"

# --- Sources ------------------------------------------------------------------------------
APA_2017: Final = "APA consensus statement, Sanacora et al., JAMA Psychiatry 2017"
FDA_KETAMINE: Final = "FDA ketamine hydrochloride (Ketalar) label: contraindications"
SPRAVATO: Final = "Spravato (esketamine) label: assess BP before dosing, defer if elevated"
YALE_2024: Final = "Yale retrospective, Gen Hosp Psychiatry 2024: hypertension predicts BP surges"
REFERENCE_ABSOLUTE: Final = (
    "Clinical reference, absolute contraindications (primary source not named)"
)
REFERENCE_RELATIVE: Final = (
    "Clinical reference, relative contraindications (primary source not named)"
)
CLINIC_DEFAULT: Final = "Clinic-configurable default"

# --- Thresholds (clinic-configurable defaults, clinical.md "Reasonable configurable
# defaults (verify per clinic)") ---------------------------------------------------------
# Defer at >= 160/100: the reference's default; the Spravato label suggests deferring
# "when BP is elevated (e.g. > 140/90)" and stopping above 180/100, and ketamine raises
# BP by a mean +16/+11 mmHg at its peak (Yale 2024), so 160/100 before the infusion
# leaves ~175/110 at the peak: at the reference's reduce-or-pause line.
BP_DEFER_MMHG: Final = (160, 100)
# Warn at >= 140/90: the Spravato example of "elevated"; the prescriber looks, and picks
# the cardiovascular-caution care area of the drug library if they go ahead.
BP_WARN_MMHG: Final = (140, 90)
# A heart attack or stroke within 6 months is "recent": the FDA label names no interval;
# 6 months is the usual window in which elective procedures that raise BP are deferred.
RECENT_EVENT_MONTHS: Final = 6
# Age extremes (a relative contraindication, no numbers given): under 18, the trials
# enrolled adults only; 65 and over, the drug library's cardiovascular-caution threshold
# (age predicts larger BP rises: 741-infusion series and Yale 2024).
ADULT_AGE_YEARS: Final = 18
OLDER_AGE_YEARS: Final = 65

_YES = frozenset({YES})
_YES_NO_KEYS = frozenset(q.key for q in QUESTIONS if q.answer_type is AnswerType.YES_NO_UNSURE)


def _yes(key: str) -> AnswerIs:
    return AnswerIs(key, _YES)


RULES: Final[tuple[Rule, ...]] = (
    # === Absolute or near-absolute: NOT_ELIGIBLE ========================================
    Rule(
        id="PSY-SCHIZOPHRENIA",
        condition=AnyOf((_yes("schizophrenia"), DiagnosisPrefix(frozenset({"F20", "F25"})))),
        level=Outcome.NOT_ELIGIBLE,
        reason=(
            "Schizophrenia or schizoaffective disorder: ketamine can worsen psychotic "
            "symptoms; the reference lists a history of schizophrenia as absolute."
        ),
        source=APA_2017,
    ),
    Rule(
        id="PSY-ACTIVE",
        condition=_yes("psychosis_now"),
        level=Outcome.NOT_ELIGIBLE,
        reason="Psychotic symptoms in the past month: active psychosis is absolute.",
        source=APA_2017,
    ),
    Rule(
        id="PSY-DEPRESSION-PSYCHOTIC",
        # F32.3 / F33.3: major depressive disorder, severe, with psychotic features. The
        # code describes an episode, which may be the present one; the registry's list
        # marks both as a contraindication (patients/diagnosis_codes.py). A prescriber who
        # knows the psychotic features are past records an override.
        condition=DiagnosisPrefix(frozenset({"F32.3", "F33.3"})),
        level=Outcome.NOT_ELIGIBLE,
        reason=(
            "Depression with psychotic features recorded: active psychosis is absolute. "
            "If the psychotic features are in the past, say so in an override."
        ),
        source=APA_2017,
        verify=True,  # NOT_ELIGIBLE rather than review is the clinic's reading
    ),
    Rule(
        id="MOOD-ACTIVE-MANIA",
        condition=_yes("mania_now"),
        level=Outcome.NOT_ELIGIBLE,
        reason="Symptoms of mania now or in the past week: active mania is absolute.",
        source=REFERENCE_ABSOLUTE,
        verify=True,
    ),
    Rule(
        id="ALLERGY-KETAMINE",
        # "ketamine" also finds "esketamine" and "S-ketamine" in the registry's allergies.
        condition=AnyOf((_yes("ketamine_allergy"), AllergyMentions(frozenset({"ketamine"})))),
        level=Outcome.NOT_ELIGIBLE,
        reason="Allergy or serious reaction to ketamine or esketamine: known hypersensitivity.",
        source=FDA_KETAMINE,
    ),
    Rule(
        id="PREG-PREGNANT",
        condition=AnyOf(
            (
                _yes("pregnant"),
                PregnancyStatusIs(frozenset({PregnancyStatus.PREGNANT})),
            )
        ),
        level=Outcome.NOT_ELIGIBLE,
        reason="Pregnant or possibly pregnant: not treated until pregnancy is excluded.",
        source=APA_2017,
    ),
    Rule(
        id="CV-RECENT-EVENT",
        condition=AnyOf(
            (
                AllOf(
                    (
                        _yes("heart_attack_or_stroke"),
                        AnswerBelow("heart_attack_or_stroke_months_ago", RECENT_EVENT_MONTHS),
                    )
                ),
                # I21/I22: acute and subsequent myocardial infarction (ICD-10-CM: within 4 weeks).
                DiagnosisPrefix(frozenset({"I21", "I22"})),
            )
        ),
        level=Outcome.NOT_ELIGIBLE,
        reason=(
            f"Heart attack or stroke in the past {RECENT_EVENT_MONTHS} months: a rise in "
            "blood pressure would be a serious hazard."
        ),
        source=FDA_KETAMINE,
        verify=True,  # the 6-month window is the clinic's, not the label's
    ),
    Rule(
        id="CV-UNSTABLE-ANGINA",
        condition=AnyOf((_yes("chest_pain"), DiagnosisPrefix(frozenset({"I20.0"})))),
        level=Outcome.NOT_ELIGIBLE,
        reason=(
            "Chest pain that is new, worsening or at rest (possible unstable angina): a rise "
            "in blood pressure would be a serious hazard."
        ),
        source=FDA_KETAMINE,
    ),
    Rule(
        id="CV-ANEURYSM",
        # I71: aortic aneurysm and dissection; I67.1: cerebral aneurysm, nonruptured.
        condition=AnyOf((_yes("aneurysm"), DiagnosisPrefix(frozenset({"I71", "I67.1"})))),
        level=Outcome.NOT_ELIGIBLE,
        reason="Aneurysm: a rise in blood pressure would be a serious hazard.",
        source=FDA_KETAMINE,
    ),
    Rule(
        id="BP-DEFER",
        condition=BloodPressureAtLeast(*BP_DEFER_MMHG),
        level=Outcome.NOT_ELIGIBLE,
        reason=(
            f"Blood pressure at or above {BP_DEFER_MMHG[0]}/{BP_DEFER_MMHG[1]} mmHg: "
            "uncontrolled hypertension. Defer; re-screen once it is controlled."
        ),
        source=f"{APA_2017}; threshold: {SPRAVATO}; {CLINIC_DEFAULT}",
        verify=True,  # the reference: "Exact BP thresholds: verify"
    ),
    Rule(
        id="ICP-RAISED",
        # G93.2: benign intracranial hypertension; G91: hydrocephalus; G93.6: cerebral oedema.
        condition=AnyOf(
            (
                _yes("raised_brain_pressure"),
                DiagnosisPrefix(frozenset({"G93.2", "G91", "G93.6"})),
            )
        ),
        level=Outcome.NOT_ELIGIBLE,
        reason="Raised intracranial pressure, brain tumour or hydrocephalus: ketamine can raise it further.",
        source=APA_2017,
    ),
    # === Relative: NEEDS_REVIEW ============================================================
    Rule(
        id="PSY-HISTORY",
        # F22-F24, F28, F29: delusional, brief psychotic, shared and other psychotic disorders.
        condition=AnyOf(
            (
                _yes("psychosis_ever"),
                DiagnosisPrefix(frozenset({"F22", "F23", "F24", "F28", "F29"})),
            )
        ),
        level=Outcome.NEEDS_REVIEW,
        reason="History of psychotic symptoms: a relative contraindication; review the history.",
        source=APA_2017,
    ),
    Rule(
        id="MOOD-BIPOLAR",
        # F30: manic episode; F31: bipolar disorder (any current episode).
        condition=AnyOf((_yes("bipolar"), DiagnosisPrefix(frozenset({"F30", "F31"})))),
        level=Outcome.NEEDS_REVIEW,
        reason=(
            "Bipolar disorder or past mania: risk of a switch into mania; check the current "
            "mood state and mood stabiliser."
        ),
        source=REFERENCE_RELATIVE,
        verify=True,
    ),
    Rule(
        id="PREG-POSSIBLE",
        condition=PregnancyStatusIs(frozenset({PregnancyStatus.POSSIBLE})),
        level=Outcome.NEEDS_REVIEW,
        reason=(
            "The registry records that the patient could be pregnant: exclude pregnancy "
            "(e.g. a test) before treating."
        ),
        source=APA_2017,
    ),
    Rule(
        id="PREG-BREASTFEEDING",
        condition=_yes("breastfeeding"),
        level=Outcome.NEEDS_REVIEW,
        reason="Breastfeeding: ketamine passes into breast milk; discuss timing of feeds.",
        source=CLINIC_DEFAULT,
        verify=True,
    ),
    Rule(
        id="HTN-HISTORY",
        # I10-I16: hypertensive diseases.
        condition=AnyOf(
            (
                _yes("high_blood_pressure"),
                DiagnosisPrefix(frozenset({"I10", "I11", "I12", "I13", "I15", "I16"})),
            )
        ),
        level=Outcome.NEEDS_REVIEW,
        reason=(
            "History of hypertension: larger BP rises are likely; consider the drug "
            "library's cardiovascular-caution care area."
        ),
        source=YALE_2024,
    ),
    Rule(
        id="HTN-NOT-CONTROLLED",
        condition=AnswerIs("blood_pressure_controlled", frozenset({NO})),
        level=Outcome.NEEDS_REVIEW,
        reason=(
            "Patient reports blood pressure not under control: measure it; uncontrolled "
            "hypertension is a contraindication (the measured BP rules decide)."
        ),
        source=APA_2017,
    ),
    Rule(
        id="CV-PAST-EVENT",
        # I25.2: old myocardial infarction; Z86.73: personal history of TIA or stroke.
        condition=AnyOf(
            (
                _yes("heart_attack_or_stroke"),
                DiagnosisPrefix(frozenset({"I25.2", "Z86.73"})),
            )
        ),
        level=Outcome.NEEDS_REVIEW,
        reason="Heart attack or stroke in the past: review the cardiovascular risk.",
        source=FDA_KETAMINE,
    ),
    Rule(
        id="BP-WARN",
        condition=AllOf(
            (
                BloodPressureAtLeast(*BP_WARN_MMHG),
                Not(BloodPressureAtLeast(*BP_DEFER_MMHG)),
            )
        ),
        level=Outcome.NEEDS_REVIEW,
        reason=(
            f"Blood pressure at or above {BP_WARN_MMHG[0]}/{BP_WARN_MMHG[1]} mmHg: elevated; "
            "re-measure and review before the first infusion."
        ),
        source=f"{SPRAVATO}; {CLINIC_DEFAULT}",
        verify=True,
    ),
    Rule(
        id="BP-NOT-MEASURED",
        condition=BloodPressureMissing(),
        level=Outcome.NEEDS_REVIEW,
        reason="No blood pressure on record: measure it before deciding.",
        source=f"{APA_2017} (baseline assessment); {CLINIC_DEFAULT}",
    ),
    Rule(
        id="HEAD-INJURY-RECENT",
        condition=_yes("head_injury_recent"),
        level=Outcome.NEEDS_REVIEW,
        reason="Head injury in the past 3 months: exclude raised intracranial pressure.",
        source=f"{APA_2017} (elevated intracranial pressure); {CLINIC_DEFAULT}",
        verify=True,
    ),
    Rule(
        id="SUD-CURRENT",
        condition=_yes("substance_use_now"),
        level=Outcome.NEEDS_REVIEW,
        reason="Alcohol or drug problem in the past 12 months: a relative contraindication.",
        source=APA_2017,
    ),
    Rule(
        id="SUD-HISTORY",
        # F10-F19 without F17 (nicotine): alcohol and drug use disorders, any remission state.
        condition=AnyOf(
            (
                _yes("substance_use_past"),
                DiagnosisPrefix(
                    frozenset({"F10", "F11", "F12", "F13", "F14", "F15", "F16", "F18", "F19"})
                ),
            )
        ),
        level=Outcome.NEEDS_REVIEW,
        reason="Past or recorded substance use disorder: a relative contraindication.",
        source=APA_2017,
    ),
    Rule(
        id="SUD-KETAMINE-PCP",
        condition=_yes("ketamine_or_pcp_use"),
        level=Outcome.NEEDS_REVIEW,
        reason="Ketamine or PCP used outside a clinic: risk of misuse; review with care.",
        source=APA_2017,
    ),
    Rule(
        id="LIVER",
        # K70: alcoholic liver disease; K72: hepatic failure; K74: fibrosis and cirrhosis;
        # B18: chronic viral hepatitis.
        condition=AnyOf(
            (_yes("liver_disease"), DiagnosisPrefix(frozenset({"K70", "K72", "K74", "B18"})))
        ),
        level=Outcome.NEEDS_REVIEW,
        reason="Liver disease: ketamine is cleared by the liver; check liver function.",
        source=REFERENCE_RELATIVE,
        verify=True,
    ),
    Rule(
        id="GLAUCOMA",
        condition=AnyOf((_yes("glaucoma"), DiagnosisPrefix(frozenset({"H40"})))),
        level=Outcome.NEEDS_REVIEW,
        reason="Glaucoma or raised eye pressure: ketamine may raise intra-ocular pressure.",
        source=REFERENCE_RELATIVE,
        verify=True,
    ),
    Rule(
        id="THYROID",
        # E05: thyrotoxicosis (hyperthyroidism).
        condition=AnyOf((_yes("thyroid_uncontrolled"), DiagnosisPrefix(frozenset({"E05"})))),
        level=Outcome.NEEDS_REVIEW,
        reason="Overactive or poorly controlled thyroid: adds to the rise in heart rate and BP.",
        source=REFERENCE_RELATIVE,
        verify=True,
    ),
    Rule(
        id="AIRWAY",
        # G47.33: obstructive sleep apnoea.
        condition=AnyOf((_yes("sleep_apnoea_or_airway"), DiagnosisPrefix(frozenset({"G47.33"})))),
        level=Outcome.NEEDS_REVIEW,
        reason="Sleep apnoea or airway problems: plan airway support and monitoring.",
        source=REFERENCE_RELATIVE,
        verify=True,
    ),
    Rule(
        id="AGE-UNDER-18",
        condition=AgeBelow(ADULT_AGE_YEARS),
        level=Outcome.NEEDS_REVIEW,
        reason=f"Under {ADULT_AGE_YEARS}: the studies of IV ketamine for depression enrolled adults.",
        source=f"{REFERENCE_RELATIVE} (age extremes); {CLINIC_DEFAULT}",
        verify=True,
    ),
    Rule(
        id="AGE-65-PLUS",
        condition=AgeAtLeast(OLDER_AGE_YEARS),
        level=Outcome.NEEDS_REVIEW,
        reason=(
            f"Aged {OLDER_AGE_YEARS} or over: larger BP rises are likely; consider the "
            "cardiovascular-caution care area."
        ),
        source=f"{REFERENCE_RELATIVE} (age extremes); {CLINIC_DEFAULT}",
        verify=True,
    ),
    Rule(
        id="MED-BENZODIAZEPINE",
        condition=AnyOf(
            (_yes("takes_benzodiazepine"), HasMedicationFlag(frozenset({"benzodiazepine"})))
        ),
        level=Outcome.NEEDS_REVIEW,
        reason="Takes a benzodiazepine: may blunt the antidepressant effect; review the dose and timing.",
        source=REFERENCE_RELATIVE,
        verify=True,
    ),
    Rule(
        id="MED-LAMOTRIGINE",
        condition=AnyOf((_yes("takes_lamotrigine"), HasMedicationFlag(frozenset({"lamotrigine"})))),
        level=Outcome.NEEDS_REVIEW,
        reason="Takes lamotrigine: may blunt the antidepressant effect.",
        source=REFERENCE_RELATIVE,
        verify=True,
    ),
    Rule(
        id="MED-MAOI",
        condition=AnyOf((_yes("takes_maoi"), HasMedicationFlag(frozenset({"maoi"})))),
        level=Outcome.NEEDS_REVIEW,
        reason="Takes an MAO inhibitor: adds to the rise in blood pressure.",
        source=REFERENCE_RELATIVE,
        verify=True,
    ),
    Rule(
        id="MED-STIMULANT",
        condition=AnyOf(
            (
                _yes("takes_stimulant"),
                HasMedicationFlag(frozenset({"stimulant", "sympathomimetic"})),
            )
        ),
        level=Outcome.NEEDS_REVIEW,
        reason="Takes a stimulant or sympathomimetic: adds to the rise in blood pressure.",
        source=REFERENCE_RELATIVE,
        verify=True,
    ),
    Rule(
        id="ANSWER-UNSURE",
        condition=AnyAnswerIs(UNSURE, _YES_NO_KEYS),
        level=Outcome.NEEDS_REVIEW,
        reason="The patient was unsure of an answer: ask them, and read 'unsure' as a maybe, never as a no.",
        source=CLINIC_DEFAULT,
    ),
)

DEFAULT_RULES: Final = RuleSet(version=RULES_VERSION, questions=QUESTIONS, rules=RULES)
