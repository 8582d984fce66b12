"""The kiosk's forms about the patient themselves: their details, and their history.

"Your details" shows what the clinic has on record and lets the patient correct the
parts that are theirs to change (contacts, escort, how to address them); the legal name,
date of birth and sex at birth are changed only by staff, with a reason. "Your health
history" is the patients app's reported-history questions. Both write through the
patients services, with no staff actor: the audit trail shows the tablet did it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from django.core.exceptions import ValidationError

from ketamine_clinic.intake.kiosk_forms import (
    Choice,
    KioskForm,
    KioskFormInvalid,
    Question,
    Submitted,
)
from ketamine_clinic.patients.enums import GenderIdentity
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.patients.reported_history import QUESTIONS as HISTORY_QUESTIONS
from ketamine_clinic.patients.services.registry import PatientDetails, patient_update_details
from ketamine_clinic.patients.services.reported_history import reported_history_record

DETAILS_FORM_KEY = "details"
HISTORY_FORM_KEY = "history"
TABLET_UPDATE_REASON = "Updated by the patient on the intake tablet"
_ANSWERS = (Choice("yes", "Yes"), Choice("no", "No"), Choice("unsure", "Not sure"))


def _line(key: str, text: str, *, input_type: str = "text", help_text: str = "") -> Question:
    return Question(
        key=key,
        text=text,
        choices=None,
        required=False,
        help_text=help_text,
        max_length=200,
        single_line=True,
        input_type=input_type,
    )


DETAILS_QUESTIONS: tuple[Question, ...] = (
    _line("preferred_name", "What would you like us to call you?"),
    _line("pronouns", "Your pronouns", help_text="For example she/her, he/him, they/them."),
    Question(
        key="gender_identity",
        text="How do you describe your gender?",
        choices=tuple(Choice(value, str(label)) for value, label in GenderIdentity.choices),
        required=False,
    ),
    _line(
        "gender_identity_self_described",
        "In your own words",
        help_text='Only if you chose "Other, self-described".',
    ),
    _line("phone", "Your phone number", input_type="tel"),
    _line("email", "Your email address", input_type="email"),
    Question(key="address", text="Your address", choices=None, required=False, max_length=500),
    _line("emergency_contact_name", "Emergency contact: name"),
    _line("emergency_contact_relationship", "Emergency contact: how they know you"),
    _line("emergency_contact_phone", "Emergency contact: phone", input_type="tel"),
    _line(
        "escort_name",
        "Who takes you home after an infusion? Name",
        help_text="You cannot drive after an infusion: someone must take you home.",
    ),
    _line("escort_relationship", "Who takes you home: how they know you"),
    _line("escort_phone", "Who takes you home: phone", input_type="tel"),
)


def _details_initial(patient: Patient) -> dict[str, str]:
    recorded = PatientDetails.of(patient)
    return {q.key: str(getattr(recorded, q.key) or "") for q in DETAILS_QUESTIONS}


def _submit_details(patient: Patient, answers: Mapping[str, str]) -> Submitted:
    # Only text fields are on this form; date of birth and the rest stay as recorded.
    changed: dict[str, object] = {q.key: answers.get(q.key, "") for q in DETAILS_QUESTIONS}
    details = replace(PatientDetails.of(patient), **changed)  # type: ignore[arg-type]
    try:
        patient_update_details(
            patient=patient, details=details, reason=TABLET_UPDATE_REASON, by=None
        )
    except ValidationError as invalid:
        if getattr(invalid, "code", None) == "unchanged":
            return Submitted(object_type="patient", object_id=str(patient.pk))
        errors = (
            invalid.message_dict if hasattr(invalid, "error_dict") else {"form": invalid.messages}
        )
        raise KioskFormInvalid({key: " ".join(msgs) for key, msgs in errors.items()}) from invalid
    return Submitted(object_type="patient", object_id=str(patient.pk))


def details_form() -> KioskForm:
    return KioskForm(
        key=DETAILS_FORM_KEY,
        title="Your details",
        intro="Please check what we have on record and correct anything that has changed.",
        questions=DETAILS_QUESTIONS,
        submit=_submit_details,
        initial=_details_initial,
    )


def _history_question(index: int) -> Question:
    question = HISTORY_QUESTIONS[index]
    return Question(
        key=question.key,
        text=question.text,
        choices=_ANSWERS if question.kind == "yes_no_unsure" else None,
        required=False,
        help_text=question.help_text,
    )


def _submit_history(patient: Patient, answers: Mapping[str, str]) -> Submitted:
    try:
        history = reported_history_record(
            patient=patient, answers=answers, by=None, channel="kiosk"
        )
    except ValidationError as invalid:
        errors = {
            (HISTORY_QUESTIONS[0].key if key == "answers" else key): " ".join(messages)
            for key, messages in invalid.message_dict.items()
        }
        raise KioskFormInvalid(errors) from invalid
    return Submitted(object_type="reported_history", object_id=str(history.pk))


def history_form() -> KioskForm:
    return KioskForm(
        key=HISTORY_FORM_KEY,
        title="Your health history",
        intro="Tell us in your own words; answer what you can. Your prescriber will go through it with you.",
        questions=tuple(_history_question(i) for i in range(len(HISTORY_QUESTIONS))),
        submit=_submit_history,
    )
