"""The patient registry: who a patient is. Intake, screening and consent come later."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models

from ketamine_clinic.patients.enums import SexAtBirth

MRN_PREFIX = "KC"
MRN_DIGITS = 6


def mrn_for_number(number: int) -> str:
    """The MRN printed on wristbands and labels for the registry's `number`th patient."""
    return f"{MRN_PREFIX}{number:0{MRN_DIGITS}d}"


class Patient(models.Model):
    """A person the clinic treats. Never deleted: the record must outlive the care."""

    mrn = models.CharField(
        "MRN", max_length=16, unique=True, editable=False, help_text="Medical record number."
    )
    legal_first_name = models.CharField(max_length=100)
    legal_last_name = models.CharField(max_length=100)
    preferred_name = models.CharField(
        max_length=100, blank=True, help_text="What the patient asks to be called, if different."
    )
    date_of_birth = models.DateField()
    sex_at_birth = models.CharField(max_length=16, choices=SexAtBirth.choices)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for records made by the system (the demo seed, an import).",
    )

    class Meta:
        ordering = ["legal_last_name", "legal_first_name", "id"]
        indexes = [
            models.Index(fields=["legal_last_name", "legal_first_name"], name="patient_name"),
            models.Index(fields=["date_of_birth"], name="patient_dob"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sex_at_birth__in=SexAtBirth.values),
                name="patients_patient_known_sex_at_birth",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mrn} {self.display_name}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def display_name(self) -> str:
        """Last, first, with the preferred name the staff should use in quotes."""
        name = f"{self.legal_last_name}, {self.legal_first_name}"
        if self.preferred_name and self.preferred_name != self.legal_first_name:
            name += f' "{self.preferred_name}"'
        return name

    def age_on(self, day: date) -> int:
        """Completed years on `day` (a 29 February birthday turns over on 1 March)."""
        had_birthday = (day.month, day.day) >= (self.date_of_birth.month, self.date_of_birth.day)
        return day.year - self.date_of_birth.year - (0 if had_birthday else 1)
