"""Coded values of the patient registry."""

from __future__ import annotations

from django.db import models


class SexAtBirth(models.TextChoices):
    """Sex recorded at birth: the population covariate of the PK models, not identity."""

    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INTERSEX = "intersex", "Intersex"
    UNKNOWN = "unknown", "Unknown / not recorded"


class PatientSearchKind(models.TextChoices):
    """How a search query was read: by name, by MRN or by date of birth."""

    NAME = "name", "Name"
    MRN = "mrn", "MRN"
    DATE_OF_BIRTH = "date_of_birth", "Date of birth"


class MedicationFlag(models.TextChoices):
    """Medication classes that matter for ketamine (reference: clinical.md, relative
    contraindications): some blunt the antidepressant effect, some add to the blood
    pressure rise. Screening rules and the chart refer to these values."""

    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine (may blunt the effect)"
    LAMOTRIGINE = "lamotrigine", "Lamotrigine (may blunt the effect)"
    MAOI = "maoi", "MAO inhibitor (adds to the blood-pressure rise)"
    STIMULANT = "stimulant", "Stimulant (adds to the blood-pressure rise)"
    SYMPATHOMIMETIC = "sympathomimetic", "Sympathomimetic (adds to the blood-pressure rise)"
