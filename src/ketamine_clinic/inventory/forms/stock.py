"""Forms of the stock pages: they parse what was typed; the services hold the rules.

Field names match the services' keyword arguments (or their request dataclasses), so a
refusal lands next to the field it names. A witness types their own username, password
and, if they have an authenticator, its code on the actor's screen: the password fields
are never rendered back, and the browser is asked not to fill them.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from ketamine_clinic.inventory.enums import DisposalMethod, DisposalReason, StrengthBasis
from ketamine_clinic.inventory.models import Product, StorageLocation, Supplier
from ketamine_clinic.inventory.services.stock import MAX_CONTAINERS_PER_RECEIPT
from ketamine_clinic.inventory.witness import WitnessCredentials

_DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
_DEA_WIDGET = forms.TextInput(
    attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
)


def _mg_field(label: str, help_text: str = "", **kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=10,
        decimal_places=2,
        help_text=help_text,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        **kwargs,
    )


class RegistrationForm(forms.Form):
    number = forms.CharField(
        label="DEA registration number",
        max_length=12,
        help_text="Two letters and seven digits, as on the certificate; the last digit is checked.",
        widget=_DEA_WIDGET,
    )
    registrant_name = forms.CharField(label="Registrant", max_length=200)
    address = forms.CharField(
        label="Registered address", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    schedules = forms.CharField(
        label="Schedules", max_length=40, initial="3, 3N", help_text="As on the certificate."
    )
    expires_on = forms.DateField(label="Expires on", widget=_DATE)


class SupplierForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    address = forms.CharField(
        label="Address", widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )
    dea_number = forms.CharField(
        label="Supplier's DEA number",
        max_length=12,
        help_text="Two letters and seven digits; the last digit is checked.",
        widget=_DEA_WIDGET,
    )


class ProductForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=200, help_text="e.g. Ketamine HCl injection 50 mg/mL, 10 mL vial"
    )
    ndc = forms.CharField(
        label="NDC", max_length=13, help_text="National Drug Code with its hyphens."
    )
    strength_mg_per_ml = forms.DecimalField(
        label="Strength (mg/mL)",
        max_digits=7,
        decimal_places=3,
        widget=forms.NumberInput(attrs={"step": "0.001", "inputmode": "decimal"}),
    )
    strength_basis = forms.ChoiceField(
        label="The strength is stated",
        choices=StrengthBasis.choices,
        initial=StrengthBasis.BASE,
        widget=forms.RadioSelect,
        help_text="1 mg of ketamine base = 1.153 mg of ketamine HCl; the record keeps both, "
        "and counts milligrams of base.",
    )
    container_ml = forms.DecimalField(
        label="mL in one container",
        max_digits=8,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


class LocationForm(forms.Form):
    name = forms.CharField(label="Name", max_length=80, help_text="e.g. Safe A")
    description = forms.CharField(
        label="Description",
        max_length=200,
        required=False,
        help_text="Where it is and how it is locked.",
    )


class ReceiveForm(forms.Form):
    """One lot received on one invoice (`services.stock.ReceiptRequest`)."""

    product = forms.ModelChoiceField(label="Product", queryset=Product.objects.all())
    lot_number = forms.CharField(label="Lot", max_length=40)
    expiry_date = forms.DateField(label="Expiry date", widget=_DATE)
    supplier = forms.ModelChoiceField(label="Supplier", queryset=Supplier.objects.all())
    invoice_number = forms.CharField(label="Invoice number", max_length=60)
    received_on = forms.DateField(label="Date received", widget=_DATE)
    container_count = forms.IntegerField(
        label="Number of containers",
        min_value=1,
        max_value=MAX_CONTAINERS_PER_RECEIPT,
        help_text="Each is labelled LOT-01, LOT-02, ...: write the label on the vial.",
    )
    location = forms.ModelChoiceField(label="Stored in", queryset=StorageLocation.objects.all())
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("received_on", timezone.localdate())
        super().__init__(*args, **kwargs)


class OneTimeCodeInput(forms.TextInput):
    """A one-time code is typed afresh each time: a refused form does not send it back."""

    def format_value(self, value: Any) -> str | None:
        return None


_CODE_ATTRS = {"autocomplete": "off", "inputmode": "numeric", "pattern": "[0-9]*"}


class _WitnessFields(forms.Form):
    """The witness's own credentials, typed by them at this moment."""

    witness_username = forms.CharField(
        label="Witness's username",
        max_length=150,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    witness_password = forms.CharField(
        label="Witness's password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    witness_code = forms.CharField(
        label="Witness's 6-digit code",
        max_length=6,
        required=False,
        help_text="Only if the witness has an authenticator.",
        widget=OneTimeCodeInput(attrs=_CODE_ATTRS),
    )

    def credentials(self, prefix: str = "witness") -> WitnessCredentials | None:
        username = self.cleaned_data.get(f"{prefix}_username", "")
        password = self.cleaned_data.get(f"{prefix}_password", "")
        if not username and not password:
            return None
        return WitnessCredentials(
            username=username, password=password, code=self.cleaned_data.get(f"{prefix}_code", "")
        )


class RemoveForm(_WitnessFields):
    """Everything left in a container destroyed on site or sent back (`RemovalRequest`)."""

    method = forms.ChoiceField(label="How it leaves", choices=DisposalMethod.choices)
    reason = forms.ChoiceField(label="Why", choices=DisposalReason.choices)
    reference = forms.CharField(
        label="Reference",
        max_length=120,
        required=False,
        help_text="DEA Form 41 number, the reverse distributor's or the supplier's "
        "return authorisation.",
    )
    notes = forms.CharField(
        label="Notes", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    second_witness_username = forms.CharField(
        label="Second witness's username",
        max_length=150,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    second_witness_password = forms.CharField(
        label="Second witness's password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    second_witness_code = forms.CharField(
        label="Second witness's 6-digit code",
        max_length=6,
        required=False,
        help_text="Only if the second witness has an authenticator.",
        widget=OneTimeCodeInput(attrs=_CODE_ATTRS),
    )
    field_order = ["method", "reason", "reference", "notes"]

    WITNESS_FIELDS = ("witness_username", "witness_password", "witness_code")
    SECOND_WITNESS_FIELDS = (
        "second_witness_username",
        "second_witness_password",
        "second_witness_code",
    )


class CorrectForm(_WitnessFields):
    difference_mg = _mg_field(
        "Difference (mg of base)",
        "Signed: what the entry should have said minus what it says, e.g. -12.50.",
    )
    reason = forms.CharField(
        label="Why the entry is wrong",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    field_order = ["difference_mg", "reason"]
