"""What the scheduling engine plans with: rooms, opening hours, shifts, and each patient's
availability, as the clinic records them.

Times are stored as aware datetimes (UTC in the database); ``booking.problem`` turns them
into the engine's minutes on the clinic's local wall clock.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from ketamine_clinic.booking.enums import ShiftRole, Weekday
from ketamine_clinic.insert_only import RECORD_IS_IMMUTABLE
from ketamine_clinic.patients.models import Patient


class Room(models.Model):
    """A private infusion room with its recliner, monitor and pump.

    A room is never deleted (visits keep pointing at it); one taken out of use for good
    has ``in_use`` False, and a room out of service for a while has a ``RoomOutage``.
    """

    name = models.CharField(max_length=40, unique=True)
    display_order = models.PositiveSmallIntegerField(default=0)
    in_use = models.BooleanField(default=True)
    notes = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["display_order", "name"]

    def __str__(self) -> str:
        return self.name


class RoomOutage(models.Model):
    """A room out of service for ``[starts_at, ends_at)`` (repair, deep clean, a broken pump)."""

    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="outages")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.TextField(max_length=500)
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="booking_outage_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.room} out of service {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"


class ClinicHours(models.Model):
    """Opening hours on one weekday; a weekday without a row is closed."""

    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices, unique=True)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        ordering = ["weekday"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="booking_hours_close_after_open",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="booking_hours_known_weekday",
            ),
        ]

    def __str__(self) -> str:
        return f"{Weekday(self.weekday).label} {self.opens_at:%H:%M}-{self.closes_at:%H:%M}"


class StaffShift(models.Model):
    """One staff member on the floor, as a nurse or as the prescriber on site."""

    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="shifts"
    )
    role = models.CharField(max_length=16, choices=ShiftRole.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="booking_shift_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=ShiftRole.values), name="booking_shift_known_role"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} as {self.role} {self.starts_at:%Y-%m-%d %H:%M}-{self.ends_at:%H:%M}"


class SchedulingSettings(models.Model):
    """The clinic's booking rules; one row (``SchedulingSettings.current()``)."""

    # 2 rooms: the clinic's choice, not a published standard (clinical.md gives no ratio;
    # verify against the state's nursing rules). One nurse watches this many infusing rooms.
    max_infusing_rooms_per_nurse = models.PositiveSmallIntegerField(default=2)
    # Appointments start on a 15-minute grid, as a diary books them.
    start_step_minutes = models.PositiveSmallIntegerField(default=15)
    # How far ahead a new course may be planned from its earliest start.
    start_within_days = models.PositiveSmallIntegerField(default=14)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name_plural = "scheduling settings"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_infusing_rooms_per_nurse__gte=1),
                name="booking_settings_nurse_watches_a_room",
            ),
            models.CheckConstraint(
                condition=models.Q(start_step_minutes__in=[5, 10, 15, 20, 30, 60]),
                name="booking_settings_step_divides_hour",
            ),
        ]

    def __str__(self) -> str:
        return "scheduling settings"

    @classmethod
    def current(cls) -> SchedulingSettings:
        """The clinic's settings row, created with the defaults the first time it is read."""
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class AvailabilityWindow(models.Model):
    """A time of the week the patient can come for a whole visit (e.g. Tuesdays 09-13)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="availability")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["patient", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="booking_window_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="booking_window_known_weekday",
            ),
        ]

    def __str__(self) -> str:
        return f"{Weekday(self.weekday).label} {self.starts_at:%H:%M}-{self.ends_at:%H:%M}"


class UnavailableDate(models.Model):
    """A date the patient cannot come at all (a holiday, a hospital appointment)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="unavailable_dates")
    date = models.DateField()

    class Meta:
        ordering = ["patient", "date"]
        constraints = [
            models.UniqueConstraint(fields=["patient", "date"], name="booking_unavailable_once")
        ]

    def __str__(self) -> str:
        return self.date.isoformat()


class VisitMove(models.Model):
    """A booked visit moved to another time or room: from where, to where, who, why.

    Insert-only history (the visit row holds where it is now); a replan that moves several
    visits leaves one row each, with the same ``reason``.
    """

    visit = models.ForeignKey("visits.Visit", on_delete=models.PROTECT, related_name="moves")
    from_start = models.DateTimeField()
    from_room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_start = models.DateTimeField()
    to_room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=500)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["visit", "at", "id"]

    def __str__(self) -> str:
        return f"visit {self.visit_id} moved {self.from_start:%Y-%m-%d %H:%M} -> {self.to_start:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise TypeError(RECORD_IS_IMMUTABLE.format(model=type(self).__name__))
        super().save(*args, **kwargs)
