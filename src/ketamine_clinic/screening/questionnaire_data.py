"""The intake screening questionnaire the patient answers on the kiosk, as data.

Why Python rather than TOML: the same reasons as ``pharmacology/drug_library_data.py``.
Each ``Question`` is checked when this module is imported (a malformed one fails the
test run), mypy checks every field, and the rules in ``rules_data.py`` refer to these
keys, which ``RuleSet`` checks too. The questions are part of the rules version:
changing a question's words or adding one changes the fingerprint (see ``rules.py``).

Wording: plain words a patient understands, one thing per question, examples of brand
names where patients know the brand and not the class. The questions cover the
contraindications in the clinical reference (``/work/shared/reference/clinical.md``,
"Contraindications to screen for"). Several ask about the same condition from two sides
(a diagnosis, and the experience), because patients often do not know their diagnosis.
"""

from __future__ import annotations

from typing import Final

from ketamine_clinic.screening.facts import NO, YES
from ketamine_clinic.screening.questionnaire import AnswerType, Question

_YNU = AnswerType.YES_NO_UNSURE
_IF_YES: Final = frozenset({YES})

# Months since a heart attack or stroke are asked up to 100 years back: the answer is
# compared with the "recent" threshold in rules_data.py, and a larger number is a typo.
MONTHS_MAX: Final = 1200

QUESTIONS: Final[tuple[Question, ...]] = (
    # --- Psychosis and mania ------------------------------------------------------------
    Question(
        key="schizophrenia",
        label="Schizophrenia or schizoaffective disorder",
        text="Has a doctor ever told you that you have schizophrenia or schizoaffective disorder?",
        answer_type=_YNU,
    ),
    Question(
        key="psychosis_ever",
        label="Psychosis, ever",
        text=(
            "Have you ever had a time when you heard voices or saw things that other people "
            "could not, or believed things that others told you were not real?"
        ),
        answer_type=_YNU,
        help_text="This includes times caused by drugs, lack of sleep or an illness.",
    ),
    Question(
        key="psychosis_now",
        label="Psychosis, past month",
        text="In the past month, have you heard voices or seen things that others could not?",
        answer_type=_YNU,
    ),
    Question(
        key="bipolar",
        label="Bipolar disorder or mania",
        text="Has a doctor ever told you that you have bipolar disorder, or that you had mania?",
        answer_type=_YNU,
        help_text="Bipolar disorder used to be called manic depression.",
    ),
    Question(
        key="mania_now",
        label="Mania, now",
        text=(
            "Right now, or in the past week, have you felt unusually high, wired or full of "
            "energy for several days, needing much less sleep than usual?"
        ),
        answer_type=_YNU,
    ),
    # --- Reactions to ketamine ----------------------------------------------------------
    Question(
        key="ketamine_allergy",
        label="Allergy or bad reaction to ketamine",
        text=(
            "Have you ever had an allergic reaction or a serious bad reaction to ketamine, "
            "esketamine (Spravato) or an anaesthetic containing ketamine?"
        ),
        answer_type=_YNU,
    ),
    # --- Pregnancy ----------------------------------------------------------------------
    Question(
        key="pregnant",
        label="Pregnant or possibly pregnant",
        text="Are you pregnant, or could you be pregnant?",
        answer_type=_YNU,
        help_text="If this cannot apply to you, answer No. If you are not sure, answer Unsure.",
    ),
    Question(
        key="breastfeeding",
        label="Breastfeeding",
        text="Are you breastfeeding or expressing breast milk?",
        answer_type=_YNU,
        help_text="If this cannot apply to you, answer No.",
    ),
    # --- Heart, blood pressure and blood vessels ----------------------------------------
    Question(
        key="high_blood_pressure",
        label="High blood pressure",
        text="Have you been told you have high blood pressure (hypertension)?",
        answer_type=_YNU,
        help_text="Answer Yes even if medicine keeps it normal now.",
    ),
    Question(
        key="blood_pressure_controlled",
        label="High blood pressure under control",
        text="Is your blood pressure under control, with or without medicine?",
        answer_type=_YNU,
        help_text="Under control means your doctor or your own readings say it is normal.",
        risk_answer=NO,
        asked_if=("high_blood_pressure", _IF_YES),
    ),
    Question(
        key="heart_attack_or_stroke",
        label="Heart attack or stroke",
        text="Have you ever had a heart attack, a stroke or a bleed in the brain?",
        answer_type=_YNU,
        help_text="A mini-stroke (TIA) counts too.",
    ),
    Question(
        key="heart_attack_or_stroke_months_ago",
        label="Months since the heart attack or stroke",
        text="About how many months ago was the most recent one?",
        answer_type=AnswerType.NUMBER,
        risk_answer=None,
        number_range=(0, MONTHS_MAX),
        unit="months",
        help_text="Write 0 if it was less than a month ago. For 2 years, write 24.",
        asked_if=("heart_attack_or_stroke", _IF_YES),
    ),
    Question(
        key="chest_pain",
        label="Chest pain: new, worsening or at rest",
        text=(
            "Do you get chest pain or tightness that is new, is getting worse, or comes on "
            "when you are resting?"
        ),
        answer_type=_YNU,
    ),
    Question(
        key="aneurysm",
        label="Aneurysm",
        text=(
            "Has a doctor told you that you have an aneurysm (a weak, bulging blood vessel) "
            "in your brain, chest or belly?"
        ),
        answer_type=_YNU,
    ),
    # --- Brain ---------------------------------------------------------------------------
    Question(
        key="raised_brain_pressure",
        label="Raised pressure in the head",
        text=(
            "Have you been told you have raised pressure in your head, a brain tumour, or "
            "fluid on the brain (hydrocephalus)?"
        ),
        answer_type=_YNU,
    ),
    Question(
        key="head_injury_recent",
        label="Head injury, past 3 months",
        text=(
            "In the past 3 months, have you hit your head hard enough to be knocked out, "
            "or to need a scan or a hospital visit?"
        ),
        answer_type=_YNU,
    ),
    # --- Alcohol and drugs -----------------------------------------------------------------
    Question(
        key="substance_use_now",
        label="Alcohol or drug problem, past 12 months",
        text=(
            "In the past 12 months, has your use of alcohol or drugs caused problems for you, "
            "or has anyone been worried about it?"
        ),
        answer_type=_YNU,
        help_text="Drugs include cannabis and prescription medicines used other than prescribed.",
    ),
    Question(
        key="substance_use_past",
        label="Alcohol or drug problem, before the past 12 months",
        text="Before the past 12 months, did you ever have a problem with alcohol or drugs?",
        answer_type=_YNU,
    ),
    Question(
        key="ketamine_or_pcp_use",
        label="Ketamine or PCP use outside a clinic",
        text=(
            'Have you ever used ketamine ("K", "special K") or PCP ("angel dust") other than '
            "as given by a doctor or a clinic?"
        ),
        answer_type=_YNU,
    ),
    # --- Other conditions ----------------------------------------------------------------
    Question(
        key="liver_disease",
        label="Liver disease",
        text="Do you have liver disease, such as cirrhosis or hepatitis?",
        answer_type=_YNU,
    ),
    Question(
        key="glaucoma",
        label="Glaucoma or raised eye pressure",
        text="Do you have glaucoma or high pressure in your eyes?",
        answer_type=_YNU,
    ),
    Question(
        key="thyroid_uncontrolled",
        label="Thyroid not under control",
        text=(
            "Do you have an overactive thyroid, or a thyroid problem that is not under "
            "control at the moment?"
        ),
        answer_type=_YNU,
        help_text="An underactive thyroid that is treated and stable does not count.",
    ),
    Question(
        key="sleep_apnoea_or_airway",
        label="Sleep apnoea or airway problems",
        text=(
            "Have you been told you have sleep apnoea (you stop breathing in your sleep), "
            "or had breathing or airway problems with an anaesthetic?"
        ),
        answer_type=_YNU,
    ),
    # --- Medicines ------------------------------------------------------------------------
    Question(
        key="takes_benzodiazepine",
        label="Takes a benzodiazepine",
        text=(
            "Do you take a benzodiazepine, such as alprazolam (Xanax), lorazepam (Ativan), "
            "clonazepam (Klonopin) or diazepam (Valium)?"
        ),
        answer_type=_YNU,
        help_text="Include ones you take only sometimes, and sleeping tablets like these.",
    ),
    Question(
        key="takes_lamotrigine",
        label="Takes lamotrigine",
        text="Do you take lamotrigine (Lamictal)?",
        answer_type=_YNU,
    ),
    Question(
        key="takes_maoi",
        label="Takes an MAO inhibitor",
        text=(
            "Do you take an MAO inhibitor, such as phenelzine (Nardil), tranylcypromine "
            "(Parnate), isocarboxazid (Marplan) or a selegiline patch (Emsam)?"
        ),
        answer_type=_YNU,
    ),
    Question(
        key="takes_stimulant",
        label="Takes a stimulant",
        text=(
            "Do you take a stimulant, such as Adderall, Vyvanse, Ritalin, Concerta or "
            "modafinil, or decongestant tablets like pseudoephedrine (Sudafed)?"
        ),
        answer_type=_YNU,
    ),
    Question(
        key="medication_details",
        label="Medicines (patient's own words)",
        text="Please list all the medicines and supplements you take, with the doses if you know.",
        answer_type=AnswerType.TEXT,
        required=False,
        risk_answer=None,
    ),
    Question(
        key="health_details",
        label="Anything else (patient's own words)",
        text="Is there anything else about your health you would like the doctor to know?",
        answer_type=AnswerType.TEXT,
        required=False,
        risk_answer=None,
    ),
)
