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


class GenderIdentity(models.TextChoices):
    """How the patient describes their gender, as they tell the desk (not sex at birth).

    Blank means "not asked"; "self-described" carries the patient's own words in
    `gender_identity_self_described`.
    """

    WOMAN = "woman", "Woman"
    MAN = "man", "Man"
    NON_BINARY = "non_binary", "Non-binary"
    TRANSGENDER_WOMAN = "transgender_woman", "Transgender woman"
    TRANSGENDER_MAN = "transgender_man", "Transgender man"
    SELF_DESCRIBED = "self_described", "Other, self-described"
    DECLINED = "declined", "Prefers not to say"


class AllergySeverity(models.TextChoices):
    """How bad the reaction was, as the patient or the record says."""

    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe (anaphylaxis or hospital care)"
    UNKNOWN = "unknown", "Unknown"


class AllergyStatus(models.TextChoices):
    """What the chart knows about allergies. "Not asked" must never read as "none"."""

    NOT_ASKED = "not_asked", "Allergies not yet asked"
    NO_KNOWN_ALLERGIES = "no_known_allergies", "No known allergies"
    HAS_ALLERGIES = "has_allergies", "Allergies recorded"


class PregnancyPotential(models.TextChoices):
    """Whether the patient could be pregnant (pregnancy contraindicates ketamine)."""

    YES = "yes", "Yes, could be pregnant"
    NO = "no", "No"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class WeightUnit(models.TextChoices):
    """The unit a weight was entered in; it is always stored in kg as well."""

    KG = "kg", "kg"
    LB = "lb", "lb"
