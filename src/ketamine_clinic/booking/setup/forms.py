"""Forms of the set-up pages: they parse what was typed; the services hold the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.enums import ShiftRole, Weekday
from ketamine_clinic.booking.setup.services import (
    REASON_MAX_LENGTH,
    ROOM_NAME_MAX_LENGTH,
    ROOM_NOTES_MAX_LENGTH,
    SETTINGS_STEP_CHOICES,
    weekday_field,
    window_field,
)

# Times are typed as on a clock ("08:30"); a text box keeps the clinic's input style.
TIME_FORMATS = ["%H:%M", "%H.%M", "%H%M"]
WINDOWS_PER_DAY = 2


def _time(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label,
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(
            format="%H:%M", attrs={"placeholder": "HH:MM", "inputmode": "numeric", "size": 6}
        ),
    )


class RoomAddForm(forms.Form):
    name = forms.CharField(label="Name", max_length=ROOM_NAME_MAX_LENGTH)
    notes = forms.CharField(label="Notes", max_length=ROOM_NOTES_MAX_LENGTH, required=False)


class RoomForm(forms.Form):
    name = forms.CharField(label="Name", max_length=ROOM_NAME_MAX_LENGTH)
    display_order = forms.IntegerField(
        label="Position in lists",
        min_value=0,
        max_value=999,
        help_text="Rooms are listed from the lowest number up.",
    )
    in_use = forms.BooleanField(
        label="In use",
        required=False,
        help_text="Untick to take the room out of use for good (a repair is an outage).",
    )
    notes = forms.CharField(label="Notes", max_length=ROOM_NOTES_MAX_LENGTH, required=False)


class HoursForm(forms.Form):
    """One row per weekday: opens and closes, both blank when the clinic is closed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for day in Weekday:
            prefix = weekday_field(day.value)
            self.fields[f"{prefix}_opens_at"] = _time(f"{day.label} opens")
            self.fields[f"{prefix}_closes_at"] = _time(f"{day.label} closes")

    def rows(self) -> list[tuple[str, forms.BoundField, forms.BoundField]]:
        return [
            (
                day.label,
                self[f"{weekday_field(day.value)}_opens_at"],
                self[f"{weekday_field(day.value)}_closes_at"],
            )
            for day in Weekday
        ]

    def hours(self) -> dict[int, tuple[Any, Any]]:
        data = self.cleaned_data
        return {
            day: (
                data.get(f"{weekday_field(day)}_opens_at"),
                data.get(f"{weekday_field(day)}_closes_at"),
            )
            for day in Weekday.values
        }


class SettingsForm(forms.Form):
    max_infusing_rooms_per_nurse = forms.IntegerField(
        label="Infusing rooms one nurse watches",
        min_value=1,
        max_value=6,
        help_text="The planner never puts more infusions at once on one nurse.",
    )
    start_step_minutes = forms.TypedChoiceField(
        label="Start times every",
        coerce=int,
        choices=[(step, f"{step} minutes") for step in SETTINGS_STEP_CHOICES],
        help_text="Visits start on this grid (09:00, 09:15, ... for 15 minutes).",
    )
    start_within_days = forms.IntegerField(
        label="Start a new course within (days)",
        min_value=1,
        max_value=90,
        help_text="How far after its earliest date the planner may start a course.",
    )


class StaffChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in the stubs
    def label_from_instance(self, obj: User) -> str:
        held = sorted(role.label for role in obj.roles if role.value in ShiftRole.values)
        return f"{obj.display_name} ({', '.join(held)})"


class ShiftForm(forms.Form):
    staff = StaffChoiceField(label="Who", queryset=User.objects.none(), empty_label="Choose…")
    role = forms.ChoiceField(label="On the floor as", choices=ShiftRole.choices)
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    starts_at = forms.TimeField(
        label="From",
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"placeholder": "HH:MM", "size": 6}),
    )
    ends_at = forms.TimeField(
        label="To",
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"placeholder": "HH:MM", "size": 6}),
    )

    def __init__(self, *args: Any, staff: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast(StaffChoiceField, self.fields["staff"])
        field.queryset = User.objects.filter(pk__in=[person.pk for person in staff]).order_by(
            "last_name", "first_name", "username"
        )


class ShiftRemoveForm(forms.Form):
    reason = forms.CharField(
        label="Why is the shift removed?",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Kept in the audit trail with the removal.",
    )


class CopyWeekForm(forms.Form):
    week = forms.DateField(widget=forms.HiddenInput)


class AvailabilityForm(forms.Form):
    """From-to ranges per weekday, two rows a day (more when the patient already has
    more, so saving never drops one); empty rows are ignored."""

    def __init__(self, *args: Any, per_day: int = WINDOWS_PER_DAY, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.per_day = max(per_day, WINDOWS_PER_DAY)
        for day in Weekday:
            for index in range(1, self.per_day + 1):
                self.fields[window_field(day.value, index, "from")] = _time(
                    f"{day.label}, window {index}, from"
                )
                self.fields[window_field(day.value, index, "to")] = _time(
                    f"{day.label}, window {index}, to"
                )

    def rows(self) -> list[tuple[str, list[tuple[forms.BoundField, forms.BoundField]]]]:
        return [
            (
                day.label,
                [
                    (
                        self[window_field(day.value, index, "from")],
                        self[window_field(day.value, index, "to")],
                    )
                    for index in range(1, self.per_day + 1)
                ],
            )
            for day in Weekday
        ]

    def windows(self) -> dict[int, list[tuple[Any, Any]]]:
        data = self.cleaned_data
        return {
            day: [
                (
                    data.get(window_field(day, index, "from")),
                    data.get(window_field(day, index, "to")),
                )
                for index in range(1, self.per_day + 1)
            ]
            for day in Weekday.values
        }

    @classmethod
    def initial_for(cls, week: list[Any]) -> dict[str, Any]:
        """Initial values from the patient's windows (``DayWindows`` of the selector)."""
        initial: dict[str, Any] = {}
        for day in week:
            for index, window in enumerate(day.windows, start=1):
                initial[window_field(day.weekday.value, index, "from")] = window.starts_at
                initial[window_field(day.weekday.value, index, "to")] = window.ends_at
        return initial


class UnavailableDateForm(forms.Form):
    date = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
