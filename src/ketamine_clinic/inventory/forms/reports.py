"""The reports' filters: a date range of the clinic's days and one lot, checked here so a
bad date is a message on the page, never a server error."""

from __future__ import annotations

from typing import Any

from django import forms

from ketamine_clinic.inventory.models import Lot
from ketamine_clinic.inventory.reports import ReportFilters

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ORDER = "The start date must be on or before the end date."
DATE_INVALID = "Enter a date as yyyy-mm-dd, e.g. 2026-03-10."


class LotChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in the stubs
    def label_from_instance(self, obj: Lot) -> str:
        return f"{obj.lot_number} (exp. {obj.expiry_date:%Y-%m-%d})"


class ReportFilterForm(forms.Form):
    date_from = forms.DateField(
        label="From", required=False, widget=DATE_INPUT, error_messages={"invalid": DATE_INVALID}
    )
    date_to = forms.DateField(
        label="To", required=False, widget=DATE_INPUT, error_messages={"invalid": DATE_INVALID}
    )
    lot = LotChoiceField(
        label="Lot",
        queryset=Lot.objects.select_related("product").order_by("lot_number"),
        required=False,
        empty_label="All lots",
        error_messages={"invalid_choice": "There is no such lot: pick one from the list."},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", DATE_ORDER)
        return cleaned

    def filters(self) -> ReportFilters:
        return ReportFilters(
            date_from=self.cleaned_data.get("date_from"),
            date_to=self.cleaned_data.get("date_to"),
            lot=self.cleaned_data.get("lot"),
        )
