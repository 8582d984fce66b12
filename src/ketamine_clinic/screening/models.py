"""Screening assessments and the prescriber's eligibility decisions.

Both are records of what happened: rows are inserted and never edited (``save`` refuses
an update). A changed mind is a new decision that supersedes the old one; a changed
answer is a new screening. So the chart can always show what was known, which rules
judged it (``rules_version``) and who decided what, when.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketamine_clinic.insert_only import InsertOnlyModel
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.screening.enums import (
    EligibilityDecisionKind,
    ScreeningChannel,
    ScreeningOutcome,
)


class ScreeningAssessment(InsertOnlyModel):
    """One completed screening questionnaire and what the rules made of it.

    ``answers`` are the validated answers exactly as given (free text verbatim);
    ``facts`` is the snapshot of everything the rules read, registry facts included, so
    the outcome can be re-derived later even after the registry changes; ``reasons`` is
    the list of fired rules (id, level, text, source, evidence).
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="screenings")
    # blank=True: an empty list or dict is a real value here (no answers, no reasons).
    answers = models.JSONField(blank=True)
    facts = models.JSONField()
    outcome = models.CharField(max_length=16, choices=ScreeningOutcome.choices)
    reasons = models.JSONField(blank=True)
    unanswered = models.JSONField(default=list, blank=True)
    rules_version = models.CharField(max_length=32)
    created_at = models.DateTimeField(db_index=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the patient answered on the kiosk.",
    )
    channel = models.CharField(max_length=8, choices=ScreeningChannel.choices)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["patient", "created_at"], name="screening_patient_at")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome__in=ScreeningOutcome.values),
                name="screening_assessment_known_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=ScreeningChannel.values),
                name="screening_assessment_known_channel",
            ),
            # The kiosk is the patient; staff and API entries always name a person.
            models.CheckConstraint(
                condition=(
                    models.Q(channel=ScreeningChannel.KIOSK, entered_by__isnull=True)
                    | (
                        models.Q(channel__in=[ScreeningChannel.STAFF, ScreeningChannel.API])
                        & models.Q(entered_by__isnull=False)
                    )
                ),
                name="screening_assessment_channel_matches_enterer",
            ),
        ]

    def __str__(self) -> str:
        return f"screening {self.pk} of patient {self.patient_id}: {self.outcome}"


class EligibilityDecision(InsertOnlyModel):
    """A prescriber's decision on one screening. The newest one for a patient is in force.

    ``supersedes`` links each decision to the one it replaced (one-to-one: two
    prescribers deciding at once cannot both replace the same decision).
    ``overrides_rules`` is True when the decision lets a NOT_ELIGIBLE screening through,
    which needs an explicit override reason in the note (services.py).
    """

    assessment = models.ForeignKey(
        ScreeningAssessment, on_delete=models.PROTECT, related_name="decisions"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="eligibility_decisions"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=32, choices=EligibilityDecisionKind.choices)
    note = models.TextField()
    rules_version = models.CharField(max_length=32)
    assessment_outcome = models.CharField(max_length=16, choices=ScreeningOutcome.choices)
    overrides_rules = models.BooleanField(default=False)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    decided_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(decision__in=EligibilityDecisionKind.values),
                name="screening_decision_known_decision",
            ),
            models.CheckConstraint(
                condition=~models.Q(note=""), name="screening_decision_note_required"
            ),
        ]

    def __str__(self) -> str:
        return f"decision {self.pk} on screening {self.assessment_id}: {self.decision}"
