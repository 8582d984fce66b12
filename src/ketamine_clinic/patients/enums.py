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
