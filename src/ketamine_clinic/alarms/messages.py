"""What a nurse reads: the words of each alarm, and the names of conditions."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from typing import Final

from ketamine_clinic.alarms.enums import Priority, Side, TechnicalKind
from ketamine_clinic.alarms.limits import label
from ketamine_clinic.devices import mdc

TECHNICAL_MESSAGES: Final[dict[TechnicalKind, str]] = {
    TechnicalKind.SENSOR_OFF: "Sensor off: check the probe",
    TechnicalKind.LEAD_OFF: "ECG lead off: check the electrodes",
    TechnicalKind.CUFF_ERROR: "NIBP cuff error: check the cuff and repeat the reading",
    TechnicalKind.PUMP_OCCLUSION: "Pump occlusion: the infusion has stopped, check the line",
    TechnicalKind.PUMP_NEAR_END: "Syringe near end: prepare the next step",
    TechnicalKind.PUMP_EMPTY: "Syringe empty: the infusion has stopped",
}
# What to check when a parameter's values are invalid.
CHECK: Final[dict[int, str]] = {
    mdc.HEART_RATE.code: "check the ECG leads",
    mdc.SPO2.code: "check the probe",
    mdc.PULSE_RATE_OXIMETER.code: "check the probe",
    mdc.NIBP_SYSTOLIC.code: "check the cuff",
    mdc.NIBP_DIASTOLIC.code: "check the cuff",
    mdc.NIBP_MEAN.code: "check the cuff",
    mdc.NIBP.code: "check the cuff",
    mdc.RESP_RATE.code: "check the sensor",
    mdc.TEMPERATURE.code: "check the probe",
}

# Parameters that fail together: one cuff reading gives systolic, diastolic and mean, so an
# invalid reading is one technical alarm ("NIBP invalid"), not three.
INVALID_GROUP: Final[dict[int, int]] = {
    mdc.NIBP_SYSTOLIC.code: mdc.NIBP.code,
    mdc.NIBP_DIASTOLIC.code: mdc.NIBP.code,
    mdc.NIBP_MEAN.code: mdc.NIBP.code,
}


def physiological_message(
    code: int, side: Side, value: Decimal, threshold: Decimal, priority: Priority
) -> str:
    """``SpO2 84 %: below 85 (high priority)``: what, how far, how urgent."""
    name = label(code)
    unit = f" {name.unit}" if name.unit else ""
    where = "below" if side is Side.LOW else "above"
    return f"{name.short} {value}{unit}: {where} {threshold} ({priority} priority)"


@cache
def no_data_condition(code: int) -> str:
    """Cached: the gateway looks it up for every numeric."""
    return f"{TechnicalKind.NO_DATA}:{_term_name(code)}"


@cache
def invalid_condition(code: int) -> str:
    return f"{TechnicalKind.INVALID_VALUE}:{_term_name(code)}"


def _term_name(code: int) -> str:
    term = mdc.KNOWN_NUMERICS.get(code) or (mdc.NIBP if code == mdc.NIBP.code else None)
    return term.name if term is not None else str(code)


def no_data_message(code: int, seconds: int) -> str:
    return f"No {label(code).short} data for {seconds} s: check the monitor and its connection"


def invalid_message(code: int) -> str:
    return f"{label(code).short} invalid: {CHECK.get(code, 'check the sensor')}"
