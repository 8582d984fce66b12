"""The audit page's filter form: turns query-string values into `AuditFilters`."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.selectors import (
    FILTER_BAD_PATIENT,
    FILTER_DATES_REVERSED,
    FILTER_UNKNOWN_MRN,
    AuditFilters,
)

_PATIENT_ID = re.compile(r"^\d{1,18}$")
_DATE_FORMATS = ["%Y-%m-%d"]


class AuditFilterForm(forms.Form):
    person = forms.CharField(label="Person (username)", required=False, max_length=150)
    patient = forms.CharField(label="Patient (id or MRN)", required=False, max_length=64)
    action = forms.ChoiceField(
        label="Action", required=False, choices=[("", "Any action"), *AuditAction.choices]
    )
    date_from = forms.DateField(
        label="From (clinic date)",
        required=False,
        input_formats=_DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    date_to = forms.DateField(
        label="To (clinic date)",
        required=False,
        input_formats=_DATE_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_patient(self) -> str:
        """A patient id as stored in the trail, from an id or an MRN."""
        value: str = self.cleaned_data["patient"].strip()
        if not value:
            return ""
        if _PATIENT_ID.match(value):
            return str(int(value))
        if value.upper().startswith("KC"):
            # The audit app sits below the registry; it asks it only to resolve an MRN.
            from ketamine_clinic.patients.selectors import patient_id_for_mrn

            patient_id = patient_id_for_mrn(mrn=value)
            if patient_id is None:
                raise forms.ValidationError(FILTER_UNKNOWN_MRN.format(mrn=value))
            return str(patient_id)
        raise forms.ValidationError(FILTER_BAD_PATIENT)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", FILTER_DATES_REVERSED)
        return cleaned

    def filters(self) -> AuditFilters:
        """The validated filters; call only after `is_valid()` returned True."""
        data = self.cleaned_data
        return AuditFilters(
            username=data["person"].strip(),
            patient_id=data["patient"],
            action=AuditAction(data["action"]) if data["action"] else None,
            date_from=data["date_from"],
            date_to=data["date_to"],
        )
