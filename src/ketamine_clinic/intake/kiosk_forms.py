"""The forms a tablet can show, described as data the kiosk renders.

A form is a list of questions with fixed choices (radio buttons with large targets) or
free text, and a ``submit`` function that hands the answers to the service that owns
them (questionnaire scoring in ``assessments``, screening in ``screening``). The kiosk
itself stores nothing but drafts: the meaning of an answer belongs to its owner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ketamine_clinic.intake.models import KioskSession
    from ketamine_clinic.patients.models import Patient


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True, slots=True)
class Question:
    """One question. ``choices`` None means free text (at most ``max_length`` characters),
    or a whole number when ``numeric`` (the tablet shows its number keypad)."""

    key: str
    text: str
    choices: tuple[Choice, ...] | None
    required: bool = True
    help_text: str = ""
    max_length: int = 2000
    numeric: bool = False
    # Free text on one line (a name, a phone number), with the keyboard its type asks
    # for ("tel", "email"); otherwise a text area.
    single_line: bool = False
    input_type: str = "text"
    # False for what must not sit in a draft: a drawn signature is large and is given
    # afresh each time, never restored from storage.
    autosave: bool = True


@dataclass(frozen=True, slots=True)
class Submitted:
    """What a submission created, for the kiosk's own record and the audit trail."""

    object_type: str
    object_id: str


class KioskFormInvalid(ValueError):
    """Answers a form refuses: question key -> the message the patient reads."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = dict(errors)


SubmitFunc = Callable[["Patient", Mapping[str, str]], Submitted]
SessionSubmitFunc = Callable[["KioskSession", Mapping[str, str]], Submitted]
PageContextFunc = Callable[["Patient"], Mapping[str, object]]
InitialFunc = Callable[["Patient"], Mapping[str, str]]


@dataclass(frozen=True, slots=True)
class KioskForm:
    key: str
    title: str
    intro: str
    questions: tuple[Question, ...]
    submit: SubmitFunc
    # A form with its own page (consent: the document and a signature pad) names its
    # template and what that template reads beyond the questions.
    template: str = "intake/kiosk_form.html"
    page_context: PageContextFunc | None = None
    # Used instead of ``submit`` by a form whose record names the tablet session it
    # came from (a consent signature names the session as where it was given).
    submit_in_session: SessionSubmitFunc | None = None
    # What the form shows before the patient types (e.g. their details as recorded);
    # a draft, when there is one, wins.
    initial: InitialFunc | None = None

    def check(self, answers: Mapping[str, str]) -> dict[str, str]:
        """The answers this form accepts, or KioskFormInvalid naming each bad question.

        Only the form's own questions are kept; a required question left empty and a
        value that is not one of the choices are refused; free text is kept verbatim
        (it is escaped wherever it is shown, never interpreted).
        """
        errors: dict[str, str] = {}
        clean: dict[str, str] = {}
        for question in self.questions:
            value = answers.get(question.key, "")
            if not isinstance(value, str):
                errors[question.key] = "must be text"
                continue
            if question.choices is None:
                value = value.strip()
                if len(value) > question.max_length:
                    errors[question.key] = (
                        f"please keep this under {question.max_length} characters"
                    )
                    continue
                if question.numeric and value and not value.isdecimal():
                    errors[question.key] = "please enter a whole number"
                    continue
            elif value and value not in {choice.value for choice in question.choices}:
                errors[question.key] = "please choose one of the answers shown"
                continue
            if not value and question.required:
                errors[question.key] = "please answer this question"
                continue
            clean[question.key] = value
        if errors:
            raise KioskFormInvalid(errors)
        return clean


def available_forms() -> dict[str, KioskForm]:
    """Every form a staff member can assign, by key, in the order they are offered."""
    from ketamine_clinic.intake.form_sources import all_forms

    return {form.key: form for form in all_forms()}
