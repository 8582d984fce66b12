"""The patient registry: who a patient is and the facts every infusion depends on.

Nothing here is deleted. A stopped medication keeps its row with a stop date; an entry
made in error is marked so (who, when, why) and leaves the summary; a corrected value
leaves a `Correction` row with what it was before.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import models

from ketamine_clinic.patients.enums import (
    AllergySeverity,
    GenderIdentity,
    MedicationFlag,
    PregnancyPotential,
    SexAtBirth,
    WeightUnit,
)

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
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Identity beyond the registry basics. Blank gender identity means "not asked".
    gender_identity = models.CharField(max_length=24, choices=GenderIdentity.choices, blank=True)
    gender_identity_self_described = models.CharField(max_length=100, blank=True)
    pronouns = models.CharField(max_length=40, blank=True)

    # Contact.
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    address = models.TextField(max_length=500, blank=True)

    # Emergency contact, and the usual escort: nobody goes home after an infusion alone.
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=40, blank=True)
    escort_name = models.CharField(max_length=150, blank=True)
    escort_relationship = models.CharField(max_length=60, blank=True)
    escort_phone = models.CharField(max_length=40, blank=True)

    # Who referred the patient (the clinician the clinic reports back to).
    referrer_name = models.CharField(max_length=150, blank=True)
    referrer_practice = models.CharField(max_length=150, blank=True)
    referrer_phone = models.CharField(max_length=40, blank=True)
    referrer_email = models.EmailField(max_length=254, blank=True)

    # Allergies: "no known allergies" is recorded, with who and when; never inferred.
    no_known_allergies_at = models.DateTimeField(null=True, blank=True)
    no_known_allergies_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    # Pregnancy potential; blank means "not asked".
    pregnancy_potential = models.CharField(
        max_length=16, choices=PregnancyPotential.choices, blank=True
    )
    pregnancy_potential_asked_on = models.DateField(null=True, blank=True)
    pregnancy_potential_recorded_at = models.DateTimeField(null=True, blank=True)
    pregnancy_potential_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
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
            models.CheckConstraint(
                condition=models.Q(gender_identity__in=["", *GenderIdentity.values]),
                name="patients_patient_known_gender_identity",
            ),
            models.CheckConstraint(
                condition=models.Q(pregnancy_potential__in=["", *PregnancyPotential.values]),
                name="patients_patient_known_pregnancy_potential",
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

    @property
    def name_to_use(self) -> str:
        """What staff call the patient to their face: the preferred name, else the legal one."""
        return f"{self.preferred_name or self.legal_first_name} {self.legal_last_name}"

    @property
    def gender_identity_text(self) -> str:
        """The gender identity as the chart shows it; the patient's own words if self-described."""
        if self.gender_identity == GenderIdentity.SELF_DESCRIBED:
            return self.gender_identity_self_described
        if self.gender_identity:
            return GenderIdentity(self.gender_identity).label
        return ""


class ChartItem(models.Model):
    """What every recorded clinical fact shares: who recorded it, when, and its retraction.

    Marking an item entered in error keeps the row (the audit trail and the timeline
    still show it) and takes it out of the summary; nothing is ever deleted.
    """

    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty for records made by the system (the demo seed, an import).",
    )
    entered_in_error_at = models.DateTimeField(null=True, blank=True)
    entered_in_error_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    entered_in_error_reason = models.TextField(max_length=500, blank=True)

    class Meta:
        abstract = True

    @property
    def in_error(self) -> bool:
        return self.entered_in_error_at is not None


class Allergy(ChartItem):
    """A substance the patient reacts to. Ketamine itself is a contraindication."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=150)
    reaction = models.CharField(max_length=300, blank=True)
    severity = models.CharField(max_length=16, choices=AllergySeverity.choices)

    class Meta:
        ordering = ["patient", "-recorded_at", "-id"]
        verbose_name_plural = "allergies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(severity__in=AllergySeverity.values),
                name="patients_allergy_known_severity",
            ),
        ]

    def __str__(self) -> str:
        return self.substance

    @property
    def is_ketamine(self) -> bool:
        return "ketamine" in self.substance.lower()


class Medication(ChartItem):
    """A medication the patient takes or took. Stopping sets a stop date; the row stays.

    `flags` holds `MedicationFlag` values. They are proposed from the name
    (medication_flags.py) and may be changed by staff; `flags_set_by_staff` says the
    stored flags differ from what the table proposes for the name.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=150)
    dose_text = models.CharField(
        max_length=150, blank=True, help_text="As prescribed, e.g. '1 mg at night as needed'."
    )
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    flags = models.JSONField(default=list, blank=True)
    flags_set_by_staff = models.BooleanField(default=False)

    class Meta:
        ordering = ["patient", "-recorded_at", "-id"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_current(self) -> bool:
        return self.stopped_on is None and not self.in_error

    @property
    def flag_labels(self) -> list[str]:
        return [
            MedicationFlag(value).label for value in self.flags if value in MedicationFlag.values
        ]


class Diagnosis(ChartItem):
    """An ICD-10-CM diagnosis from the clinic's bundled list (diagnosis_codes.py)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    code = models.CharField(max_length=8)
    # Copied from the list when recorded, so a later edit of the list does not rewrite history.
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["patient", "code", "id"]
        verbose_name_plural = "diagnoses"

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def concern(self) -> str:
        from ketamine_clinic.patients.diagnosis_codes import DIAGNOSIS_CODES

        entry = DIAGNOSIS_CODES.get(self.code)
        return entry.concern if entry is not None else ""


class WeightMeasurement(ChartItem):
    """A weight, stored in kg with the value and unit as entered. Dosing uses the latest."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="weights")
    weight_kg = models.DecimalField(max_digits=6, decimal_places=2)
    entered_value = models.DecimalField(max_digits=6, decimal_places=2)
    entered_unit = models.CharField(max_length=2, choices=WeightUnit.choices)
    measured_on = models.DateField()
    measured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["patient", "-measured_on", "-recorded_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight_kg__gt=Decimal(0)), name="patients_weight_positive"
            ),
            models.CheckConstraint(
                condition=models.Q(entered_unit__in=WeightUnit.values),
                name="patients_weight_known_unit",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.weight_kg} kg on {self.measured_on}"

    @property
    def kg_shown(self) -> Decimal:
        """The weight to 0.1 kg, rounded half up: the one figure every page shows."""
        return self.weight_kg.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def entered_shown(self) -> str:
        """The value as entered, without trailing zeros: "154 lb", "72.5 kg"."""
        value = self.entered_value.normalize()
        return f"{value:f} {self.entered_unit}"


class Correction(models.Model):
    """A change to something already recorded: what it was, what it became, who, when, why.

    Append-only, like the audit trail (which records the same change); this copy lives
    with the chart so its timeline can show corrections without reading the audit trail.
    """

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="corrections")
    object_type = models.CharField(max_length=40)  # "patient", "allergy", "medication", ...
    object_id = models.BigIntegerField()
    # {field: [before, after]}, values as text.
    changes = models.JSONField(default=dict)
    reason = models.TextField(max_length=500, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["patient", "-at", "-id"]

    def __str__(self) -> str:
        return f"{self.object_type} {self.object_id} corrected at {self.at}"


class ReportedHistory(models.Model):
    """The history the patient reported (on the tablet or to staff), verbatim.

    Insert-only: a later report is a new row and the chart shows the latest; answers
    are keyed by ``reported_history.QUESTIONS`` and never interpreted as markup.
    """

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="reported_histories"
    )
    answers = models.JSONField()
    reported_at = models.DateTimeField()
    channel = models.CharField(max_length=8)  # "kiosk" or "staff"
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty when the patient entered it on the tablet.",
    )

    class Meta:
        ordering = ["patient", "-reported_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=["kiosk", "staff"]),
                name="patients_reported_history_known_channel",
            ),
            models.CheckConstraint(
                condition=models.Q(channel="kiosk", entered_by__isnull=True)
                | models.Q(channel="staff", entered_by__isnull=False),
                name="patients_reported_history_who",
            ),
        ]

    def __str__(self) -> str:
        return f"history reported by patient {self.patient_id} at {self.reported_at}"
