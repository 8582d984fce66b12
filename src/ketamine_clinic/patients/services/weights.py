"""Weights: entered in kg or lb, stored in kg with what was entered. Dosing uses the latest."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.patients.enums import WeightUnit
from ketamine_clinic.patients.models import Patient, WeightMeasurement
from ketamine_clinic.patients.services._common import date_problem, mark_entered_in_error

if TYPE_CHECKING:
    from ketamine_clinic.accounts.models import User

# The international avoirdupois pound, exactly (1959 agreement).
KG_PER_LB = Decimal("0.45359237")
# Plausible adult weights. Outside them the entry is far more likely a typo (or kg typed
# as lb) than a patient, and a dose computed from it would be wrong by the same factor.
WEIGHT_MIN_KG = Decimal(25)
WEIGHT_MAX_KG = Decimal(300)

WEIGHT_REQUIRED = "Enter the weight."
WEIGHT_UNIT_UNKNOWN = "Choose kg or lb."
WEIGHT_OUT_OF_RANGE = (
    "{value} {unit} is {kg} kg, outside {low}-{high} kg: check the scale and the unit."
)
WEIGHT_NOT_A_NUMBER = "Enter the weight as a number, e.g. 72.5."
WEIGHT_DATE_REQUIRED = "Enter the date the weight was measured."


def weight_in_kg(value: Decimal, unit: str) -> Decimal:
    """`value` in `unit` as kg to 0.01 kg (a dose needs no finer)."""
    kg = value * KG_PER_LB if unit == WeightUnit.LB else value
    return kg.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@transaction.atomic
def weight_record(
    *,
    patient: Patient,
    value: Decimal | None,
    unit: str,
    measured_on: date | None,
    by: User | None,
    measured_by: User | None = None,
) -> WeightMeasurement:
    """Record a weight as measured; `measured_by` defaults to whoever records it."""
    errors: dict[str, str] = {}
    if unit not in WeightUnit.values:
        errors["unit"] = WEIGHT_UNIT_UNKNOWN
    if value is None:
        errors["value"] = WEIGHT_REQUIRED
    elif not isinstance(value, Decimal) or not value.is_finite():
        errors["value"] = WEIGHT_NOT_A_NUMBER
    elif "unit" not in errors:
        try:
            kg = weight_in_kg(value, unit)
        except InvalidOperation:
            errors["value"] = WEIGHT_NOT_A_NUMBER
        else:
            if not WEIGHT_MIN_KG <= kg <= WEIGHT_MAX_KG:
                errors["value"] = WEIGHT_OUT_OF_RANGE.format(
                    value=value, unit=unit, kg=kg, low=WEIGHT_MIN_KG, high=WEIGHT_MAX_KG
                )
    if measured_on is None:
        errors["measured_on"] = WEIGHT_DATE_REQUIRED
    else:
        problem = date_problem(measured_on, patient)
        if problem is not None:
            errors["measured_on"] = problem
    if errors:
        raise ValidationError(errors)
    assert value is not None and measured_on is not None  # noqa: S101 - checked above, for mypy
    weight = WeightMeasurement(
        patient=patient,
        weight_kg=weight_in_kg(value, unit),
        entered_value=value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        entered_unit=unit,
        measured_on=measured_on,
        measured_by=measured_by or by,
        recorded_at=timezone.now(),
        recorded_by=by,
    )
    weight.full_clean()
    weight.save()
    audit_record(
        action=AuditAction.CREATE,
        actor=by,
        object_type="weight",
        object_id=weight.pk,
        patient_id=patient.pk,
        detail={
            "weight_kg": str(weight.weight_kg),
            "entered": f"{value} {unit}",
            "measured_on": measured_on.isoformat(),
        },
    )
    return weight


@transaction.atomic
def weight_mark_entered_in_error(
    *, weight: WeightMeasurement, reason: str, by: User | None
) -> WeightMeasurement:
    """Retract a weight recorded by mistake; dosing falls back to the one before."""
    mark_entered_in_error(
        item=weight, patient=weight.patient, object_type="weight", reason=reason, by=by
    )
    return weight
