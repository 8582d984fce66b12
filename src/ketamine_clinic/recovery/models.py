"""What recovery records before a patient may leave. Never edited."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketamine_clinic.insert_only import InsertOnlyModel


class EscortHandover(InsertOnlyModel):
    """The patient left with this person: no driving until after a night's sleep."""

    visit = models.ForeignKey("visits.Visit", on_delete=models.PROTECT, related_name="handovers")
    escort_name = models.CharField(max_length=200)
    escort_phone = models.CharField(max_length=40)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"handover of visit {self.visit_id} to {self.escort_name}"


class DischargeReview(InsertOnlyModel):
    """Side effects resolved (or what remains, noted) and the advice given."""

    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.PROTECT, related_name="discharge_reviews"
    )
    side_effects_resolved = models.BooleanField()
    side_effects_note = models.TextField(blank=True)
    advice_given = models.BooleanField()
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(side_effects_resolved=True) | ~models.Q(side_effects_note=""),
                name="recovery_unresolved_side_effects_noted",
            ),
        ]

    def __str__(self) -> str:
        return f"discharge review of visit {self.visit_id}"
