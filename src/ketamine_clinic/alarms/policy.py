"""The clinic's alarm timings and switches that are not a parameter's limits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from ketamine_clinic.alarms.enums import Priority, TechnicalKind
from ketamine_clinic.alarms.limits import AlarmLimitsInvalid
from ketamine_clinic.devices import mdc

# No data for this long is a technical alarm. 10 s for numerics a monitor sends every
# second (reference/devices.md lists "no data from the device" as a technical alarm; the
# time is ours, the same as the shortest SpO2 condition delay: verify). NIBP is absent on
# purpose: it comes every 3-5 min. Temperature often comes every few seconds: 60 s (verify).
DEFAULT_NO_DATA_S: Final[MappingProxyType[int, int]] = MappingProxyType(
    {
        mdc.HEART_RATE.code: 10,
        mdc.SPO2.code: 10,
        mdc.PULSE_RATE_OXIMETER.code: 10,
        mdc.RESP_RATE.code: 10,
        mdc.TEMPERATURE.code: 60,
    }
)

# Technical alarm priorities: IEC 60601-1-8 leaves them to the system (reference/devices.md).
# Ours (verify): losing a vital sign's data is medium (the desaturation alarm is blind);
# a stopped ketamine infusion (occlusion, empty) is medium (under-dosing is reversible);
# near end and a cuff error are low (awareness: a new syringe, a repeated reading).
DEFAULT_TECHNICAL_PRIORITY: Final[MappingProxyType[TechnicalKind, Priority]] = MappingProxyType(
    {
        TechnicalKind.SENSOR_OFF: Priority.MEDIUM,
        TechnicalKind.LEAD_OFF: Priority.MEDIUM,
        TechnicalKind.NO_DATA: Priority.MEDIUM,
        TechnicalKind.INVALID_VALUE: Priority.MEDIUM,
        TechnicalKind.PUMP_OCCLUSION: Priority.MEDIUM,
        TechnicalKind.PUMP_EMPTY: Priority.MEDIUM,
        TechnicalKind.PUMP_NEAR_END: Priority.LOW,
        TechnicalKind.CUFF_ERROR: Priority.LOW,
    }
)


@dataclass(frozen=True, slots=True)
class AlarmPolicy:
    """Timings for technical alarms, escalation and silence, and the interlock switch.

    ``interlock_enabled`` is off by default: pausing a pump on an alarm is a clinical
    decision the clinic takes deliberately (issue: "an interlock the clinic may switch on").
    """

    no_data_s: Mapping[int, int] = field(default_factory=lambda: DEFAULT_NO_DATA_S)
    # An invalid value for 10 s is a technical alarm ("SpO2 invalid: check the probe");
    # ours, the same as no data (verify).
    invalid_s: int = 10
    # A high-priority alarm not acknowledged within 30 s goes to the next tier (IHE ACM
    # escalation, reference/devices.md; the time is ours: verify).
    escalation_after_s: int = 30
    # Audio paused for at most 120 s (a common monitor maximum; verify): a silence must
    # end by itself, or a silenced alarm is an alarm switched off.
    max_silence_s: int = 120
    technical_priority: Mapping[TechnicalKind, Priority] = field(
        default_factory=lambda: DEFAULT_TECHNICAL_PRIORITY
    )
    interlock_enabled: bool = False
    # Technical alarms latch like physiological ones would: no (they end with the device's
    # report); kept as a field so a clinic can choose.
    technical_latching: bool = False

    def __post_init__(self) -> None:
        for name in ("invalid_s", "escalation_after_s", "max_silence_s"):
            if getattr(self, name) <= 0:
                raise AlarmLimitsInvalid(
                    f"AlarmPolicy.{name}", "must be a positive number of seconds"
                )
        for code, seconds in self.no_data_s.items():
            if seconds <= 0:
                raise AlarmLimitsInvalid(
                    f"AlarmPolicy.no_data_s[{code}]", "must be a positive number of seconds"
                )
        missing = set(TechnicalKind) - set(self.technical_priority)
        if missing:
            raise AlarmLimitsInvalid(
                "AlarmPolicy.technical_priority",
                f"no priority for {', '.join(sorted(missing))}",
            )
