"""Input forms of the patient pages. They check shape only; rules live in selectors/services."""

from __future__ import annotations

from django import forms

from ketamine_clinic.patients.selectors import SEARCH_QUERY_MAX_LENGTH


class PatientSearchForm(forms.Form):
    # CharField also refuses NUL characters, which PostgreSQL could not store in the audit trail.
    q = forms.CharField(
        label="Name, date of birth (yyyy-mm-dd) or MRN",
        required=False,
        max_length=SEARCH_QUERY_MAX_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "autofocus": True}),
    )
