"""Where the kiosk's forms come from: the questionnaires of ``instruments``.

Each instrument's data file becomes a form (its items as questions, its answer options
as choices) whose submission is scored and stored by ``assessments``: the kiosk adds
no scoring of its own. Items asked only after a "yes" (the C-SSRS screener's skip
logic) are optional on the tablet; the scoring engine refuses a "yes" where the gate
was "no".
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING

from ketamine_clinic.instruments.definitions import Instrument, all_instruments
from ketamine_clinic.instruments.errors import InvalidAnswers
from ketamine_clinic.intake.kiosk_forms import (
    Choice,
    KioskForm,
    KioskFormInvalid,
    Question,
    Submitted,
)

if TYPE_CHECKING:
    from ketamine_clinic.patients.models import Patient

ITEM_PREFIX = "item_"


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
    return [instrument_form(instrument) for instrument in all_instruments().values()]
