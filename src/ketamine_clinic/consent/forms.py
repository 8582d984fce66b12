"""The staff form for publishing a new consent version (input shapes only; rules live in
``services.consent_publish``)."""

from __future__ import annotations

from django import forms

from ketamine_clinic.consent.services import (
    BODY_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    WITHDRAWAL_REASON_MAX_LENGTH,
)


class PublishForm(forms.Form):
    title = forms.CharField(max_length=TITLE_MAX_LENGTH, strip=False)
    body = forms.CharField(
        label="Text",
        max_length=BODY_MAX_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 24, "class": "consent-body-input"}),
        help_text=(
            "Plain text, never HTML. A blank line starts a new paragraph; a line starting "
            '"## " is a heading; lines starting "- " make a bulleted list.'
        ),
    )
    effective_on = forms.DateField(
        label="Effective date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today or earlier: the new version replaces the current one when published.",
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        max_length=WITHDRAWAL_REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The patient's reason, in their words if they gave one.",
    )
