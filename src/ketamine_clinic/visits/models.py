"""Infusion visits, their state changes, and what the nurse records before an infusion.

A visit's current state lives on the row (with who and when it reached each milestone);
every change also leaves an insert-only ``VisitTransition``. The pre-infusion records
(vitals, fasting, escort, pregnancy test, medication review, IV access, overrides) are
insert-only as well: a new entry supersedes, the newest one counts, and nothing is edited.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from ketamine_clinic.booking.models import Room
from ketamine_clinic.courses.models import Course
from ketamine_clinic.insert_only import InsertOnlyModel
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.enums import PregnancyTestResult, VisitState, VitalsSource


class Visit(models.Model):
    """One appointment for an infusion: of a course (numbered), or a booster (no course)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="visits")
    course = models.ForeignKey(
        Course, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    number_in_course = models.PositiveSmallIntegerField(null=True, blank=True)
    scheduled_start = models.DateTimeField(db_index=True)
    # Null only for a visit booked before its room is chosen.
    room = models.ForeignKey(
        Room, null=True, blank=True, on_delete=models.PROTECT, related_name="visits"
    )
    planned_preparation_min = models.PositiveSmallIntegerField()
    planned_infusion_min = models.PositiveSmallIntegerField()
    planned_recovery_min = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    state = models.CharField(max_length=16, choices=VisitState.choices)
    state_changed_at = models.DateTimeField()
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Who and when for each milestone (the first time it was reached; the transitions
    # table holds every change, pauses and resumptions included).
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    checks_done_at = models.DateTimeField(null=True, blank=True)
    checks_done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    ready_at = models.DateTimeField(null=True, blank=True)
    ready_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    infusion_started_at = models.DateTimeField(null=True, blank=True)
    infusion_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recovery_started_at = models.DateTimeField(null=True, blank=True)
    recovery_started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Cancelled, did not attend or aborted: when, who, why, and for an abort during the
    # infusion, the dose given so far.
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    end_reason = models.TextField(max_length=500, blank=True)
    dose_given_before_abort_mg = models.DecimalField(
        max_digits=7, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["scheduled_start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=VisitState.values), name="visits_visit_known_state"
            ),
            # A course visit has its number; a booster (no course) has none.
            models.CheckConstraint(
                condition=models.Q(course__isnull=True, number_in_course__isnull=True)
                | models.Q(course__isnull=False, number_in_course__gte=1),
                name="visits_visit_number_iff_course",
            ),
            models.CheckConstraint(
                condition=models.Q(dose_given_before_abort_mg__isnull=True)
                | models.Q(dose_given_before_abort_mg__gte=Decimal(0)),
                name="visits_visit_dose_not_negative",
            ),
        ]
        indexes = [models.Index(fields=["patient", "scheduled_start"], name="visit_patient_start")]

    def __str__(self) -> str:
        return f"visit {self.pk} of patient {self.patient_id} at {self.scheduled_start}"

    @property
    def label(self) -> str:
        """ "Infusion 3 of 6" for a course visit, "Booster infusion" otherwise."""
        if self.course is None or self.number_in_course is None:
            return "Booster infusion"
        return f"Infusion {self.number_in_course} of {self.course.infusions_planned}"


# The milestone fields each state fills the first time it is reached.
MILESTONE_FIELDS: dict[str, tuple[str, str]] = {
    VisitState.CHECKED_IN: ("checked_in_at", "checked_in_by"),
    VisitState.CHECKS_DONE: ("checks_done_at", "checks_done_by"),
    VisitState.READY: ("ready_at", "ready_by"),
    VisitState.INFUSING: ("infusion_started_at", "infusion_started_by"),
    VisitState.RECOVERY: ("recovery_started_at", "recovery_started_by"),
    VisitState.DISCHARGED: ("discharged_at", "discharged_by"),
    VisitState.CANCELLED: ("ended_at", "ended_by"),
    VisitState.DID_NOT_ATTEND: ("ended_at", "ended_by"),
    VisitState.ABORTED: ("ended_at", "ended_by"),
}


class VisitTransition(InsertOnlyModel):
    """One change of a visit's state: from, to, who, when, why (and a dose on abort)."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="transitions")
    from_state = models.CharField(max_length=16, choices=VisitState.choices)
    to_state = models.CharField(max_length=16, choices=VisitState.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(max_length=500, blank=True)
    dose_given_mg = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["visit", "at", "id"]

    def __str__(self) -> str:
        return f"visit {self.visit_id}: {self.from_state} -> {self.to_state}"


class VisitRecord(InsertOnlyModel):
    """What each pre-infusion record shares: its visit, who entered it and when."""

    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        abstract = True


class VitalsReading(VisitRecord):
    """One set of vital signs for a visit. Manual entries out of range are refused."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="vitals")
    taken_at = models.DateTimeField()
    systolic_mmhg = models.PositiveSmallIntegerField()
    diastolic_mmhg = models.PositiveSmallIntegerField()
    heart_rate_per_min = models.PositiveSmallIntegerField()
    spo2_percent = models.PositiveSmallIntegerField()
    respiratory_rate_per_min = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=12, choices=VitalsSource.choices)

    class Meta:
        ordering = ["visit", "-taken_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(source__in=VitalsSource.values),
                name="visits_vitals_known_source",
            ),
            models.CheckConstraint(
                condition=models.Q(systolic_mmhg__gt=models.F("diastolic_mmhg")),
                name="visits_vitals_systolic_above_diastolic",
            ),
            models.CheckConstraint(
                condition=models.Q(spo2_percent__lte=100), name="visits_vitals_spo2_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.systolic_mmhg}/{self.diastolic_mmhg} at {self.taken_at}"


class FastingRecord(VisitRecord):
    """When the patient says they last ate solid food and drank clear fluids."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="fasting_records")
    last_solid_food_at = models.DateTimeField()
    last_clear_fluids_at = models.DateTimeField()

    class Meta:
        ordering = ["visit", "-recorded_at", "-id"]


class EscortConfirmation(VisitRecord):
    """The adult taking the patient home today, confirmed by staff on the day."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="escorts")
    name = models.CharField(max_length=150)
    phone = models.CharField(max_length=40)

    class Meta:
        ordering = ["visit", "-recorded_at", "-id"]


class PregnancyTest(VisitRecord):
    """A pregnancy test taken for this visit, and its result."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="pregnancy_tests")
    taken_at = models.DateTimeField()
    result = models.CharField(max_length=10, choices=PregnancyTestResult.choices)

    class Meta:
        ordering = ["visit", "-taken_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(result__in=PregnancyTestResult.values),
                name="visits_pregnancy_known_result",
            ),
        ]


class MedicationReview(VisitRecord):
    """The nurse's answer: were the patient's medication changes reviewed today?"""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="medication_reviews")
    reviewed = models.BooleanField()
    note = models.TextField(max_length=500, blank=True)

    class Meta:
        ordering = ["visit", "-recorded_at", "-id"]


class IvAccess(VisitRecord):
    """The cannula: where, what gauge, how many attempts, and who placed it."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="iv_accesses")
    site = models.CharField(max_length=60)
    gauge = models.PositiveSmallIntegerField()
    attempts = models.PositiveSmallIntegerField()
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["visit", "-recorded_at", "-id"]
        verbose_name = "IV access"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(attempts__gte=1), name="visits_iv_at_least_one_attempt"
            ),
        ]


class CheckOverride(VisitRecord):
    """A prescriber's decision to proceed although a pre-infusion check fails."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="check_overrides")
    check_key = models.CharField(max_length=40)
    reason = models.TextField(max_length=500)
    # What the check said when it was overridden, so the record shows what was accepted.
    check_status = models.CharField(max_length=8)
    check_message = models.TextField(max_length=500)

    class Meta:
        ordering = ["visit", "-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(reason=""), name="visits_override_reason_required"
            ),
        ]
