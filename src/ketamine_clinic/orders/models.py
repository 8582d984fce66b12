"""Orders and syringes: facts of what was prescribed and prepared, never edited.

A changed order is a new order for the same visit (the latest one is in force); a
syringe is prepared for one order and verified by a second person.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from ketamine_clinic.insert_only import InsertOnlyModel


class InfusionOrder(InsertOnlyModel):
    """The prescriber's order for one visit, with the plan the engine computed from it.

    ``plan`` keeps the computed numbers (syringe, volumes, rate, program) as they were
    at ordering, so the record shows what the nurse was asked to prepare even if the
    engine or the drug library changes later.
    """

    visit = models.ForeignKey("visits.Visit", on_delete=models.PROTECT, related_name="orders")
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ordered_at = models.DateTimeField()
    weight_kg = models.DecimalField(max_digits=6, decimal_places=2)
    weight_measured_on = models.DateField()
    dose_mg_per_kg = models.DecimalField(max_digits=6, decimal_places=3)
    duration_min = models.PositiveSmallIntegerField()
    vial_strength_mg_per_ml = models.DecimalField(max_digits=7, decimal_places=2)
    concentration_mg_per_ml = models.DecimalField(max_digits=6, decimal_places=2)
    care_area = models.CharField(max_length=40)
    plan = models.JSONField()
    verdict = models.CharField(max_length=16)  # "ok" or "soft_breach" (hard never stored)
    override_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["visit", "-ordered_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(verdict="ok", override_reason="")
                | (models.Q(verdict="soft_breach") & ~models.Q(override_reason="")),
                name="orders_soft_breach_needs_override",
            ),
        ]

    def __str__(self) -> str:
        return f"order {self.pk}: {self.dose_mg_per_kg} mg/kg over {self.duration_min} min"


class SyringePreparation(InsertOnlyModel):
    """A syringe drawn up for an order: from which vial lot(s), by whom."""

    order = models.ForeignKey(InfusionOrder, on_delete=models.PROTECT, related_name="syringes")
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    prepared_at = models.DateTimeField()
    vial_lots = models.CharField(max_length=200, help_text="Lot number(s) of the vial(s) drawn.")
    stock_volume_ml = models.DecimalField(max_digits=7, decimal_places=2)
    diluent_volume_ml = models.DecimalField(max_digits=7, decimal_places=2)

    class Meta:
        ordering = ["order", "-prepared_at", "-id"]

    def __str__(self) -> str:
        return f"syringe {self.pk} for order {self.order_id}"


class SyringeVerification(InsertOnlyModel):
    """A second person checked the syringe against the order before it goes on the pump."""

    preparation = models.OneToOneField(
        SyringePreparation, on_delete=models.PROTECT, related_name="verification"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"verification of syringe {self.preparation_id}"
