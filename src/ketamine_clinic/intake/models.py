"""Kiosk sessions, the forms they hold, and what the patient has typed so far."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketamine_clinic.intake.enums import KioskState, LockReason


class KioskSession(models.Model):
    """One patient's turn on a clinic tablet.

    The tablet proves it holds the session with a random token in a cookie; only the
    token's SHA-256 is stored, so a database reader cannot impersonate a tablet. The
    session is bound to one patient: nothing on the tablet can reach another record.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="kiosk_sessions"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    form_keys = models.JSONField(help_text="The forms assigned for this session, in order.")
    state = models.CharField(max_length=16, choices=KioskState.choices, default=KioskState.ACTIVE)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()
    locked_at = models.DateTimeField(null=True, blank=True)
    lock_reason = models.CharField(max_length=16, choices=LockReason.choices, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=KioskState.values), name="intake_kiosk_known_state"
            ),
        ]

    def __str__(self) -> str:
        return f"kiosk {self.pk} for patient {self.patient_id} ({self.state})"


class KioskSubmission(models.Model):
    """A form the patient sent from the tablet; what it created lives in its own app."""

    session = models.ForeignKey(KioskSession, on_delete=models.PROTECT, related_name="submissions")
    form_key = models.CharField(max_length=64)
    submitted_at = models.DateTimeField()
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "form_key"], name="intake_one_submission"),
        ]

    def __str__(self) -> str:
        return f"{self.form_key} from kiosk {self.session_id}"


class KioskDraft(models.Model):
    """What the patient has entered in a form not yet sent: it survives a reload or a
    dropped connection, and is deleted when the form is sent or the session closes."""

    session = models.ForeignKey(KioskSession, on_delete=models.CASCADE, related_name="drafts")
    form_key = models.CharField(max_length=64)
    data = models.JSONField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["session", "form_key"], name="intake_one_draft"),
        ]

    def __str__(self) -> str:
        return f"draft of {self.form_key} on kiosk {self.session_id}"
