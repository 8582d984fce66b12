"""Which technical condition a device's own alert (PCD-04) or pump event (PCD-10) reports.

The monitoring app reads a device's ``AlertReport``/``PumpEventReport`` (``devices.pcd``)
and calls ``AlarmEngine.technical`` with the kind this returns; alerts with ``None`` are
the device's physiological alarms, stored but not re-decided (the engine decides those
from the numerics, with the clinic's limits). Matched by MDC name: the codes of these
events are marked ``verify`` in ``devices/pcd_build.py``, the names are what vendors keep.
"""

from __future__ import annotations

from typing import Final

from ketamine_clinic.alarms.enums import TechnicalKind
from ketamine_clinic.devices import mdc

_BY_NAME: Final[dict[str, TechnicalKind]] = {
    "MDC_EVT_PUMP_OCCL": TechnicalKind.PUMP_OCCLUSION,
    "MDC_EVT_PUMP_EMPTY": TechnicalKind.PUMP_EMPTY,
    "MDC_EVT_PUMP_DELIV_NEAR_END": TechnicalKind.PUMP_NEAR_END,
    "MDC_EVT_PUMP_NEAR_EMPTY": TechnicalKind.PUMP_NEAR_END,
    "MDC_EVT_LEAD_OFF": TechnicalKind.LEAD_OFF,
    "MDC_EVT_CUFF_ERR": TechnicalKind.CUFF_ERROR,  # verify: not in the reference
}
# A "lead off" from the oximeter is its probe: the words a nurse needs differ.
_PROBE_SOURCES: Final[frozenset[int]] = frozenset({mdc.SPO2.code, mdc.PULSE_RATE_OXIMETER.code})


def technical_kind(event_name: str, source_code: int | None = None) -> TechnicalKind | None:
    """The technical condition ``event_name`` reports (``source_code``: the metric it is
    about, e.g. SpO2 for a probe off), or ``None`` when it is not a technical condition."""
    kind = _BY_NAME.get(event_name.strip().upper())
    if kind is TechnicalKind.LEAD_OFF and source_code in _PROBE_SOURCES:
        return TechnicalKind.SENSOR_OFF
    return kind
