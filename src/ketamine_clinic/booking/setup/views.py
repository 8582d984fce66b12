"""The set-up pages: rooms, opening hours, scheduling settings, the rota, and a patient's
availability.

Each page reads through a selector and each button calls one service. A form that a
service refuses is shown again, bound, with the message next to the field it names
(status 422); the service wrote nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketamine_clinic.access.policy import access, staff_user
from ketamine_clinic.accounts.models import User
from ketamine_clinic.booking.enums import ShiftRole
from ketamine_clinic.booking.models import Room, StaffShift
from ketamine_clinic.booking.policies import OUTAGE_RECORDERS
from ketamine_clinic.booking.setup import forms as setup_forms
from ketamine_clinic.booking.setup import selectors, services
from ketamine_clinic.booking.setup.policies import (
    AVAILABILITY_EDITING,
    AVAILABILITY_READING,
    ROTA_EDITING,
    ROTA_READING,
    SETUP_EDITING,
    SETUP_READING,
)
from ketamine_clinic.patients.forms import apply_errors
from ketamine_clinic.patients.models import Patient

# ---- rooms ------------------------------------------------------------------------------


def _rooms_page(
    request: HttpRequest, user: User, add_form: forms.Form | None = None, status: int = 200
) -> HttpResponse:
    return render(
        request,
        "booking/setup/rooms.html",
        {
            "rows": selectors.rooms_overview(),
            "can_edit": SETUP_EDITING.allows(user),
            "can_record_outage": OUTAGE_RECORDERS.allows(user),
            "add_form": add_form or setup_forms.RoomAddForm(),
        },
        status=status,
    )


@access(SETUP_READING)
def rooms(request: HttpRequest) -> HttpResponse:
    """The rooms in display order, whether each is in use, and outages not yet over."""
    return _rooms_page(request, staff_user(request))


@access(SETUP_EDITING)
@require_POST
def room_add(request: HttpRequest) -> HttpResponse:
    """POST only: a new room, shown last."""
    user = staff_user(request)
    form = setup_forms.RoomAddForm(request.POST)
    if form.is_valid():
        try:
            room = services.room_add(by=user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{room.name} added.")
            return redirect("booking:rooms")
    return _rooms_page(request, user, form, status=422)


@access(SETUP_EDITING)
def room_edit(request: HttpRequest, room_id: int) -> HttpResponse:
    """Rename, reorder, or take a room out of use (a room is never deleted)."""
    user = staff_user(request)
    try:
        room = Room.objects.get(pk=room_id)
    except Room.DoesNotExist:
        raise Http404("No such room") from None
    if request.method == "POST":
        form = setup_forms.RoomForm(request.POST)
        if form.is_valid():
            try:
                services.room_update(room=room, by=user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Room saved.")
                return redirect("booking:rooms")
    else:
        form = setup_forms.RoomForm(
            initial={
                "name": room.name,
                "display_order": room.display_order,
                "in_use": room.in_use,
                "notes": room.notes,
            }
        )
    return render(
        request,
        "booking/setup/room_form.html",
        {"room": room, "form": form},
        status=422 if form.is_bound else 200,
    )


# ---- opening hours ----------------------------------------------------------------------


def _hours_page(
    request: HttpRequest, user: User, form: setup_forms.HoursForm | None = None, status: int = 200
) -> HttpResponse:
    week = selectors.clinic_week_hours()
    if form is None:
        initial: dict[str, Any] = {}
        for day in week:
            if day.hours is not None:
                prefix = services.weekday_field(day.weekday.value)
                initial[f"{prefix}_opens_at"] = day.hours.opens_at
                initial[f"{prefix}_closes_at"] = day.hours.closes_at
        form = setup_forms.HoursForm(initial=initial)
    return render(
        request,
        "booking/setup/hours.html",
        {"week": week, "form": form, "can_edit": SETUP_EDITING.allows(user)},
        status=status,
    )


@access(SETUP_READING)
def hours(request: HttpRequest) -> HttpResponse:
    """Opening hours, one row per weekday; the lead and the administrator edit them here."""
    return _hours_page(request, staff_user(request))


@access(SETUP_EDITING)
@require_POST
def hours_save(request: HttpRequest) -> HttpResponse:
    """POST only: the whole week's hours from the one form."""
    user = staff_user(request)
    form = setup_forms.HoursForm(request.POST)
    if form.is_valid():
        try:
            services.clinic_hours_set(hours=form.hours(), by=user)
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Opening hours saved.")
            return redirect("booking:hours")
    return _hours_page(request, user, form, status=422)


# ---- scheduling settings ----------------------------------------------------------------


@access(SETUP_EDITING)
def scheduling_settings(request: HttpRequest) -> HttpResponse:
    """The planner's rules: rooms per nurse, the start-time grid, the start window."""
    user = staff_user(request)
    current = selectors.scheduling_settings()
    if request.method == "POST":
        form = setup_forms.SettingsForm(request.POST)
        if form.is_valid():
            try:
                services.scheduling_settings_update(by=user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                apply_errors(form, error)
            else:
                messages.success(request, "Scheduling settings saved.")
                return redirect("booking:settings")
    else:
        form = setup_forms.SettingsForm(
            initial={
                "max_infusing_rooms_per_nurse": current.max_infusing_rooms_per_nurse,
                "start_step_minutes": current.start_step_minutes,
                "start_within_days": current.start_within_days,
            }
        )
    return render(
        request,
        "booking/setup/settings.html",
        {"form": form, "current": current},
        status=422 if form.is_bound else 200,
    )


# ---- the rota ---------------------------------------------------------------------------


def _week_asked(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _rota_page(
    request: HttpRequest,
    user: User,
    week_of: date,
    shift_form: setup_forms.ShiftForm | None = None,
    status: int = 200,
) -> HttpResponse:
    week = selectors.rota_week(day=week_of)
    can_edit = ROTA_EDITING.allows(user)
    if shift_form is None and can_edit:
        today = timezone.localdate()
        first_open = next(
            (d.day for d in week.days if d.is_open and d.day >= today),
            max(week.monday, today),
        )
        hours = next((d.hours for d in week.days if d.day == first_open), None)
        shift_form = setup_forms.ShiftForm(
            staff=selectors.rota_staff(),
            initial={
                "role": ShiftRole.NURSE.value,
                "day": first_open,
                "starts_at": hours.opens_at if hours else None,
                "ends_at": hours.closes_at if hours else None,
            },
        )
    return render(
        request,
        "booking/setup/rota.html",
        {
            "week": week,
            "can_edit": can_edit,
            "shift_form": shift_form,
            "now": timezone.now(),
            "this_week": services.week_start(timezone.localdate()),
        },
        status=status,
    )


@access(ROTA_READING)
def rota(request: HttpRequest) -> HttpResponse:
    """The week's shifts by day (``?week=`` any date of it), and where nobody is on."""
    return _rota_page(request, staff_user(request), _week_asked(request.GET.get("week")))


@access(ROTA_EDITING)
@require_POST
def shift_add(request: HttpRequest) -> HttpResponse:
    """POST only: one shift on the rota; back to the shift's week."""
    user = staff_user(request)
    form = setup_forms.ShiftForm(request.POST, staff=selectors.rota_staff())
    if form.is_valid():
        data = form.cleaned_data
        try:
            shift = services.shift_add(
                staff=data["staff"],
                role=ShiftRole(data["role"]),
                day=data["day"],
                starts=data["starts_at"],
                ends=data["ends_at"],
                by=user,
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            local = timezone.localtime(shift.starts_at)
            messages.success(
                request,
                f"{shift.staff.display_name} is on the rota {local:%a %d %b} "
                f"{local:%H:%M}-{timezone.localtime(shift.ends_at):%H:%M}.",
            )
            return redirect(f"{reverse('booking:rota')}?week={local.date().isoformat()}")
    week_of = form.cleaned_data.get("day") if form.is_valid() else None
    return _rota_page(
        request, user, week_of or _week_asked(request.POST.get("day")), form, status=422
    )


@access(ROTA_EDITING)
def shift_remove(request: HttpRequest, shift_id: int) -> HttpResponse:
    """Ask why, then take a future shift off the rota."""
    user = staff_user(request)
    try:
        shift = selectors.shift_for_page(shift_id=shift_id)
    except StaffShift.DoesNotExist:
        raise Http404("No such shift") from None
    week_url = (
        f"{reverse('booking:rota')}?week={timezone.localtime(shift.starts_at).date().isoformat()}"
    )
    form = setup_forms.ShiftRemoveForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.shift_remove(shift=shift, reason=form.cleaned_data["reason"], by=user)
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Shift removed from the rota.")
            return redirect(week_url)
    return render(
        request,
        "booking/setup/shift_remove.html",
        {
            "shift": shift,
            "form": form,
            "week_url": week_url,
            "started": shift.starts_at <= timezone.now(),
        },
        status=422 if form.is_bound else 200,
    )


@access(ROTA_EDITING)
@require_POST
def rota_copy_week(request: HttpRequest) -> HttpResponse:
    """POST only: this week's shifts again next week, skipping those already there."""
    user = staff_user(request)
    form = setup_forms.CopyWeekForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the week to copy from the rota page.")
        return redirect("booking:rota")
    week_of: date = form.cleaned_data["week"]
    copied, skipped = services.rota_copy_week(week_of=week_of, by=user)
    next_week = services.week_start(week_of) + timedelta(days=7)
    text = f"{copied} shift{'s' if copied != 1 else ''} copied to the week of {next_week:%d %b}."
    if skipped:
        text += (
            f" {skipped} skipped (already on the rota then, in the past, or the person no"
            " longer holds the role)."
        )
    messages.success(request, text)
    return redirect(f"{reverse('booking:rota')}?week={next_week.isoformat()}")


# ---- a patient's availability -----------------------------------------------------------

MAX_ROWS_PER_DAY = 12


def _availability_page(
    request: HttpRequest,
    user: User,
    patient_id: int,
    *,
    windows_form: setup_forms.AvailabilityForm | None = None,
    date_form: setup_forms.UnavailableDateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    try:
        availability = selectors.patient_availability(patient_id=patient_id, by=user)
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None
    per_day = max((len(day.windows) for day in availability.week), default=0)
    return render(
        request,
        "booking/setup/availability.html",
        {
            "availability": availability,
            "patient": availability.patient,
            "can_edit": AVAILABILITY_EDITING.allows(user),
            "windows_form": windows_form
            or setup_forms.AvailabilityForm(
                per_day=per_day, initial=setup_forms.AvailabilityForm.initial_for(availability.week)
            ),
            "date_form": date_form or setup_forms.UnavailableDateForm(),
        },
        status=status,
    )


def _patient_to_change(patient_id: int) -> Patient:
    try:
        return Patient.objects.get(pk=patient_id)
    except Patient.DoesNotExist:
        raise Http404("No such patient") from None


@access(AVAILABILITY_READING)
def patient_availability(request: HttpRequest, patient_id: int) -> HttpResponse:
    """When the patient can come each week and the dates they cannot (an audited read)."""
    return _availability_page(request, staff_user(request), patient_id)


@access(AVAILABILITY_EDITING)
@require_POST
def availability_windows(request: HttpRequest, patient_id: int) -> HttpResponse:
    """POST only: the weekly windows, replacing the ones there."""
    user = staff_user(request)
    patient = _patient_to_change(patient_id)
    # The page shows more than two rows a day when the patient already has more windows.
    shown = request.POST.get("per_day", "")
    per_day = min(int(shown), MAX_ROWS_PER_DAY) if shown.isdigit() else 0
    form = setup_forms.AvailabilityForm(request.POST, per_day=per_day)
    if form.is_valid():
        try:
            services.availability_set(patient=patient, windows=form.windows(), by=user)
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Weekly availability saved.")
            return redirect("booking:patient_availability", patient_id=patient.pk)
    return _availability_page(request, user, patient.pk, windows_form=form, status=422)


@access(AVAILABILITY_EDITING)
@require_POST
def unavailable_date_add(request: HttpRequest, patient_id: int) -> HttpResponse:
    """POST only: a date the patient cannot come."""
    user = staff_user(request)
    patient = _patient_to_change(patient_id)
    form = setup_forms.UnavailableDateForm(request.POST)
    if form.is_valid():
        try:
            services.unavailable_date_add(patient=patient, day=form.cleaned_data["date"], by=user)
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['date']:%a %d %b %Y} added.")
            return redirect("booking:patient_availability", patient_id=patient.pk)
    return _availability_page(request, user, patient.pk, date_form=form, status=422)


@access(AVAILABILITY_EDITING)
@require_POST
def unavailable_date_remove(request: HttpRequest, patient_id: int) -> HttpResponse:
    """POST only: take a date off the patient's list."""
    user = staff_user(request)
    patient = _patient_to_change(patient_id)
    form = setup_forms.UnavailableDateForm(request.POST)
    if form.is_valid():
        try:
            services.unavailable_date_remove(
                patient=patient, day=form.cleaned_data["date"], by=user
            )
        except (ValidationError, PermissionDenied) as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{form.cleaned_data['date']:%a %d %b %Y} removed.")
            return redirect("booking:patient_availability", patient_id=patient.pk)
    return _availability_page(request, user, patient.pk, date_form=form, status=422)
