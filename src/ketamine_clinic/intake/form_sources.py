"""Where the kiosk's forms come from: the screening questionnaire, consent, the instruments.

The screening questions (``screening.questionnaire_data``) become the "Health
screening" form, judged and stored by ``screening.services.record_screening``. Each
instrument's data file becomes a form (its items as questions, its answer options as
choices) scored and stored by ``assessments``. The consent form (``consent.kiosk``)
shows the current consent document and takes a typed name and a drawn signature, stored
by ``consent``. The kiosk adds no rules and no scoring of its own. Follow-up questions
(asked only after a given answer, e.g. the C-SSRS screener's skip logic) are optional on
the tablet and say which answer they follow; the owners refuse what does not fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING

from ketamine_clinic.instruments.definitions import Instrument, Rater, all_instruments
from ketamine_clinic.instruments.errors import InvalidAnswers
from ketamine_clinic.intake.kiosk_forms import (
    Choice,
    KioskForm,
    KioskFormInvalid,
    Question,
    Submitted,
)
from ketamine_clinic.screening.facts import YES_NO_UNSURE
from ketamine_clinic.screening.questionnaire import AnswerType
from ketamine_clinic.screening.questionnaire import Question as ScreeningQuestion
from ketamine_clinic.screening.questionnaire_data import QUESTIONS as SCREENING_QUESTIONS

if TYPE_CHECKING:
    from ketamine_clinic.patients.models import Patient

ITEM_PREFIX = "item_"
SCREENING_FORM_KEY = "screening"
_YES_NO_UNSURE_LABELS = {"yes": "Yes", "no": "No", "unsure": "Not sure"}


def _screening_question(question: ScreeningQuestion) -> Question:
    follow_up = ""
    if question.asked_if is not None:
        parent, values = question.asked_if
        wanted = " or ".join(sorted(_YES_NO_UNSURE_LABELS.get(v, v).lower() for v in values))
        follow_up = f"Answer only if you answered {wanted} to the question about {_label(parent)}."
    help_text = " ".join(text for text in (question.help_text, follow_up) if text)
    if question.answer_type is AnswerType.YES_NO_UNSURE:
        choices: tuple[Choice, ...] | None = tuple(
            Choice(value=value, label=_YES_NO_UNSURE_LABELS[value]) for value in YES_NO_UNSURE
        )
    else:
        choices = None
    unit = f" ({question.unit})" if question.unit else ""
    return Question(
        key=question.key,
        text=question.text + unit,
        choices=choices,
        required=question.required and question.asked_if is None,
        help_text=help_text,
        numeric=question.answer_type is AnswerType.NUMBER,
    )


def _label(key: str) -> str:
    by_key = {question.key: question for question in SCREENING_QUESTIONS}
    return by_key[key].label.lower() if key in by_key else key


def _submit_screening(patient: Patient, answers: Mapping[str, str]) -> Submitted:
    from django.core.exceptions import ValidationError

    from ketamine_clinic.screening.services import record_screening

    by_key = {question.key: question for question in SCREENING_QUESTIONS}
    given: dict[str, object] = {}
    for key, raw in answers.items():
        if not raw:
            continue
        question = by_key[key]
        given[key] = int(raw) if question.answer_type is AnswerType.NUMBER else raw
    try:
        assessment = record_screening(patient, given, actor=None, channel="kiosk")
    except ValidationError as invalid:
        raise KioskFormInvalid(
            {field: "; ".join(messages) for field, messages in invalid.message_dict.items()}
        ) from invalid
    return Submitted(object_type="screening_assessment", object_id=str(assessment.pk))


def screening_form() -> KioskForm:
    return KioskForm(
        key=SCREENING_FORM_KEY,
        title="Health screening",
        intro=(
            "These questions help your prescriber check that ketamine is safe for you. "
            'If you are not sure, choose "Not sure": your prescriber will go through it '
            "with you."
        ),
        questions=tuple(_screening_question(q) for q in SCREENING_QUESTIONS),
        submit=_submit_screening,
    )


def _question(instrument: Instrument, index: int) -> Question:
    item = instrument.items[index]
    gate = item.asked_if_yes
    return Question(
        key=f"{ITEM_PREFIX}{item.id}",
        text=item.text,
        choices=tuple(
            Choice(value=str(option.value), label=option.label) for option in item.options
        ),
        required=gate is None,
        help_text="" if gate is None else f"Answer only if you answered yes to question {gate}.",
    )


def _submit_instrument(
    instrument: Instrument, patient: Patient, answers: Mapping[str, str]
) -> Submitted:
    from ketamine_clinic.assessments.services import record_response

    values: list[int | None] = []
    for item in instrument.items:
        raw = answers.get(f"{ITEM_PREFIX}{item.id}", "")
        values.append(int(raw) if raw else None)
    try:
        response = record_response(patient, instrument.key, values, actor=None, channel="kiosk")
    except InvalidAnswers as invalid:
        key = f"{ITEM_PREFIX}{invalid.item}" if invalid.item else "form"
        raise KioskFormInvalid({key: invalid.reason}) from invalid
    return Submitted(object_type="questionnaire_response", object_id=str(response.pk))


def instrument_form(instrument: Instrument) -> KioskForm:
    return KioskForm(
        key=instrument.key,
        title=f"{instrument.name} ({instrument.short_name})",
        intro=instrument.stem,
        questions=tuple(_question(instrument, i) for i in range(len(instrument.items))),
        submit=partial(_submit_instrument, instrument),
    )


def all_forms() -> list[KioskForm]:
    from ketamine_clinic.consent.kiosk import consent_form
    from ketamine_clinic.intake.patient_forms import details_form, history_form

    return [
        details_form(),
        history_form(),
        screening_form(),
        consent_form(),
        # Only what the patient answers: clinician-rated scores (Aldrete, PADSS) are
        # recorded at the bedside, never offered on the tablet.
        *(instrument_form(i) for i in all_instruments().values() if i.rater == Rater.PATIENT),
    ]
