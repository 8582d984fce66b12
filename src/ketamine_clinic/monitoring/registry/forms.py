"""Forms of the registry pages: they parse what was typed; the services hold the rules."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q

from ketamine_clinic.booking.models import Room
from ketamine_clinic.monitoring.models import DeviceKind
from ketamine_clinic.monitoring.registry.services import (
    ENDPOINT_MAX_LENGTH,
    LABEL_MAX_LENGTH,
    MODEL_MAX_LENGTH,
)


class RoomChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # generic only in the stubs
    def label_from_instance(self, obj: Room) -> str:
        return obj.name if obj.in_use else f"{obj.name} (out of use)"


def _rooms(current: Room | None) -> Any:
    """Rooms in use, and the device's own room even if it was taken out of use since."""
    wanted = Q(in_use=True)
    if current is not None:
        wanted |= Q(pk=current.pk)
    return Room.objects.filter(wanted).order_by("display_order", "name")


class _DeviceFields(forms.Form):
    model = forms.CharField(
        label="Make and model", max_length=MODEL_MAX_LENGTH, help_text="e.g. Acme VS-900"
    )
    label = forms.CharField(
        label="Label",
        max_length=LABEL_MAX_LENGTH,
        required=False,
        help_text="What is written on the device, e.g. Monitor 3.",
    )
    room = RoomChoiceField(
        label="Room",
        queryset=Room.objects.none(),
        required=False,
        empty_label="No room (spare, in storage or repair)",
    )
    program_endpoint = forms.CharField(
        label="Program address (pumps)",
        max_length=ENDPOINT_MAX_LENGTH,
        required=False,
        help_text="host:port where the pump listens for programs, e.g. 10.20.0.31:5300. "
        "Empty for a monitor.",
    )
    in_use = forms.BooleanField(
        label="In use",
        required=False,
        help_text="Untick for a spare or a device away for repair: its data is then kept "
        "as unassigned, and another device may take its place in the room.",
    )

    def __init__(self, *args: Any, current_room: Room | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(RoomChoiceField, self.fields["room"]).queryset = _rooms(current_room)


class DeviceRegisterForm(_DeviceFields):
    eui64 = forms.CharField(
        label="EUI-64",
        max_length=32,
        help_text="16 hex digits, as the device sends it (MSH-3 or OBX-18); "
        "colons or dashes are dropped.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    kind = forms.ChoiceField(label="Kind", choices=DeviceKind.choices)
    field_order = ["eui64", "kind", "model", "label", "room", "program_endpoint", "in_use"]


class DeviceEditForm(_DeviceFields):
    """A registration's changeable fields; a monitor has no program address to give."""

    def __init__(self, *args: Any, kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kind != DeviceKind.PUMP:
            del self.fields["program_endpoint"]

    def changes(self) -> dict[str, Any]:
        """The cleaned values as ``device_update`` takes them."""
        return {"program_endpoint": "", **self.cleaned_data}
