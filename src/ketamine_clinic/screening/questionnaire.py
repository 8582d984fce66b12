"""The shape of the intake screening questionnaire, and the check of a patient's answers.

Pure Python (no Django). The questions themselves are data in ``questionnaire_data.py``;
this module says what a question is and refuses answers that do not fit one, naming
the question, so that nothing half-valid is ever evaluated or stored.
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from ketamine_clinic.screening.facts import NO, YES, YES_NO_UNSURE, AnswerValue, is_whole_number

# Free text a patient types: long enough for a list of medicines, short enough that the
# kiosk cannot be used to store a document.
TEXT_MAX_LENGTH: Final = 2000

ANSWER_UNKNOWN_QUESTION = "there is no such question in this questionnaire"
ANSWER_NOT_YES_NO = "answer yes, no or unsure"
ANSWER_NOT_NUMBER = "answer with a whole number"
ANSWER_OUT_OF_RANGE = "answer a number from {low} to {high}"
ANSWER_NOT_TEXT = "answer with text"
ANSWER_TEXT_TOO_LONG = f"keep the answer under {TEXT_MAX_LENGTH} characters"
ANSWER_TEXT_UNSTORABLE = "the answer contains a character that cannot be stored"
ANSWERS_NOT_A_MAPPING = "answers must be a mapping of question key to answer"


class AnswerType(enum.StrEnum):
    YES_NO_UNSURE = "yes_no_unsure"
    NUMBER = "number"  # a whole number within the question's range
    TEXT = "text"  # kept verbatim; never read by a rule, never rendered as markup


class AnswerError(ValueError):
    """An answer that does not fit its question. ``field_name`` is the question key."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field_name = field_name
        self.message = message


@dataclass(frozen=True, slots=True)
class Question:
    """One question of the intake screening.

    ``text`` and ``help_text`` are what the patient reads, in plain words; ``label`` is
    the short name a prescriber reads in reasons ("not answered: Schizophrenia").
    ``risk_answer`` is the yes/no answer that signals a risk (usually "yes"; "no" for
    "Is it under control?"), which the tests use to prove that answering towards risk
    never improves the outcome. A question with ``asked_if`` is asked, and required,
    only when the question it names was answered with one of the given values.
    """

    key: str
    label: str
    text: str
    answer_type: AnswerType
    help_text: str = ""
    required: bool = True
    risk_answer: str | None = YES
    asked_if: tuple[str, frozenset[str]] | None = None
    number_range: tuple[int, int] | None = None
    unit: str = ""

    def __post_init__(self) -> None:
        # Refuse malformed questions when the data module is imported: a typo fails the
        # test run, not a patient's screening.
        if not self.key.isidentifier():
            raise ValueError(f"question key {self.key!r} must be an identifier")
        if self.answer_type is AnswerType.YES_NO_UNSURE:
            if self.risk_answer not in (YES, NO):
                raise ValueError(f"{self.key}: risk_answer must be yes or no")
        elif self.risk_answer is not None:
            raise ValueError(f"{self.key}: only yes/no questions have a risk answer")
        if (self.answer_type is AnswerType.NUMBER) != (self.number_range is not None):
            raise ValueError(f"{self.key}: a number question, and only one, has a range")
        if self.answer_type is AnswerType.TEXT and self.required:
            raise ValueError(f"{self.key}: free text is never required")

    def is_asked(self, answers: Mapping[str, AnswerValue]) -> bool:
        """Whether the patient sees this question, given the other answers."""
        if self.asked_if is None:
            return True
        parent, values = self.asked_if
        return answers.get(parent) in values


def _clean_one(question: Question, value: object) -> AnswerValue | None:
    """The stored form of one answer, None for "not answered", or AnswerError."""
    key = question.key
    if value is None:
        return None
    if question.answer_type is AnswerType.YES_NO_UNSURE:
        if not isinstance(value, str) or value not in YES_NO_UNSURE:
            raise AnswerError(key, ANSWER_NOT_YES_NO)
        return value
    if question.answer_type is AnswerType.NUMBER:
        if not is_whole_number(value):
            raise AnswerError(key, ANSWER_NOT_NUMBER)
        low, high = question.number_range or (value, value)  # a range: see __post_init__
        if not low <= value <= high:
            raise AnswerError(key, ANSWER_OUT_OF_RANGE.format(low=low, high=high))
        return value
    if not isinstance(value, str):
        raise AnswerError(key, ANSWER_NOT_TEXT)
    if len(value) > TEXT_MAX_LENGTH:
        raise AnswerError(key, ANSWER_TEXT_TOO_LONG)
    # NUL and lone surrogates cannot be stored in PostgreSQL's JSON or the audit trail;
    # everything else, markup included, is kept exactly as typed.
    if any(ch == "\x00" or unicodedata.category(ch) == "Cs" for ch in value):
        raise AnswerError(key, ANSWER_TEXT_UNSTORABLE)
    if not value.strip():
        return None  # only spaces: not answered
    return value


def validate_answers(
    answers: Mapping[str, object], questions: tuple[Question, ...]
) -> dict[str, AnswerValue]:
    """The answers as stored, or AnswerError naming the first question that is wrong.

    Unknown keys are refused (a kiosk built for another version of the questionnaire
    must not have its answers silently dropped). ``None`` and blank text mean "not
    answered" and are left out. Answers to a follow-up whose opening question was
    answered otherwise are kept as given; the rules read a follow-up only together
    with its opening question.
    """
    if not isinstance(answers, Mapping):
        raise AnswerError("answers", ANSWERS_NOT_A_MAPPING)
    by_key = {question.key: question for question in questions}
    cleaned: dict[str, AnswerValue] = {}
    for key in sorted(answers, key=str):
        question = by_key.get(key) if isinstance(key, str) else None
        if question is None:
            raise AnswerError(str(key), ANSWER_UNKNOWN_QUESTION)
        value = _clean_one(question, answers[key])
        if value is not None:
            cleaned[key] = value
    return cleaned


def unanswered(
    answers: Mapping[str, AnswerValue], questions: tuple[Question, ...]
) -> tuple[Question, ...]:
    """The required questions the patient was asked and did not answer, in order."""
    return tuple(
        question
        for question in questions
        if question.required and question.is_asked(answers) and question.key not in answers
    )
