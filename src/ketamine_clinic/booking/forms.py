"""Forms of the booking pages: they parse input; the services decide what is allowed.

A proposal travels from the page that showed it to the click that books it as one
signed field, so what is booked is exactly what was shown (the service re-checks it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketamine_clinic.booking.models import Room

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local", "step": 300}, format="%Y-%m-%dT%H:%M")
PROPOSAL_SALT = "booking.proposal"
PROPOSAL_MAX_AGE_SECONDS = 30 * 60
PROPOSAL_STALE = "This proposal is too old or was altered: plan again."


class PlanForm(forms.Form):
    earliest = forms.DateField(
        label="First infusion on or after", widget=forms.DateInput(attrs={"type": "date"})
    )
    preferred_time = forms.TimeField(
        label="Preferred start time (optional)",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
    )


def sign_proposal(rows: list[dict[str, Any]]) -> str:
    return signing.dumps(rows, salt=PROPOSAL_SALT)


def load_proposal(text: str) -> list[dict[str, Any]]:
    """The rows signed by ``sign_proposal``; ValidationError on ``proposal`` otherwise."""
    try:
        rows = signing.loads(text, salt=PROPOSAL_SALT, max_age=PROPOSAL_MAX_AGE_SECONDS)
    except signing.BadSignature:
        raise ValidationError({"proposal": PROPOSAL_STALE}) from None
    if not isinstance(rows, list):
        raise ValidationError({"proposal": PROPOSAL_STALE})
    return rows


class ProposalForm(forms.Form):
    """The proposal shown, signed (a hidden field)."""

    proposal = forms.CharField(widget=forms.HiddenInput)

    def clean_proposal(self) -> list[dict[str, Any]]:
        try:
            return load_proposal(self.cleaned_data["proposal"])
        except ValidationError:
            raise forms.ValidationError(PROPOSAL_STALE) from None


class CancelForm(forms.Form):
    """The reason; the re-placement travels beside it, signed (``load_proposal``)."""

    reason = forms.CharField(label="Why is the visit cancelled?", max_length=500)


class MoveForm(forms.Form):
    start = forms.DateTimeField(label="New start", widget=_WHEN)
    room = forms.ModelChoiceField(label="Room", queryset=Room.objects.filter(in_use=True))
    reason = forms.CharField(label="Why is it moved?", max_length=500)

    def clean_start(self) -> datetime:
        start: datetime = self.cleaned_data["start"]
        if timezone.is_naive(start):
            start = timezone.make_aware(start, timezone.get_default_timezone())
        return start


class OutageForm(forms.Form):
    starts_at = forms.DateTimeField(label="Out of service from", widget=_WHEN)
    ends_at = forms.DateTimeField(label="Back in service at", widget=_WHEN)
    reason = forms.CharField(label="Reason", max_length=500)
