"""The words the alarm engine and its records share."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Priority(StrEnum):
    """IEC 60601-1-8 alarm priorities (reference/devices.md, "Alarm systems").

    high: immediate response, risk of death or irreversible injury; medium: prompt response,
    reversible injury; low: awareness. The standard assigns no clinical condition to a
    priority: that is this clinic's configuration (``limits``, ``policy``).
    The values match ``devices.pcd.Priority`` so a device's own alert and ours compare.
    """

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# Higher outranks lower: the priority of a condition is that of its worst breached limit.
PRIORITY_RANK: Final[dict[Priority, int]] = {Priority.LOW: 1, Priority.MEDIUM: 2, Priority.HIGH: 3}


class Side(StrEnum):
    """Which side of a limit a value breaches: ``low`` is value < limit, ``high`` value > limit."""

    LOW = "low"
    HIGH = "high"


class AlarmKind(StrEnum):
    """IEC 60601-1-8 sources, as PCD-04 OBX-8 names them (SP / ST / SA)."""

    PHYSIOLOGICAL = "physiological"
    TECHNICAL = "technical"
    ADVISORY = "advisory"


class AlarmChange(StrEnum):
    """Why an ``AlarmUpdated``: what a record of the alarm's course needs to show."""

    PRIORITY_RAISED = "priority_raised"  # a worse tier lasted its delay (it sounds again)
    WORSE_VALUE = "worse_value"  # a new worst value (the nadir of a desaturation)
    CONDITION_BACK = "condition_back"  # a latched alarm's condition returned


class TechnicalKind(StrEnum):
    """Technical conditions: reported by a device, or found by the engine (no data, invalid)."""

    SENSOR_OFF = "sensor_off"
    LEAD_OFF = "lead_off"
    CUFF_ERROR = "cuff_error"
    PUMP_OCCLUSION = "pump_occlusion"
    PUMP_NEAR_END = "pump_near_end"
    PUMP_EMPTY = "pump_empty"
    # Found by the engine itself from what did (not) arrive:
    NO_DATA = "no_data"
    INVALID_VALUE = "invalid_value"


# The conditions a device reports through ``AlarmEngine.technical`` (the other two are ours).
DEVICE_REPORTED: Final[frozenset[TechnicalKind]] = frozenset(
    {
        TechnicalKind.SENSOR_OFF,
        TechnicalKind.LEAD_OFF,
        TechnicalKind.CUFF_ERROR,
        TechnicalKind.PUMP_OCCLUSION,
        TechnicalKind.PUMP_NEAR_END,
        TechnicalKind.PUMP_EMPTY,
    }
)


class ProposedAction(StrEnum):
    """What a ketamine advisory proposes (reference/clinical.md, configurable defaults)."""

    LOWER_OR_PAUSE_RATE = "lower_or_pause_rate"
    STIMULATE_AND_OXYGEN = "stimulate_and_oxygen"
    STOP_INFUSION = "stop_infusion"


class InterlockCommand(StrEnum):
    """What the interlock asks of the pump (sent by the clinic as PCD-03)."""

    PAUSE_PUMP = "pause_pump"


class EscalationTier(StrEnum):
    """Who hears an unacknowledged high-priority alarm (IHE ACM escalation, tiers 1-3)."""

    ROOM_NURSE = "room_nurse"
    ALL_STATIONS = "all_stations"  # every station and the charge nurse
    PRESCRIBER = "prescriber"


# Tier number -> who (tier 1 is where every alarm starts).
TIERS: Final[dict[int, EscalationTier]] = {
    1: EscalationTier.ROOM_NURSE,
    2: EscalationTier.ALL_STATIONS,
    3: EscalationTier.PRESCRIBER,
}
