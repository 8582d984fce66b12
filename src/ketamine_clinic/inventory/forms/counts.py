"""Forms of the count and discrepancy pages: they parse what was typed; the services
(services/counts.py) hold the rules and name the field of anything they refuse."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from ketamine_clinic.inventory.enums import CountKind, CountTiming, DiscrepancyOutcome
from ketamine_clinic.inventory.models import StorageLocation
from ketamine_clinic.inventory.reports import CountSheetRow

SEALED_AND_FIGURE = (
    "Either tick \u201csealed, full\u201d or enter the mL you see, not both "
    "({full} mL is a full container)."
)


class LocationChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in the stubs
    def label_from_instance(self, obj: StorageLocation) -> str:
        return obj.name


class CountStartForm(forms.Form):
    kind = forms.ChoiceField(label="Kind of count", choices=CountKind.choices)
    timing = forms.ChoiceField(
        label="Taken at",
        choices=[("", "(routine count: not needed)"), *CountTiming.choices],
        required=False,
        help_text="A biennial inventory records whether it was taken at the opening or "
        "the close of business (21 CFR 1304.11).",
    )
    location = LocationChoiceField(
        label="Where",
        queryset=StorageLocation.objects.order_by("name"),
        required=False,
        empty_label="Every location",
    )


def ml_field(pk: int) -> str:
    return f"ml_{pk}"


def sealed_field(pk: int) -> str:
    return f"sealed_{pk}"


class CountEntryForm(forms.Form):
    """One mL field per container in the count; a sealed one may be ticked instead."""

    def __init__(self, *args: Any, rows: list[CountSheetRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows
        for row in rows:
            pk = row.container.pk
            self.fields[ml_field(pk)] = forms.DecimalField(
                label=f"mL in {row.container.label}",
                required=False,
                max_digits=8,
                decimal_places=2,
                widget=forms.NumberInput(
                    attrs={"step": "0.01", "min": "0", "inputmode": "decimal", "class": "count-ml"}
                ),
            )
            if row.sealed:
                self.fields[sealed_field(pk)] = forms.BooleanField(
                    label="Sealed, full", required=False
                )
            if row.mine_ml is not None and not self.is_bound:
                self.initial[ml_field(pk)] = row.mine_ml

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for row in self.rows:
            pk = row.container.pk
            figure = cleaned.get(ml_field(pk))
            if cleaned.get(sealed_field(pk)) and figure is not None and figure != row.capacity_ml:
                self.add_error(ml_field(pk), SEALED_AND_FIGURE.format(full=row.capacity_ml))
        return cleaned

    def figures(self) -> dict[int, Decimal]:
        """Container id -> the mL entered (a ticked sealed container is full); blanks left out."""
        found: dict[int, Decimal] = {}
        for row in self.rows:
            pk = row.container.pk
            if self.cleaned_data.get(sealed_field(pk)):
                found[pk] = row.capacity_ml
            elif self.cleaned_data.get(ml_field(pk)) is not None:
                found[pk] = self.cleaned_data[ml_field(pk)]
        return found


class DiscrepancyResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What the investigation found", choices=DiscrepancyOutcome.choices
    )
    notes = forms.CharField(
        label="Notes",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What was checked, what was found, what was done.",
    )
    form_106_reference = forms.CharField(
        label="DEA Form 106 reference",
        max_length=60,
        required=False,
        help_text="For a theft or significant loss: the number of the Form 106 filed.",
    )
