"""Weights: entered in kg or lb, stored in kg with what was entered; the latest is used."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.models import AuditEntry
from ketamine_clinic.patients.models import Patient, WeightMeasurement
from ketamine_clinic.patients.selectors import latest_weight
from ketamine_clinic.patients.services._common import DATE_BEFORE_BIRTH, DATE_IN_FUTURE
from ketamine_clinic.patients.services.weights import (
    WEIGHT_DATE_REQUIRED,
    WEIGHT_NOT_A_NUMBER,
    WEIGHT_REQUIRED,
    WEIGHT_UNIT_UNKNOWN,
    weight_in_kg,
    weight_mark_entered_in_error,
    weight_record,
)
from tests.patients.factories import make_patient

NOW = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
def patient(db: None) -> Patient:
    return make_patient(born=date(1984, 3, 7))


@pytest.mark.parametrize(
    ("value", "unit", "kg"),
    [
        # 1 lb = 0.45359237 kg exactly; 154 lb = 69.85322498 kg.
        ("154", "lb", "69.85"),
        ("150", "lb", "68.04"),
        ("72.5", "kg", "72.50"),
        ("220.5", "lb", "100.02"),
    ],
)
def test_pounds_are_converted_to_kilograms_exactly(value: str, unit: str, kg: str) -> None:
    assert weight_in_kg(Decimal(value), unit) == Decimal(kg)


def test_a_weight_in_lb_is_stored_in_kg_with_what_was_entered_and_audited(
    personas: dict[str, User], patient: Patient
) -> None:
    nurse = personas["nurse"]
    with time_machine.travel(NOW, tick=False):
        weight = weight_record(
            patient=patient, value=Decimal("154"), unit="lb", measured_on=date(2026, 5, 4), by=nurse
        )

    stored = WeightMeasurement.objects.get(pk=weight.pk)
    assert (stored.weight_kg, stored.entered_value, stored.entered_unit) == (
        Decimal("69.85"),
        Decimal("154.00"),
        "lb",
    )
    assert stored.measured_by == nurse == stored.recorded_by
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="weight")
    assert entry.detail == {
        "weight_kg": "69.85",
        "entered": "154 lb",
        "measured_on": "2026-05-04",
    }
    assert entry.patient_id == str(patient.pk)


def test_the_latest_measured_weight_is_the_one_dosing_uses(
    personas: dict[str, User], patient: Patient
) -> None:
    nurse = personas["nurse"]
    with time_machine.travel(NOW, tick=False):
        newer = weight_record(
            patient=patient, value=Decimal(70), unit="kg", measured_on=date(2026, 5, 1), by=nurse
        )
        # Entered later, but measured earlier: it does not replace the newer measurement.
        weight_record(
            patient=patient, value=Decimal(75), unit="kg", measured_on=date(2026, 4, 1), by=nurse
        )
        assert latest_weight(patient=patient) == newer

        weight_mark_entered_in_error(weight=newer, reason="Scale not zeroed", by=nurse)

    latest = latest_weight(patient=patient)
    assert latest is not None and latest.weight_kg == Decimal(75)


@pytest.mark.parametrize(
    ("value", "unit", "measured_on", "field", "message"),
    [
        (None, "kg", date(2026, 5, 1), "value", WEIGHT_REQUIRED),
        (Decimal("NaN"), "kg", date(2026, 5, 1), "value", WEIGHT_NOT_A_NUMBER),
        (Decimal(70), "stone", date(2026, 5, 1), "unit", WEIGHT_UNIT_UNKNOWN),
        (
            Decimal(700),
            "kg",
            date(2026, 5, 1),
            "value",
            "700 kg is 700.00 kg, outside 25-300 kg: check the scale and the unit.",
        ),
        (
            Decimal(40),
            "lb",
            date(2026, 5, 1),
            "value",
            "40 lb is 18.14 kg, outside 25-300 kg: check the scale and the unit.",
        ),
        (Decimal(70), "kg", None, "measured_on", WEIGHT_DATE_REQUIRED),
        (Decimal(70), "kg", date(2026, 5, 5), "measured_on", DATE_IN_FUTURE),
        (Decimal(70), "kg", date(1980, 1, 1), "measured_on", DATE_BEFORE_BIRTH),
    ],
)
def test_an_implausible_weight_is_refused_by_field_and_nothing_is_written(
    personas: dict[str, User], patient: Patient, value: Decimal | None, unit: str,
    measured_on: date | None, field: str, message: str,
) -> None:  # fmt: skip
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        weight_record(
            patient=patient, value=value, unit=unit, measured_on=measured_on, by=personas["nurse"]
        )

    assert refused.value.message_dict == {field: [message]}
    assert WeightMeasurement.objects.count() == 0
