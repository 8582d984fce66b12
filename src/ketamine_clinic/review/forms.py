"""The two actions of the review queue, as forms a prescriber fills in place."""

from __future__ import annotations

from django import forms

from ketamine_clinic.screening.enums import EligibilityDecisionKind


class RiskAssessmentForm(forms.Form):
    note = forms.CharField(
        label="Assessment",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you found and what happens next (e.g. spoke with the patient, safety plan).",
    )


class ScreeningDecisionForm(forms.Form):
    decision = forms.ChoiceField(label="Decision", choices=EligibilityDecisionKind.choices)
    note = forms.CharField(
        label="Note",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='To accept a patient the rules found not eligible, start with "Override:" and the reason.',
    )
