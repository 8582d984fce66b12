"""Coded values of treatment courses."""

from __future__ import annotations

from django.db import models


class CourseStatus(models.TextChoices):
    """Where a course stands. One course per patient may be active at a time."""

    PLANNED = "planned", "Planned"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    STOPPED = "stopped", "Stopped"
