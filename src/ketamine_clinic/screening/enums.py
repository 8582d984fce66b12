"""Coded values of screening. ``ScreeningOutcome`` mirrors the pure ``facts.Outcome``
(a test checks they agree): the evaluator must not import Django, the models must use
TextChoices."""

from __future__ import annotations

from django.db import models


class ScreeningOutcome(models.TextChoices):
    ELIGIBLE = "eligible", "Eligible (nothing found)"
    NEEDS_REVIEW = "needs_review", "Needs prescriber review"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"


class ScreeningChannel(models.TextChoices):
    """Who typed the answers: the patient on the kiosk, staff, or a system via the API."""

    KIOSK = "kiosk", "Patient, on the kiosk"
    STAFF = "staff", "Staff"
    API = "api", "API"


class EligibilityDecisionKind(models.TextChoices):
    """The prescriber's decision on a screening. It is the decision, not the rules'
    outcome, that lets a course begin."""

    ELIGIBLE = "eligible", "Eligible"
    ELIGIBLE_WITH_CONDITIONS = "eligible_with_conditions", "Eligible with conditions"
    NOT_ELIGIBLE = "not_eligible", "Not eligible"
    NEEDS_MORE_INFORMATION = "needs_more_information", "Needs more information"
