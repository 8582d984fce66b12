"""Small forms for the visit page: they parse input; the services decide what is allowed.

Field names match the services' keyword arguments, so a service's ValidationError lands
next to the field it names (``patients.forms.apply_errors``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any, Final

from django import forms

from ketamine_clinic.clinicday.selectors import DrawOption
from ketamine_clinic.infusion.models import AdverseEventKind, NoteKind
from ketamine_clinic.inventory.services.use import DRAW_NONE, DrawLine
from ketamine_clinic.pharmacology.titration import StepKind, TitrationStep
from ketamine_clinic.visits.enums import PregnancyTestResult
from ketamine_clinic.visits.services import IV_GAUGES

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _when(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=_WHEN)


class DayForm(forms.Form):
    date = forms.DateField(label="Day", required=False, widget=forms.DateInput({"type": "date"}))


class TransitionForm(forms.Form):
    """The target comes from the button pressed (posted as ``to_state``), not a field."""

    reason = forms.CharField(label="Reason", max_length=500, required=False)
    dose_given_mg = forms.DecimalField(
        label="Dose given so far (mg)", required=False, min_value=0, decimal_places=2
    )


class OverrideForm(forms.Form):
    check_key = forms.CharField(widget=forms.HiddenInput)
    reason = forms.CharField(label="Reason for the override", max_length=500)


class VitalsForm(forms.Form):
    taken_at = _when("Taken at")
    systolic_mmhg = forms.IntegerField(label="Systolic (mmHg)")
    diastolic_mmhg = forms.IntegerField(label="Diastolic (mmHg)")
    heart_rate_per_min = forms.IntegerField(label="Heart rate (/min)")
    spo2_percent = forms.IntegerField(label="SpO2 (%)")
    respiratory_rate_per_min = forms.IntegerField(label="Respiratory rate (/min)", required=False)


class FastingForm(forms.Form):
    last_solid_food_at = _when("Last solid food")
    last_clear_fluids_at = _when("Last clear fluids")


class EscortForm(forms.Form):
    name = forms.CharField(label="Escort's name", max_length=200, required=False)
    phone = forms.CharField(label="Escort's phone", max_length=40, required=False)


class PregnancyTestForm(forms.Form):
    result = forms.ChoiceField(label="Result", choices=PregnancyTestResult.choices)


class MedicationReviewForm(forms.Form):
    reviewed = forms.BooleanField(label="Medication changes reviewed today", required=False)
    note = forms.CharField(label="Note", max_length=500, required=False)


class IvAccessForm(forms.Form):
    site = forms.CharField(label="Site", max_length=100)
    gauge = forms.TypedChoiceField(
        label="Gauge", coerce=int, choices=[(g, f"{g} G") for g in IV_GAUGES], initial=22
    )
    attempts = forms.IntegerField(label="Attempts", initial=1)


class OrderForm(forms.Form):
    dose_mg_per_kg = forms.FloatField(label="Dose (mg/kg)", initial=0.5)
    duration_min = forms.IntegerField(label="Duration (min)", initial=40)
    concentration_mg_per_ml = forms.FloatField(label="Syringe concentration (mg/mL)", initial=1.0)
    override_reason = forms.CharField(
        label="Reason to override the soft limit", max_length=500, required=False
    )


DRAW_ROWS: Final = 3
DRAW_ROW_VOLUME: Final = "Enter the mL drawn from this container."
DRAW_ROW_CONTAINER: Final = "Choose the container these mL came from."


class SyringePrepareForm(forms.Form):
    """Up to three rows of (container, mL drawn from it); ``cleaned_data["draws"]``.

    ``options`` are the containers on offer (``clinicday.selectors.draw_options``: not
    expired, soonest expiry first). Unbound, the first row suggests the soonest-expiring
    container of the ordered strength that holds ``needed_ml``; the nurse changes it to
    the vial in hand.
    """

    def __init__(
        self,
        *args: Any,
        options: Sequence[DrawOption] = (),
        needed_ml: Decimal | None = None,
        strength_mg_per_ml: Decimal | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Choose a container")] + [
            (str(option.container_id), option.text) for option in options
        ]
        for row in range(1, DRAW_ROWS + 1):
            self.fields[f"container_{row}"] = forms.TypedChoiceField(
                label=f"Container {row}", coerce=int, choices=choices, required=False
            )
            self.fields[f"volume_ml_{row}"] = forms.DecimalField(
                label=f"mL drawn from container {row}",
                required=False,
                min_value=Decimal("0.01"),
                max_digits=6,
                decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
            )
        if not self.is_bound and needed_ml is not None:
            suggested = next(
                (
                    option
                    for option in options
                    if option.strength_mg_per_ml == strength_mg_per_ml
                    and option.on_hand_ml >= needed_ml
                ),
                None,
            )
            if suggested is not None:
                self.initial.setdefault("container_1", suggested.container_id)
                self.initial.setdefault("volume_ml_1", needed_ml)

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"container_{row}"], self[f"volume_ml_{row}"]) for row in range(1, DRAW_ROWS + 1)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        draws: list[DrawLine] = []
        for row in range(1, DRAW_ROWS + 1):
            container, volume = data.get(f"container_{row}"), data.get(f"volume_ml_{row}")
            if container in (None, "") and volume is None:
                continue
            if container in (None, ""):
                if f"container_{row}" not in self.errors:
                    self.add_error(f"container_{row}", DRAW_ROW_CONTAINER)
            elif volume is None:
                if f"volume_ml_{row}" not in self.errors:
                    self.add_error(f"volume_ml_{row}", DRAW_ROW_VOLUME)
            else:
                draws.append(DrawLine(container_id=int(container), volume_ml=volume))
        if not draws and not self.errors:
            self.add_error("container_1", DRAW_NONE)
        data["draws"] = draws
        return data


class SyringeAccountForm(forms.Form):
    """The syringe closed out; the witness types their own username, password and code.

    Field names match the service's error keys (``witness``), so a refused witness is
    shown beside their username.
    """

    preparation = forms.IntegerField(widget=forms.HiddenInput)
    witness = forms.CharField(
        label="Witness's username",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "none"}),
    )
    witness_password = forms.CharField(
        label="Witness's password",
        max_length=200,
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),
    )
    witness_code = forms.CharField(
        label="Witness's 6-digit code (if they have an authenticator)",
        max_length=6,
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "class": "narrow"}
        ),
    )


class EmptyForm(forms.Form):
    """A button with no fields (verify the syringe, start the pump)."""


SET_STEP: Final = "set"
STEP_NOT_IN_PROTOCOL: Final = (
    "Titration step {step!r} is not one of this visit's protocol steps ({steps}); "
    "use one of its buttons or set a dose rate."
)


def step_code(step: TitrationStep) -> str:
    """The value a step's button posts: "+10%" for a percent step, "-0.05" for mg/kg/h."""
    if step.kind is StepKind.PERCENT:
        return f"{step.value:+g}%"
    return f"{step.value:+g}"


def step_label(step: TitrationStep) -> str:
    """What the button says, and the pump record's text: "+10%", "-0.05 mg/kg/h"."""
    code = step_code(step)
    return code if step.kind is StepKind.PERCENT else f"{code} mg/kg/h"


def step_buttons(steps: Sequence[TitrationStep]) -> list[tuple[str, str]]:
    """(posted value, label) for each of the protocol's raise/lower buttons."""
    return [(step_code(step), step_label(step)) for step in steps]


class TitrateForm(forms.Form):
    """A protocol step (``steps``: the visit's, from ``courses.selectors``) or a new rate.

    A posted step the visit's protocol does not list is refused on ``step``: the room
    shows only the protocol's buttons, so such a post is a stale page or a forged one.
    The accepted step is in ``cleaned_data["titration_step"]`` (None for "set").
    """

    step = forms.CharField(label="Change", max_length=20, widget=forms.HiddenInput)
    set_to = forms.FloatField(label="New dose rate (mg/kg/h)", required=False, min_value=0)
    override_reason = forms.CharField(
        label="Reason to go over the soft limit (prescriber)", max_length=500, required=False
    )

    def __init__(self, *args: Any, steps: Sequence[TitrationStep] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.steps = {step_code(step): step for step in steps}

    def clean_step(self) -> str:
        code: str = self.cleaned_data["step"]
        if code != SET_STEP and code not in self.steps:
            listed = ", ".join(step_label(step) for step in self.steps.values())
            raise forms.ValidationError(
                STEP_NOT_IN_PROTOCOL.format(step=code, steps=listed or "none"),
                code="not_in_protocol",
            )
        return code

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        code = data.get("step")
        if code == SET_STEP and data.get("set_to") is None:
            self.add_error("set_to", "Give the new dose rate in mg/kg/h.")
        data["titration_step"] = self.steps.get(code) if isinstance(code, str) else None
        return data


class PauseForm(forms.Form):
    reason = forms.CharField(label="Why pause", max_length=40, required=False)


class AdverseEventForm(forms.Form):
    kind = forms.ChoiceField(label="Event", choices=AdverseEventKind.choices)
    description = forms.CharField(label="Description", max_length=500, required=False)
    intervention = forms.CharField(label="Intervention", max_length=200, required=False)


class NoteForm(forms.Form):
    kind = forms.ChoiceField(label="About", choices=NoteKind.choices)
    text = forms.CharField(label="Note", max_length=2000, widget=forms.Textarea({"rows": 3}))


class DissociationForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="Dissociation now (0 not at all - 10 most intense)",
        coerce=int,
        choices=[(n, str(n)) for n in range(11)],
        widget=forms.RadioSelect,
    )


_ALDRETE_CHOICES = {
    "activity": (
        "Activity",
        ("Moves all four limbs on request", "Moves two limbs", "Cannot move limbs"),
    ),
    "respiration": (
        "Respiration",
        ("Breathes deeply and coughs freely", "Short of breath or limited", "Apnoeic"),
    ),
    "circulation": (
        "Circulation (BP against baseline)",
        ("Within 20% of baseline", "20-49% from baseline", "50% or more from baseline"),
    ),
    "consciousness": ("Consciousness", ("Fully awake", "Rousable on calling", "Not responding")),
    "spo2": (
        "Oxygen saturation",
        ("Above 92% on room air", "Needs oxygen to stay above 90%", "Below 90% with oxygen"),
    ),
}
ALDRETE_ITEMS = tuple(_ALDRETE_CHOICES)


class AldreteForm(forms.Form):
    """Five 0-2 items, in the instrument's order (``instruments/data/aldrete.toml``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, (label, options) in _ALDRETE_CHOICES.items():
            self.fields[key] = forms.TypedChoiceField(
                label=label,
                coerce=int,
                choices=[(2 - i, f"{2 - i} · {text}") for i, text in enumerate(options)],
                widget=forms.RadioSelect,
            )


class DischargeReviewForm(forms.Form):
    side_effects_resolved = forms.BooleanField(label="Side effects resolved", required=False)
    side_effects_note = forms.CharField(
        label="Side effects that remain", max_length=500, required=False
    )
    advice_given = forms.BooleanField(label="Discharge advice given", required=False)


class HandoverForm(forms.Form):
    escort_name = forms.CharField(label="Escort's name", max_length=200, required=False)
    escort_phone = forms.CharField(label="Escort's phone", max_length=40, required=False)
