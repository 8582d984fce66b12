"""Keeping the records the course planner works from: rooms, opening hours, scheduling
settings, the staff rota, and each patient's availability.

Every write checks the acting user's roles itself (a page's policy only decides who sees
it), validates before it writes, raises ``ValidationError`` naming the form field at
fault, and records what changed in the audit trail in the same transaction. Errors a
user reads are constants here so tests can assert them exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from ketamine_clinic.accounts.enums import Role
from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.booking.enums import ShiftRole, Weekday
from ketamine_clinic.booking.models import (
    AvailabilityWindow,
    ClinicHours,
    Room,
    SchedulingSettings,
    StaffShift,
    UnavailableDate,
)
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits import state_machine
from ketamine_clinic.visits.models import Visit

# Who may change what. The pages' policies (setup/policies.py) are built from these.
SETUP_EDITORS = frozenset({Role.CLINIC_LEAD, Role.ADMINISTRATOR})
ROTA_EDITORS = frozenset({Role.CLINIC_LEAD})
AVAILABILITY_EDITORS = frozenset({Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER})

# The staff role a shift role needs: only a prescriber can be the prescriber on site.
STAFF_ROLE_FOR_SHIFT: dict[ShiftRole, Role] = {
    ShiftRole.NURSE: Role.NURSE,
    ShiftRole.PRESCRIBER: Role.PRESCRIBER,
}

NOT_ALLOWED_SETUP = "Only the clinic lead or an administrator changes the clinic's set-up."
NOT_ALLOWED_ROTA = "Only the clinic lead changes the rota."
NOT_ALLOWED_AVAILABILITY = (
    "Only the front desk, a nurse or a prescriber changes a patient's availability."
)

ROOM_NAME_REQUIRED = "Give the room a name."
ROOM_NAME_TAKEN = "Another room is already called {name}."
ROOM_NAME_MAX_LENGTH = 40
ROOM_NAME_TOO_LONG = f"Keep the name to {ROOM_NAME_MAX_LENGTH} characters."
ROOM_NOTES_MAX_LENGTH = 200
ROOM_NOTES_TOO_LONG = f"Keep the notes to {ROOM_NOTES_MAX_LENGTH} characters."
ROOM_POSITION_RANGE = "Give a position from 0 to 999."
ROOM_HAS_VISITS = (
    "{count} visit{plural} still booked in this room, the first on {first:%a %d %b %Y}: "
    "move {them} to another room before taking it out of use."
)

HOURS_HALF_GIVEN = "Give both the opening and the closing time, or neither (closed)."
HOURS_CLOSE_BEFORE_OPEN = "Closing must be after opening."

SETTINGS_ROOMS_RANGE = "A nurse watches from 1 to 6 infusing rooms."
SETTINGS_STEP_CHOICES = (5, 10, 15, 20, 30, 60)
SETTINGS_STEP_INVALID = "Choose a step that divides the hour: 5, 10, 15, 20, 30 or 60 minutes."
SETTINGS_WITHIN_RANGE = "Give from 1 to 90 days."

SHIFT_STAFF_INACTIVE = "This staff account is deactivated."
SHIFT_STAFF_WRONG_ROLE = "{name} does not hold the {role} role."
SHIFT_ENDS_BEFORE_START = "The shift must end after it starts, on the same day."
SHIFT_IN_PAST = "This shift would start in the past: the rota plans ahead."
SHIFT_OVERLAPS = "{name} is already on the rota from {starts:%H:%M} to {ends:%H:%M} that day."
SHIFT_STARTED = "This shift has started or is over: a past shift stays on the rota."
SHIFT_REASON_REQUIRED = "Say why the shift is removed (it is kept in the audit trail)."
REASON_MAX_LENGTH = 500
SHIFT_REASON_TOO_LONG = f"Keep the reason under {REASON_MAX_LENGTH} characters."

WINDOW_HALF_GIVEN = "Give both the from and the to time, or neither."
WINDOW_ENDS_BEFORE_START = "The window must end after it starts."
WINDOW_OVERLAPS = "This window overlaps the one before it on the same day."
UNAVAILABLE_IN_PAST = "This date has passed: only dates from today on affect booking."
UNAVAILABLE_ALREADY = "{date:%a %d %b %Y} is already on the list."
UNAVAILABLE_NOT_LISTED = "{date:%a %d %b %Y} is not on the list."

# Visits in these states are over and hold no room.
_FINISHED_STATES = frozenset(str(state) for state in state_machine.TERMINAL_STATES)


def _require(by: User, allowed: frozenset[Role], message: str) -> None:
    if not by.is_active or not (by.roles & allowed):
        raise PermissionDenied(message)


def clinic_zone() -> Any:
    """The clinic's wall clock: shifts and hours are typed in local time."""
    return timezone.get_default_timezone()


def local_datetime(day: date, at: time) -> datetime:
    """An aware datetime for a wall-clock time on a clinic day (zoneinfo picks DST)."""
    return datetime.combine(day, at, tzinfo=clinic_zone())


def weekday_field(weekday: int) -> str:
    """The form-field prefix of a weekday ("monday"), shared by the forms and errors."""
    return Weekday(weekday).label.lower()


def _audit_change(
    by: User,
    object_type: str,
    *,
    before: Any,
    after: Any,
    object_id: str | int = "",
    patient_id: str | int = "",
) -> None:
    """One UPDATE entry with the state before and after, only when something changed."""
    if after == before:
        return
    audit_record(
        action=AuditAction.UPDATE, actor=by, object_type=object_type, object_id=object_id,
        patient_id=patient_id, detail={"before": before, "after": after},
    )  # fmt: skip


# ---- rooms ------------------------------------------------------------------------------


def _room_name(name: str, *, room: Room | None) -> str:
    text = name.strip()
    if not text:
        raise ValidationError({"name": ROOM_NAME_REQUIRED})
    if len(text) > ROOM_NAME_MAX_LENGTH:
        raise ValidationError({"name": ROOM_NAME_TOO_LONG})
    clash = Room.objects.filter(name__iexact=text)
    if room is not None:
        clash = clash.exclude(pk=room.pk)
    if clash.exists():
        raise ValidationError({"name": ROOM_NAME_TAKEN.format(name=text)})
    return text


def _room_notes(notes: str) -> str:
    text = notes.strip()
    if len(text) > ROOM_NOTES_MAX_LENGTH:
        raise ValidationError({"notes": ROOM_NOTES_TOO_LONG})
    return text


def _room_state(room: Room) -> dict[str, Any]:
    return {
        "name": room.name,
        "display_order": room.display_order,
        "in_use": room.in_use,
        "notes": room.notes,
    }


@transaction.atomic
def room_add(*, name: str, notes: str = "", by: User) -> Room:
    """A new room, in use, shown after the others."""
    _require(by, SETUP_EDITORS, NOT_ALLOWED_SETUP)
    text = _room_name(name, room=None)
    clean_notes = _room_notes(notes)
    last = Room.objects.aggregate(last=Max("display_order"))["last"]
    room = Room.objects.create(
        name=text, notes=clean_notes, display_order=0 if last is None else last + 1
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="room",
        object_id=room.pk,
        detail={"after": _room_state(room)},
    )
    return room


def future_room_visits(room: Room, *, now: datetime) -> tuple[int, datetime | None]:
    """How many visits not yet over are booked in ``room`` from ``now``, and the first's start."""
    booked = Visit.objects.filter(room=room, scheduled_start__gte=now).exclude(
        state__in=_FINISHED_STATES
    )
    first = booked.order_by("scheduled_start").values_list("scheduled_start", flat=True).first()
    return booked.count(), first


@transaction.atomic
def room_update(
    *, room: Room, name: str, display_order: int, in_use: bool, notes: str, by: User
) -> Room:
    """Rename, reorder or take a room out of use (or back into use); never a deletion.

    Taking a room out of use while visits are booked in it would leave the day view
    with patients in a room nobody prepares, so that is refused until they are moved.
    """
    _require(by, SETUP_EDITORS, NOT_ALLOWED_SETUP)
    locked = Room.objects.select_for_update().get(pk=room.pk)
    before = _room_state(locked)
    text = _room_name(name, room=locked)
    clean_notes = _room_notes(notes)
    if not 0 <= display_order <= 999:
        raise ValidationError({"display_order": ROOM_POSITION_RANGE})
    if locked.in_use and not in_use:
        count, first = future_room_visits(locked, now=timezone.now())
        if count and first is not None:
            raise ValidationError(
                {
                    "in_use": ROOM_HAS_VISITS.format(
                        count=count,
                        plural="" if count == 1 else "s",
                        first=timezone.localtime(first),
                        them="it" if count == 1 else "them",
                    )
                }
            )
    locked.name = text
    locked.display_order = display_order
    locked.in_use = in_use
    locked.notes = clean_notes
    locked.save(update_fields=["name", "display_order", "in_use", "notes"])
    after = _room_state(locked)
    _audit_change(by, "room", object_id=locked.pk, before=before, after=after)
    return locked


# ---- opening hours ----------------------------------------------------------------------


def _hours_state() -> dict[str, list[str] | None]:
    rows = {row.weekday: row for row in ClinicHours.objects.all()}
    return {
        weekday_field(day): (
            [f"{rows[day].opens_at:%H:%M}", f"{rows[day].closes_at:%H:%M}"] if day in rows else None
        )
        for day in Weekday.values
    }


@transaction.atomic
def clinic_hours_set(
    *, hours: Mapping[int, tuple[time | None, time | None]], by: User
) -> dict[str, list[str] | None]:
    """The week's opening hours in one go: each weekday opens and closes, or is closed.

    ``hours`` maps a weekday (0 Monday) to (opens, closes); (None, None) or a missing
    weekday is closed. Every weekday is checked before anything is written, and every
    problem is reported at once, on the field of its weekday ("monday_closes_at").
    """
    _require(by, SETUP_EDITORS, NOT_ALLOWED_SETUP)
    errors: dict[str, str] = {}
    wanted: dict[int, tuple[time, time]] = {}
    for day in Weekday.values:
        opens, closes = hours.get(day, (None, None))
        prefix = weekday_field(day)
        if opens is None and closes is None:
            continue
        if opens is None or closes is None:
            errors[f"{prefix}_{'opens_at' if opens is None else 'closes_at'}"] = HOURS_HALF_GIVEN
        elif closes <= opens:
            errors[f"{prefix}_closes_at"] = HOURS_CLOSE_BEFORE_OPEN
        else:
            wanted[day] = (opens, closes)
    if errors:
        raise ValidationError(errors)
    before = _hours_state()
    ClinicHours.objects.exclude(weekday__in=list(wanted)).delete()
    for day, (opens, closes) in wanted.items():
        ClinicHours.objects.update_or_create(
            weekday=day, defaults={"opens_at": opens, "closes_at": closes}
        )
    after = _hours_state()
    _audit_change(by, "clinic_hours", before=before, after=after)
    return after


# ---- scheduling settings ----------------------------------------------------------------


def _settings_state(row: SchedulingSettings) -> dict[str, int]:
    return {
        "max_infusing_rooms_per_nurse": row.max_infusing_rooms_per_nurse,
        "start_step_minutes": row.start_step_minutes,
        "start_within_days": row.start_within_days,
    }


@transaction.atomic
def scheduling_settings_update(
    *,
    max_infusing_rooms_per_nurse: int,
    start_step_minutes: int,
    start_within_days: int,
    by: User,
) -> SchedulingSettings:
    """The planner's rules: how many infusing rooms a nurse watches, the start-time grid,
    and how many days from its earliest start a new course may begin."""
    _require(by, SETUP_EDITORS, NOT_ALLOWED_SETUP)
    errors: dict[str, str] = {}
    if not 1 <= max_infusing_rooms_per_nurse <= 6:
        errors["max_infusing_rooms_per_nurse"] = SETTINGS_ROOMS_RANGE
    if start_step_minutes not in SETTINGS_STEP_CHOICES:
        errors["start_step_minutes"] = SETTINGS_STEP_INVALID
    if not 1 <= start_within_days <= 90:
        errors["start_within_days"] = SETTINGS_WITHIN_RANGE
    if errors:
        raise ValidationError(errors)
    SchedulingSettings.current()
    row = SchedulingSettings.objects.select_for_update().get(pk=1)
    before = _settings_state(row)
    row.max_infusing_rooms_per_nurse = max_infusing_rooms_per_nurse
    row.start_step_minutes = start_step_minutes
    row.start_within_days = start_within_days
    row.updated_at = timezone.now()
    row.updated_by = by
    row.save()
    after = _settings_state(row)
    _audit_change(by, "scheduling_settings", object_id=row.pk, before=before, after=after)
    return row


# ---- the rota ---------------------------------------------------------------------------


def _shift_state(shift: StaffShift) -> dict[str, Any]:
    return {
        "staff_id": shift.staff_id,
        "staff": shift.staff.username,
        "role": shift.role,
        "starts_at": timezone.localtime(shift.starts_at).isoformat(),
        "ends_at": timezone.localtime(shift.ends_at).isoformat(),
    }


def _overlapping(staff: User, starts_at: datetime, ends_at: datetime) -> StaffShift | None:
    return (
        StaffShift.objects.filter(staff=staff, starts_at__lt=ends_at, ends_at__gt=starts_at)
        .order_by("starts_at")
        .first()
    )


def _check_staff(staff: User, role: ShiftRole) -> None:
    if not staff.is_active:
        raise ValidationError({"staff": SHIFT_STAFF_INACTIVE})
    needed = STAFF_ROLE_FOR_SHIFT[role]
    if needed not in staff.roles:
        raise ValidationError(
            {"staff": SHIFT_STAFF_WRONG_ROLE.format(name=staff.display_name, role=needed.label)}
        )


@transaction.atomic
def shift_add(
    *, staff: User, role: ShiftRole, day: date, starts: time, ends: time, by: User
) -> StaffShift:
    """Put a nurse or the prescriber on site on the rota, in clinic local time.

    One person cannot be in two places: a shift overlapping another of theirs (as either
    role) is refused.
    """
    _require(by, ROTA_EDITORS, NOT_ALLOWED_ROTA)
    _check_staff(staff, role)
    if ends <= starts:
        raise ValidationError({"ends_at": SHIFT_ENDS_BEFORE_START})
    starts_at = local_datetime(day, starts)
    ends_at = local_datetime(day, ends)
    now = timezone.now()
    if starts_at < now:
        raise ValidationError({"day": SHIFT_IN_PAST})
    # Lock the person's row: two leads adding shifts at once must not both pass the check.
    User.objects.select_for_update().filter(pk=staff.pk).first()
    clash = _overlapping(staff, starts_at, ends_at)
    if clash is not None:
        raise ValidationError(
            {
                "starts_at": SHIFT_OVERLAPS.format(
                    name=staff.display_name,
                    starts=timezone.localtime(clash.starts_at),
                    ends=timezone.localtime(clash.ends_at),
                )
            }
        )
    shift = StaffShift.objects.create(
        staff=staff,
        role=role.value,
        starts_at=starts_at,
        ends_at=ends_at,
        recorded_at=now,
        recorded_by=by,
    )
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="staff_shift",
        object_id=shift.pk,
        detail={"after": _shift_state(shift)},
    )
    return shift


@transaction.atomic
def shift_remove(*, shift: StaffShift, reason: str, by: User) -> None:
    """Take a future shift off the rota, with the reason kept in the audit trail.

    A shift that has started is a record of who was on the floor, so it stays. The audit
    entry is a delete whose detail holds the shift as it was (``before``).
    """
    _require(by, ROTA_EDITORS, NOT_ALLOWED_ROTA)
    why = reason.strip()
    if not why:
        raise ValidationError({"reason": SHIFT_REASON_REQUIRED})
    if len(why) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": SHIFT_REASON_TOO_LONG})
    locked = StaffShift.objects.select_for_update().select_related("staff").get(pk=shift.pk)
    if locked.starts_at <= timezone.now():
        raise ValidationError(SHIFT_STARTED)
    before = _shift_state(locked)
    shift_id = locked.pk
    locked.delete()
    audit_record(
        action=AuditAction.DELETE,
        actor=by,
        object_type="staff_shift",
        object_id=shift_id,
        reason=why,
        detail={"removed": True, "before": before, "after": None},
    )


def week_start(day: date) -> date:
    """The Monday of ``day``'s week: the rota is shown and copied a week at a time."""
    return day - timedelta(days=day.weekday())


@transaction.atomic
def rota_copy_week(*, week_of: date, by: User) -> tuple[int, int]:
    """Copy the week's shifts to the week after, at the same local times.

    A shift is skipped when its person already has a shift overlapping it that week (it
    was copied before, or planned by hand), when the copy would start in the past, or
    when its person no longer holds the role or is deactivated. Returns (copied, skipped).
    """
    _require(by, ROTA_EDITORS, NOT_ALLOWED_ROTA)
    monday = week_start(week_of)
    first = local_datetime(monday, time(0))
    after = local_datetime(monday + timedelta(days=7), time(0))
    now = timezone.now()
    copied: list[int] = []
    skipped = 0
    shifts = (
        StaffShift.objects.filter(starts_at__gte=first, starts_at__lt=after)
        .select_related("staff")
        .order_by("starts_at", "id")
    )
    for shift in shifts:
        local_start = timezone.localtime(shift.starts_at)
        local_end = timezone.localtime(shift.ends_at)
        day = local_start.date() + timedelta(days=7)
        starts_at = local_datetime(day, local_start.time())
        ends_at = local_datetime(local_end.date() + timedelta(days=7), local_end.time())
        staff = shift.staff
        role = ShiftRole(shift.role)
        fits = (
            staff.is_active
            and STAFF_ROLE_FOR_SHIFT[role] in staff.roles
            and starts_at >= now
            and _overlapping(staff, starts_at, ends_at) is None
        )
        if not fits:
            skipped += 1
            continue
        new = StaffShift.objects.create(
            staff=staff,
            role=role.value,
            starts_at=starts_at,
            ends_at=ends_at,
            recorded_at=now,
            recorded_by=by,
        )
        copied.append(new.pk)
    if copied:
        audit_record(
            action=AuditAction.CREATE,
            actor=by,
            object_type="staff_shift",
            detail={
                "copied_from_week": monday.isoformat(),
                "to_week": (monday + timedelta(days=7)).isoformat(),
                "shift_ids": copied,
                "skipped": skipped,
            },
        )
    return len(copied), skipped


# ---- a patient's availability -----------------------------------------------------------


def _availability_state(patient: Patient) -> dict[str, list[list[str]]]:
    state: dict[str, list[list[str]]] = {}
    for window in AvailabilityWindow.objects.filter(patient=patient).order_by(
        "weekday", "starts_at"
    ):
        state.setdefault(weekday_field(window.weekday), []).append(
            [f"{window.starts_at:%H:%M}", f"{window.ends_at:%H:%M}"]
        )
    return state


def _unavailable_state(patient: Patient) -> list[str]:
    return [
        day.isoformat()
        for day in UnavailableDate.objects.filter(patient=patient)
        .order_by("date")
        .values_list("date", flat=True)
    ]


def window_field(weekday: int, index: int, end: str) -> str:
    """A window's form field: ``monday_1_from`` ... ``sunday_2_to`` (``index`` from 1)."""
    return f"{weekday_field(weekday)}_{index}_{end}"


@transaction.atomic
def availability_set(
    *,
    patient: Patient,
    windows: Mapping[int, Sequence[tuple[time | None, time | None]]],
    by: User,
) -> dict[str, list[list[str]]]:
    """The times of the week the patient can come, replacing what was there.

    ``windows`` maps a weekday to its ranges in the order the form shows them; a range
    given as (None, None) is an empty row. Every range is checked before anything is
    written; each problem names its field (``tuesday_2_to``).
    """
    _require(by, AVAILABILITY_EDITORS, NOT_ALLOWED_AVAILABILITY)
    errors: dict[str, str] = {}
    wanted: list[tuple[int, time, time]] = []
    for day in Weekday.values:
        previous_end: time | None = None
        for index, (starts, ends) in enumerate(windows.get(day, ()), start=1):
            if starts is None and ends is None:
                continue
            if starts is None or ends is None:
                end = "from" if starts is None else "to"
                errors[window_field(day, index, end)] = WINDOW_HALF_GIVEN
                continue
            if ends <= starts:
                errors[window_field(day, index, "to")] = WINDOW_ENDS_BEFORE_START
                continue
            if previous_end is not None and starts < previous_end:
                errors[window_field(day, index, "from")] = WINDOW_OVERLAPS
                continue
            previous_end = ends
            wanted.append((day, starts, ends))
    if errors:
        raise ValidationError(errors)
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    before = _availability_state(patient)
    AvailabilityWindow.objects.filter(patient=patient).delete()
    AvailabilityWindow.objects.bulk_create(
        AvailabilityWindow(patient=patient, weekday=day, starts_at=starts, ends_at=ends)
        for day, starts, ends in wanted
    )
    after = _availability_state(patient)
    _audit_change(
        by,
        "patient_availability",
        object_id=patient.pk,
        patient_id=patient.pk,
        before=before,
        after=after,
    )
    return after


@transaction.atomic
def unavailable_date_add(*, patient: Patient, day: date, by: User) -> UnavailableDate:
    """A date the patient cannot come at all; the planner books nothing on it."""
    _require(by, AVAILABILITY_EDITORS, NOT_ALLOWED_AVAILABILITY)
    if day < timezone.localdate():
        raise ValidationError({"date": UNAVAILABLE_IN_PAST})
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if UnavailableDate.objects.filter(patient=patient, date=day).exists():
        raise ValidationError({"date": UNAVAILABLE_ALREADY.format(date=day)})
    before = _unavailable_state(patient)
    row = UnavailableDate.objects.create(patient=patient, date=day)
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="patient_unavailable_dates",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={"added": day.isoformat(), "before": before, "after": _unavailable_state(patient)},
    )
    return row


@transaction.atomic
def unavailable_date_remove(*, patient: Patient, day: date, by: User) -> None:
    """The patient can come on ``day`` after all."""
    _require(by, AVAILABILITY_EDITORS, NOT_ALLOWED_AVAILABILITY)
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    row = UnavailableDate.objects.filter(patient=patient, date=day).first()
    if row is None:
        raise ValidationError({"date": UNAVAILABLE_NOT_LISTED.format(date=day)})
    before = _unavailable_state(patient)
    row.delete()
    audit_record(
        action=AuditAction.UPDATE,
        actor=by,
        object_type="patient_unavailable_dates",
        object_id=patient.pk,
        patient_id=patient.pk,
        detail={
            "removed": day.isoformat(),
            "before": before,
            "after": _unavailable_state(patient),
        },
    )
