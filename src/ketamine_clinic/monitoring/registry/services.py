"""Writes to the device registry: registering a monitor or pump and changing where it is.

The storage (monitoring/storage.py) places each message by the registry as it is at the
moment the message is stored, so a change here applies to data stored afterwards; data
already stored keeps the room and visit it was placed in (nothing is re-attached
silently). Every write checks the acting user's roles itself, validates before it writes,
raises ``ValidationError`` naming the form field at fault, and records what changed in
the audit trail in the same transaction. Errors a user reads are constants here so tests
can assert them exactly.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Final

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.booking.models import Room
from ketamine_clinic.monitoring.models import Device, DeviceKind
from ketamine_clinic.monitoring.policies import DEVICE_ADMINS

MODEL_MAX_LENGTH: Final = 80  # Device.model
LABEL_MAX_LENGTH: Final = 40  # Device.label
ENDPOINT_MAX_LENGTH: Final = 80  # Device.program_endpoint
PORT_MIN: Final = 1
PORT_MAX: Final = 65535

NOT_ALLOWED: Final = "Only an administrator or the clinic lead changes the device registry."

EUI64_REQUIRED: Final = "Give the device's EUI-64: the 16 hex digits it sends in MSH-3 or OBX-18."
EUI64_INVALID: Final = (
    "An EUI-64 is 16 hex digits (0-9, A-F), e.g. 00A0C9FFFE000003; {value!r} is not."
)
EUI64_TAKEN: Final = "{eui64} is already registered ({device}): edit that registration instead."
KIND_INVALID: Final = "Choose whether the device is a patient monitor or a syringe pump."
MODEL_REQUIRED: Final = "Give the device's make and model, e.g. Acme VS-900."
MODEL_TOO_LONG: Final = f"Keep the model to {MODEL_MAX_LENGTH} characters."
LABEL_TOO_LONG: Final = f"Keep the label to {LABEL_MAX_LENGTH} characters."
ROOM_OUT_OF_USE: Final = "{room} is out of use: choose a room in use, or no room."
ROOM_HAS_MONITOR: Final = (
    "{room} already has a monitor in use ({device}): move that one or take it out of use "
    "first. A room's vitals must come from one monitor."
)
ROOM_HAS_PUMP: Final = (
    "{room} already has a pump in use ({device}): move that one or take it out of use "
    "first. A room's programs go to one pump."
)
ENDPOINT_PUMPS_ONLY: Final = "Only a pump receives programs: leave this empty for a monitor."
ENDPOINT_INVALID: Final = (
    "Give the address where the pump listens as host:port, e.g. 10.20.0.31:5300 or "
    "pump-3.clinic.lan:5300 ([::1]:5300 for IPv6)."
)
ENDPOINT_TOO_LONG: Final = f"Keep the address to {ENDPOINT_MAX_LENGTH} characters."
ENDPOINT_PORT_RANGE: Final = f"The port must be a number from {PORT_MIN} to {PORT_MAX}."

# Separators people copy from labels and device screens ("00:A0:C9:..." or "00-A0-C9-...").
_EUI64_SEPARATORS = re.compile(r"[\s:.\-]")
EUI64_PATTERN = re.compile(r"[0-9A-F]{16}")
# A DNS host name: dot-separated labels of letters, digits and inner hyphens.
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")

_ROOM_TAKEN: Final[dict[str, str]] = {
    DeviceKind.MONITOR.value: ROOM_HAS_MONITOR,
    DeviceKind.PUMP.value: ROOM_HAS_PUMP,
}


def _require(by: User) -> None:
    if not by.is_active or not DEVICE_ADMINS.allows(by):
        raise PermissionDenied(NOT_ALLOWED)


def normalise_eui64(value: str) -> str:
    """The EUI-64 as devices send it and the storage matches it: 16 upper-case hex digits.

    Separators are dropped, so a value copied from a label ("00:a0:c9:ff:fe:00:00:03")
    matches what the device sends.
    """
    text = _EUI64_SEPARATORS.sub("", value).upper()
    if not text:
        raise ValidationError({"eui64": EUI64_REQUIRED})
    if not EUI64_PATTERN.fullmatch(text):
        raise ValidationError({"eui64": EUI64_INVALID.format(value=value.strip())})
    return text


def _kind(kind: str) -> str:
    if kind not in DeviceKind.values:
        raise ValidationError({"kind": KIND_INVALID})
    return kind


def _model(model: str) -> str:
    text = model.strip()
    if not text:
        raise ValidationError({"model": MODEL_REQUIRED})
    if len(text) > MODEL_MAX_LENGTH:
        raise ValidationError({"model": MODEL_TOO_LONG})
    return text


def _label(label: str) -> str:
    text = label.strip()
    if len(text) > LABEL_MAX_LENGTH:
        raise ValidationError({"label": LABEL_TOO_LONG})
    return text


def _valid_host(host: str) -> bool:
    if host.startswith("[") and host.endswith("]"):
        try:
            return ipaddress.ip_address(host[1:-1]).version == 6
        except ValueError:
            return False
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        pass
    else:
        return True
    labels = host.rstrip(".").split(".")
    if len(host) > 253 or not labels or all(label.isdigit() for label in labels):
        # All-digit names ("10.0.5") are mistyped addresses, not host names.
        return False
    return all(_HOST_LABEL.fullmatch(label) for label in labels)


def validate_endpoint(endpoint: str, *, kind: str) -> str:
    """``host:port`` where a pump listens for PCD-03 programs; empty for a monitor (and
    allowed empty for a pump that is not yet programmed from the clinic)."""
    text = endpoint.strip()
    if not text:
        return ""
    if kind != DeviceKind.PUMP:
        raise ValidationError({"program_endpoint": ENDPOINT_PUMPS_ONLY})
    if len(text) > ENDPOINT_MAX_LENGTH:
        raise ValidationError({"program_endpoint": ENDPOINT_TOO_LONG})
    host, colon, port = text.rpartition(":")
    if not colon or not host or not _valid_host(host):
        raise ValidationError({"program_endpoint": ENDPOINT_INVALID})
    if not port.isascii() or not port.isdigit() or not PORT_MIN <= int(port) <= PORT_MAX:
        raise ValidationError({"program_endpoint": ENDPOINT_PORT_RANGE})
    return f"{host}:{int(port)}"


def _room(room: Room | None, *, kind: str, in_use: bool, device: Device | None) -> Room | None:
    """The room the device goes in, after the checks that keep one monitor and one pump per
    room.

    At most one monitor in use per room because the storage attaches everything a room's
    devices send to the visit running in that room: a second monitor (a spare left
    switched on, one wheeled in from next door) would mix another body's vitals into the
    patient's record and feed the alarm engine two SpO2 streams. At most one pump because
    a program for the room's visit must go to exactly one pump. Devices out of use (spares
    on a shelf) may share a room.
    """
    if room is None:
        return None
    # Lock the room: two administrators placing two monitors at once must not both succeed.
    locked = Room.objects.select_for_update().get(pk=room.pk)
    moved = device is None or device.room_id != locked.pk
    if moved and not locked.in_use:
        raise ValidationError({"room": ROOM_OUT_OF_USE.format(room=locked.name)})
    if in_use:
        others = Device.objects.filter(room=locked, kind=kind, in_use=True)
        if device is not None:
            others = others.exclude(pk=device.pk)
        other = others.order_by("eui64").first()
        if other is not None:
            message = _ROOM_TAKEN[kind].format(room=locked.name, device=_name(other))
            raise ValidationError({"room": message})
    return locked


def _name(device: Device) -> str:
    return f"{device.label} · {device.eui64}" if device.label else device.eui64


def device_state(device: Device) -> dict[str, Any]:
    """What the audit trail keeps of a registration, before and after a change."""
    return {
        "eui64": device.eui64,
        "kind": device.kind,
        "model": device.model,
        "label": device.label,
        "room_id": device.room_id,
        "room": device.room.name if device.room is not None else None,
        "program_endpoint": device.program_endpoint,
        "in_use": device.in_use,
    }


@transaction.atomic
def device_register(
    *,
    eui64: str,
    kind: str,
    model: str,
    label: str = "",
    room: Room | None = None,
    program_endpoint: str = "",
    in_use: bool = True,
    by: User,
) -> Device:
    """Register a monitor or pump by the EUI-64 it sends; its data stored from now on is
    placed in ``room`` (on the visit running there)."""
    _require(by)
    clean_eui64 = normalise_eui64(eui64)
    clean_kind = _kind(kind)
    existing = Device.objects.filter(eui64=clean_eui64).first()
    if existing is not None:
        raise ValidationError({"eui64": EUI64_TAKEN.format(eui64=clean_eui64, device=existing)})
    clean_model = _model(model)
    clean_label = _label(label)
    endpoint = validate_endpoint(program_endpoint, kind=clean_kind)
    placed = _room(room, kind=clean_kind, in_use=in_use, device=None)
    device = Device.objects.create(
        eui64=clean_eui64,
        kind=clean_kind,
        model=clean_model,
        label=clean_label,
        room=placed,
        program_endpoint=endpoint,
        in_use=in_use,
        registered_at=timezone.now(),
        registered_by=by,
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="device",
        object_id=device.pk,
        detail={"after": device_state(device)},
    )
    return device


@transaction.atomic
def device_update(
    *,
    device: Device,
    model: str,
    label: str,
    room: Room | None,
    program_endpoint: str,
    in_use: bool,
    by: User,
) -> Device:
    """Change a device's model, label, room, endpoint or whether it is in use. Its EUI-64
    and kind stay: a different device is a new registration."""
    _require(by)
    current = (
        Device.objects.select_for_update(of=("self",)).select_related("room").get(pk=device.pk)
    )
    before = device_state(current)
    clean_model = _model(model)
    clean_label = _label(label)
    endpoint = validate_endpoint(program_endpoint, kind=current.kind)
    placed = _room(room, kind=current.kind, in_use=in_use, device=current)
    current.model = clean_model
    current.label = clean_label
    current.room = placed
    current.program_endpoint = endpoint
    current.in_use = in_use
    after = device_state(current)
    if after != before:
        current.save(update_fields=["model", "label", "room", "program_endpoint", "in_use"])
        audit_record(
            action=AuditAction.UPDATE,
            actor=by,
            object_type="device",
            object_id=current.pk,
            detail={"before": before, "after": after},
        )
    return current
