"""The medical and psychiatric history a patient reports at intake, as data.

Each question is yes / no / not sure, or free text; the answers are the patient's own
account, kept verbatim next to what staff record (diagnoses, medications), never merged
into it: a prescriber reads both and decides. Contraindications are asked, and judged,
by the screening questionnaire (``screening``); this history is the rest of what a
prescriber wants before a first infusion: what has been tried, what happened under
anaesthesia before, what runs in the family.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

AnswerKind = Literal["yes_no_unsure", "text"]
YES_NO_UNSURE: Final = ("yes", "no", "unsure")
TEXT_MAX_LENGTH: Final = 2000


@dataclass(frozen=True, slots=True)
class HistoryQuestion:
    key: str
    label: str  # what staff read on the chart
    text: str  # what the patient reads
    kind: AnswerKind
    help_text: str = ""


QUESTIONS: Final[tuple[HistoryQuestion, ...]] = (
    HistoryQuestion(
        "psychiatric_history",
        "Mental health history (own words)",
        "Which mental health conditions have you been told you have, and since when?",
        "text",
    ),
    HistoryQuestion(
        "tried_antidepressants",
        "Antidepressant medicines tried",
        "Have you taken antidepressant medicines before?",
        "yes_no_unsure",
    ),
    HistoryQuestion(
        "antidepressants_details",
        "Antidepressants: which, and how they went",
        "If yes: which ones, for how long, and did they help?",
        "text",
    ),
    HistoryQuestion(
        "tried_psychotherapy",
        "Talking therapy tried",
        "Have you had talking therapy (psychotherapy, CBT, counselling)?",
        "yes_no_unsure",
    ),
    HistoryQuestion(
        "tried_ect_or_tms",
        "ECT or TMS before",
        "Have you had ECT (electroconvulsive therapy) or TMS (magnetic stimulation)?",
        "yes_no_unsure",
    ),
    HistoryQuestion(
        "had_ketamine_treatment",
        "Ketamine or esketamine treatment before",
        "Have you been treated with ketamine or esketamine (Spravato) before?",
        "yes_no_unsure",
    ),
    HistoryQuestion(
        "psychiatric_admission",
        "Psychiatric hospital stay, ever",
        "Have you ever stayed in hospital for your mental health?",
        "yes_no_unsure",
    ),
    HistoryQuestion(
        "anaesthesia_problem",
        "Problem with anaesthesia or sedation, ever",
        "Have you ever had a bad reaction or a problem with anaesthesia or sedation?",
        "yes_no_unsure",
        "For example waking up confused or frightened, or trouble breathing afterwards.",
    ),
    HistoryQuestion(
        "medical_conditions",
        "Medical conditions and operations (own words)",
        "Please list any other medical conditions and any operations you have had.",
        "text",
    ),
    HistoryQuestion(
        "family_psychosis_or_bipolar",
        "Family history of psychosis or bipolar disorder",
        "Has a parent, brother or sister had schizophrenia, psychosis or bipolar disorder?",
        "yes_no_unsure",
    ),
    HistoryQuestion(
        "current_clinicians",
        "Current psychiatrist or therapist (own words)",
        "Who looks after your mental health now (psychiatrist, therapist, GP)?",
        "text",
    ),
)
QUESTION_KEYS: Final = tuple(question.key for question in QUESTIONS)
