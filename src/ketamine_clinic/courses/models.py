"""Treatment courses: a patient's series of infusions under one protocol.

The protocol's numbers are copied into the course when it starts (``protocol``), so a
later change of the clinic's protocol data never changes a course under way.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from ketamine_clinic.courses.enums import CourseStatus
from ketamine_clinic.patients.models import Patient


class Course(models.Model):
    """One course of infusions. Never deleted; a course ends completed or stopped."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    protocol_key = models.CharField(max_length=40)
    protocol = models.JSONField(help_text="The protocol's parameters when the course began.")
    status = models.CharField(max_length=16, choices=CourseStatus.choices)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    stop_reason = models.TextField(max_length=500, blank=True)

    class Meta:
        ordering = ["patient", "-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CourseStatus.values),
                name="courses_course_known_status",
            ),
            # The database, not only the service, refuses a second active course: two
            # prescribers starting one at the same moment cannot both succeed.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status=CourseStatus.ACTIVE),
                name="courses_course_one_active_per_patient",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=CourseStatus.STOPPED) | ~models.Q(stop_reason=""),
                name="courses_course_stop_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"course {self.pk} of patient {self.patient_id} ({self.status})"

    @property
    def infusions_planned(self) -> int:
        return int(self.parameter("infusions"))

    def parameter(self, name: str) -> Any:
        """One value of the protocol snapshot (KeyError if the snapshot lacks it)."""
        return self.protocol[name]
