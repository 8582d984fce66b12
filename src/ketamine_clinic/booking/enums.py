"""Coded values of the booking app."""

from __future__ import annotations

from django.db import models


class ShiftRole(models.TextChoices):
    """What a staff member is on the floor as during a shift: the engine counts each kind."""

    NURSE = "nurse", "Nurse"
    PRESCRIBER = "prescriber", "Prescriber"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"
