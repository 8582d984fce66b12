"""The infusion's record: pump events, adverse events and notes. Never edited."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketamine_clinic.infusion.pump_state import PumpEventKind
from ketamine_clinic.insert_only import InsertOnlyModel


class AdverseEventKind(models.TextChoices):
    NAUSEA = "nausea", "Nausea"
    VOMITING = "vomiting", "Vomiting"
    HYPERTENSION = "hypertension", "Hypertension"
    TACHYCARDIA = "tachycardia", "Tachycardia"
    DESATURATION = "desaturation", "Desaturation"
    ANXIETY = "anxiety", "Anxiety or emergence reaction"
    OTHER = "other", "Other"


class NoteKind(models.TextChoices):
    EXPERIENCE = "experience", "The patient's experience"
    SETTING = "setting", "Setting (music, eye mask, lighting)"


class PumpEvent(InsertOnlyModel):
    """A start, rate change, pause, resume or stop, with who did it and why."""

    visit = models.ForeignKey("visits.Visit", on_delete=models.PROTECT, related_name="pump_events")
    at = models.DateTimeField()
    kind = models.CharField(
        max_length=12, choices=[(kind.value, kind.value) for kind in PumpEventKind]
    )
    rate_ml_per_h = models.DecimalField(max_digits=7, decimal_places=1, null=True, blank=True)
    step = models.CharField(max_length=40, blank=True, help_text='e.g. "+10%"')
    override_reason = models.TextField(blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["visit", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at}"


class AdverseEvent(InsertOnlyModel):
    visit = models.ForeignKey(
        "visits.Visit", on_delete=models.PROTECT, related_name="adverse_events"
    )
    at = models.DateTimeField()
    kind = models.CharField(max_length=16, choices=AdverseEventKind.choices)
    description = models.TextField(blank=True)
    intervention = models.CharField(
        max_length=200, blank=True, help_text='e.g. "ondansetron 4 mg IV"'
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["visit", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at}"


class SessionNote(InsertOnlyModel):
    """Mindset, setting, rate and dose all shape the experience: the nurse notes them."""

    visit = models.ForeignKey("visits.Visit", on_delete=models.PROTECT, related_name="notes")
    at = models.DateTimeField()
    kind = models.CharField(max_length=12, choices=NoteKind.choices)
    text = models.TextField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["visit", "at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} note at {self.at}"
