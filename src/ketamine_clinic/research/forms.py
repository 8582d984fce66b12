"""The export page's choices: format and an optional window of days."""

from __future__ import annotations

from django import forms

from ketamine_clinic.research.requests import FORMATS


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label="Format",
        choices=[
            ("csv", "CSV (UTF-8, one file per table)"),
            ("parquet", "Parquet (typed columns)"),
        ],
        initial=FORMATS[0],
        widget=forms.RadioSelect,
    )
    since = forms.DateField(
        label="From (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Records on or after this day (the clinic's calendar).",
    )
    until = forms.DateField(
        label="Until (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Records on or before this day.",
    )
