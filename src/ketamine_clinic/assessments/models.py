"""Questionnaire responses with their scores, and the risk flags they raise.

Nothing here is edited in place: a wrong response is corrected by a new one that points
at it (``corrects``), so what was scored, when and by whom stays readable. A risk flag
changes once, from open to assessed, by a prescriber's assessment.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketamine_clinic.assessments.enums import ResponseChannel, RiskFlagStatus
from ketamine_clinic.patients.models import Patient


class QuestionnaireResponse(models.Model):
    """One completed (or partly completed) instrument and its score.

    ``answers`` are as given, one per item (``null`` = unanswered); ``total``,
    ``severity``, ``flags`` and ``triage`` are what the scoring engine of
    ``instrument_version`` made of them, and ``result`` holds its whole output
    (subscales, cut-offs, flag reasons, validity) so a later change of the rules never
    rewrites an old score.
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="questionnaire_responses"
    )
    instrument_key = models.CharField(max_length=40)
    instrument_version = models.CharField(max_length=20)
    answers = models.JSONField(help_text="One value per item in order; null = unanswered.")
    total = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty when the instrument has none or items are missing."
    )
    severity = models.CharField(max_length=40, blank=True)
    flags = models.JSONField(default=list, blank=True, help_text="Flag keys, e.g. suicide_risk.")
    triage = models.CharField(max_length=20, blank=True)
    valid = models.BooleanField(help_text="False when unanswered items leave no total or triage.")
    result = models.JSONField(help_text="The scoring engine's whole output, as scored.")
    comment = models.TextField(
        blank=True, help_text="Anything the patient wrote beside the form, kept verbatim."
    )
    taken_at = models.DateTimeField(help_text="When the patient answered.")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the patient entered it on the kiosk.",
    )
    channel = models.CharField(max_length=10, choices=ResponseChannel.choices)
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
        help_text="The earlier response this one replaces.",
    )
    correction_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [
            models.Index(
                fields=["patient", "instrument_key", "taken_at"], name="response_patient_instr"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=ResponseChannel.values),
                name="assessments_response_known_channel",
            ),
            # Only the kiosk enters answers with no member of staff behind them.
            models.CheckConstraint(
                condition=models.Q(channel=ResponseChannel.KIOSK)
                | models.Q(entered_by__isnull=False),
                name="assessments_response_staff_entry_has_a_person",
            ),
            models.CheckConstraint(
                condition=models.Q(corrects__isnull=True) | ~models.Q(correction_reason=""),
                name="assessments_response_correction_has_a_reason",
            ),
            # A response is corrected once: two desks correcting it at once cannot both win.
            models.UniqueConstraint(
                fields=["corrects"],
                condition=models.Q(corrects__isnull=False),
                name="assessments_response_corrected_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_key} {self.taken_at:%Y-%m-%d} patient {self.patient_id}"


class RiskFlag(models.Model):
    """A risk a response raised (PHQ-9 item 9 above 0, a positive C-SSRS screen, an
    unanswered risk question). While open it blocks the next infusion."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="risk_flags")
    response = models.ForeignKey(
        QuestionnaireResponse, on_delete=models.PROTECT, related_name="risk_flags"
    )
    kind = models.CharField(max_length=40, help_text="e.g. phq9_item9, cssrs_positive.")
    level = models.CharField(
        max_length=20, help_text="C-SSRS triage level, 'positive' or 'unanswered'."
    )
    reason = models.CharField(max_length=200, help_text="Why it was raised, e.g. item 9 = 2.")
    raised_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=RiskFlagStatus.choices, default=RiskFlagStatus.OPEN
    )
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assessed_at = models.DateTimeField(null=True, blank=True)
    assessment_note = models.TextField(blank=True)

    class Meta:
        ordering = ["raised_at", "id"]
        indexes = [models.Index(fields=["status", "raised_at"], name="riskflag_status_raised")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RiskFlagStatus.values),
                name="assessments_riskflag_known_status",
            ),
            # Assessed means by someone, at a time, with a note; open means none of those.
            models.CheckConstraint(
                condition=(
                    models.Q(
                        status=RiskFlagStatus.ASSESSED,
                        assessed_by__isnull=False,
                        assessed_at__isnull=False,
                    )
                    & ~models.Q(assessment_note="")
                )
                | models.Q(
                    status=RiskFlagStatus.OPEN,
                    assessed_by__isnull=True,
                    assessed_at__isnull=True,
                    assessment_note="",
                ),
                name="assessments_riskflag_assessment_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.level}) patient {self.patient_id}: {self.status}"
