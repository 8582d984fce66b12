"""The device registry pages: devices by room with a register form, one device's edit page,
and the data no visit claimed.

Each page reads through a selector and each button calls one service. A form that a
service refuses is shown again, bound, with the message next to the field it names
(status 422); the service wrote nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.monitoring.models import Device, DeviceKind
from ketamine_clinic.monitoring.policies import DEVICE_ADMINS
from ketamine_clinic.monitoring.registry import selectors, services
from ketamine_clinic.monitoring.registry.forms import DeviceEditForm, DeviceRegisterForm
from ketamine_clinic.patients.forms import apply_errors


def _prefill(request: HttpRequest) -> dict[str, Any]:
    """The register form's starting values; "Register this device" on the unassigned page
    passes the EUI-64 and a guess at the kind (checked again when the form is sent)."""
    initial: dict[str, Any] = {"in_use": True, "kind": DeviceKind.MONITOR.value}
    eui64 = request.GET.get("eui64", "")[:32]
    if eui64:
        initial["eui64"] = eui64
    if request.GET.get("kind") in DeviceKind.values:
        initial["kind"] = request.GET["kind"]
    return initial


def _devices_page(
    request: HttpRequest, form: DeviceRegisterForm | None = None, status: int = 200
) -> HttpResponse:
    register_form = form or DeviceRegisterForm(initial=_prefill(request))
    return render(
        request,
        "monitoring/registry/devices.html",
        {
            "groups": selectors.devices_by_room(),
            "form": register_form,
            "prefilled": form is None and "eui64" in request.GET,
        },
        status=status,
    )


@access(DEVICE_ADMINS)
def device_list(request: HttpRequest) -> HttpResponse:
    """Registered monitors and pumps by room, when each last sent, and the register form
    (``?eui64=&kind=`` prefill it)."""
    return _devices_page(request)


@access(DEVICE_ADMINS)
@require_POST
def device_register(request: HttpRequest) -> HttpResponse:
    """POST only: a new registration; back to the list."""
    user = staff_user(request)
    form = DeviceRegisterForm(request.POST)
    if form.is_valid():
        try:
            device = services.device_register(by=user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            where = f"in {device.room.name}" if device.room is not None else "in no room"
            messages.success(
                request,
                f"{device.eui64} registered {where}: its data from now on is placed there.",
            )
            return redirect("devices:list")
    return _devices_page(request, form, status=422)


@access(DEVICE_ADMINS)
def device_edit(request: HttpRequest, device_id: int) -> HttpResponse:
    """Change a device's model, label, room, program address or whether it is in use."""
    user = staff_user(request)
    try:
        device = Device.objects.select_related("room").get(pk=device_id)
    except Device.DoesNotExist:
        raise Http404("No such device") from None
    if request.method == "POST":
        form = DeviceEditForm(request.POST, kind=device.kind, current_room=device.room)
        if form.is_valid():
            try:
                services.device_update(device=device, by=user, **form.changes())
            except (ValidationError, PermissionDenied) as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"{device.eui64} saved.")
                return redirect("devices:list")
    else:
        form = DeviceEditForm(
            kind=device.kind,
            current_room=device.room,
            initial={
                "model": device.model,
                "label": device.label,
                "room": device.room,
                "program_endpoint": device.program_endpoint,
                "in_use": device.in_use,
            },
        )
    return render(
        request,
        "monitoring/registry/device_form.html",
        {"device": device, "form": form},
        status=422 if form.is_bound else 200,
    )


@access(DEVICE_ADMINS)
def unassigned(request: HttpRequest) -> HttpResponse:
    """Devices whose data was stored on no visit, most recently heard first (``?page=``)."""
    return render(
        request,
        "monitoring/registry/unassigned.html",
        {"page": selectors.unassigned_sources(page_number=request.GET.get("page"))},
    )
