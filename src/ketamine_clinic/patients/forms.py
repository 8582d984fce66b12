"""Input forms of the patient pages. They check shape only; rules live in the services."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError

from ketamine_clinic.patients.diagnosis_codes import DIAGNOSIS_CODES
from ketamine_clinic.patients.enums import (
    AllergySeverity,
    GenderIdentity,
    MedicationFlag,
    PregnancyPotential,
    SexAtBirth,
    WeightUnit,
)
from ketamine_clinic.patients.selectors import SEARCH_QUERY_MAX_LENGTH
from ketamine_clinic.patients.services._common import REASON_MAX_LENGTH

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def apply_errors(
    form: forms.Form,
    error: ValidationError | PermissionDenied,
    aliases: Mapping[str, str] | None = None,
) -> None:
    """Show a service's refusal on the form: a ValidationError next to the field it names
    (through ``aliases`` where the service's name for it differs from the form's), else
    above the form, as is a PermissionDenied."""
    if isinstance(error, PermissionDenied):
        form.add_error(None, str(error))
    elif hasattr(error, "error_dict"):
        for key, errors in error.error_dict.items():
            field = (aliases or {}).get(key, key)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _text(label: str, max_length: int, *, required: bool = False, **attrs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        widget=forms.TextInput(attrs=attrs) if attrs else None,
    )


def _reason(label: str, *, required: bool, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=REASON_MAX_LENGTH,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class PatientSearchForm(forms.Form):
    # CharField also refuses NUL characters, which PostgreSQL could not store in the audit trail.
    q = forms.CharField(
        label="Name, date of birth (yyyy-mm-dd) or MRN",
        required=False,
        max_length=SEARCH_QUERY_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )


class PatientRegisterForm(forms.Form):
    legal_first_name = _text("Legal first name", 100, required=True, autocomplete="off")
    legal_last_name = _text("Legal last name", 100, required=True, autocomplete="off")
    preferred_name = _text("Preferred name (if different)", 100)
    date_of_birth = forms.DateField(label="Date of birth", widget=DATE_INPUT)
    sex_at_birth = forms.ChoiceField(label="Sex at birth", choices=SexAtBirth.choices)


class PatientDetailsForm(forms.Form):
    """Everything the desk keeps; the template groups the fields into sections."""

    legal_first_name = _text("Legal first name", 100, required=True)
    legal_last_name = _text("Legal last name", 100, required=True)
    preferred_name = _text("Preferred name", 100)
    date_of_birth = forms.DateField(label="Date of birth", widget=DATE_INPUT)
    sex_at_birth = forms.ChoiceField(label="Sex at birth", choices=SexAtBirth.choices)
    gender_identity = forms.ChoiceField(
        label="Gender identity",
        required=False,
        choices=[("", "Not asked"), *GenderIdentity.choices],
    )
    gender_identity_self_described = _text("Gender identity, in the patient's words", 100)
    pronouns = _text("Pronouns", 40, placeholder="e.g. she/her, they/them")
    phone = _text("Phone", 40, autocomplete="off")
    email = forms.EmailField(label="Email", required=False, max_length=254)
    address = forms.CharField(
        label="Address", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    emergency_contact_name = _text("Name", 150)
    emergency_contact_relationship = _text("Relationship", 60)
    emergency_contact_phone = _text("Phone", 40)
    escort_name = _text("Name", 150)
    escort_relationship = _text("Relationship", 60)
    escort_phone = _text("Phone", 40)
    referrer_name = _text("Name", 150)
    referrer_practice = _text("Practice", 150)
    referrer_phone = _text("Phone", 40)
    referrer_email = forms.EmailField(label="Email", required=False, max_length=254)
    reason = _reason(
        "Reason for the change",
        required=False,
        help_text="Needed when correcting the legal name, date of birth or sex at birth.",
    )

    SECTIONS: list[tuple[str, list[str]]] = [
        (
            "Identity",
            [
                "legal_first_name",
                "legal_last_name",
                "preferred_name",
                "date_of_birth",
                "sex_at_birth",
                "gender_identity",
                "gender_identity_self_described",
                "pronouns",
            ],
        ),
        ("Contact", ["phone", "email", "address"]),
        (
            "Emergency contact",
            ["emergency_contact_name", "emergency_contact_relationship", "emergency_contact_phone"],
        ),
        ("Usual escort home", ["escort_name", "escort_relationship", "escort_phone"]),
        (
            "Referring clinician",
            ["referrer_name", "referrer_practice", "referrer_phone", "referrer_email"],
        ),
        ("Why", ["reason"]),
    ]

    def sections(self) -> list[tuple[str, list[forms.BoundField]]]:
        return [(title, [self[name] for name in names]) for title, names in self.SECTIONS]


class AllergyForm(forms.Form):
    substance = _text("Substance", 150, required=True, autocomplete="off")
    reaction = _text("Reaction", 300, placeholder="e.g. hives, swelling, anaphylaxis")
    severity = forms.ChoiceField(
        label="Severity", choices=AllergySeverity.choices, widget=forms.RadioSelect
    )


class ConfirmForm(forms.Form):
    """A button and nothing else (recording "no known allergies")."""


class EnteredInErrorForm(forms.Form):
    reason = _reason("Why is this entry wrong?", required=True)


class MedicationForm(forms.Form):
    name = _text("Medication", 150, required=True, autocomplete="off")
    dose_text = _text("Dose and how taken", 150, placeholder="e.g. 1 mg at night as needed")
    started_on = forms.DateField(
        label="Started on", required=False, widget=DATE_INPUT, help_text="Leave empty if unknown."
    )


class MedicationCorrectForm(MedicationForm):
    flags = forms.MultipleChoiceField(
        label="Flags",
        required=False,
        choices=MedicationFlag.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Set from the name when recorded; change them if the name does not say it all.",
    )
    reason = _reason("Reason for the correction", required=True)


class MedicationStopForm(forms.Form):
    stopped_on = forms.DateField(label="Stopped on", widget=DATE_INPUT)


class DiagnosisForm(forms.Form):
    code = _text(
        "ICD-10-CM code", 20, required=True, list="icd10-codes", autocomplete="off",
        placeholder="e.g. F33.1",
    )  # fmt: skip

    @staticmethod
    def codes() -> list[tuple[str, str]]:
        return [(code, entry.title) for code, entry in DIAGNOSIS_CODES.items()]


class WeightForm(forms.Form):
    value = forms.DecimalField(
        label="Weight",
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal", "autofocus": True}),
    )
    unit = forms.ChoiceField(
        label="Unit", choices=WeightUnit.choices, initial=WeightUnit.KG, widget=forms.RadioSelect
    )
    measured_on = forms.DateField(label="Measured on", widget=DATE_INPUT)


class PregnancyPotentialForm(forms.Form):
    pregnancy_potential = forms.ChoiceField(
        label="Could the patient be pregnant?",
        choices=PregnancyPotential.choices,
        widget=forms.RadioSelect,
    )
    pregnancy_potential_asked_on = forms.DateField(label="Asked on", widget=DATE_INPUT)
