"""A device's alert or pump event read as the technical condition the engine takes."""

from __future__ import annotations

import pytest

from ketamine_clinic.alarms.device_events import technical_kind
from ketamine_clinic.alarms.enums import TechnicalKind
from ketamine_clinic.devices import mdc


@pytest.mark.parametrize(
    ("name", "source", "kind"),
    [
        ("MDC_EVT_PUMP_OCCL", None, TechnicalKind.PUMP_OCCLUSION),
        ("MDC_EVT_PUMP_EMPTY", None, TechnicalKind.PUMP_EMPTY),
        ("MDC_EVT_PUMP_DELIV_NEAR_END", None, TechnicalKind.PUMP_NEAR_END),
        ("MDC_EVT_PUMP_NEAR_EMPTY", None, TechnicalKind.PUMP_NEAR_END),
        ("MDC_EVT_LEAD_OFF", mdc.HEART_RATE.code, TechnicalKind.LEAD_OFF),
        ("MDC_EVT_LEAD_OFF", mdc.SPO2.code, TechnicalKind.SENSOR_OFF),
        ("mdc_evt_pump_occl ", None, TechnicalKind.PUMP_OCCLUSION),
        ("MDC_EVT_HI", mdc.SPO2.code, None),  # a physiological alarm: the engine decides those
        ("MDC_EVT_PUMP_DELIV_START", None, None),
    ],
)
def test_device_events_map_to_technical_conditions(
    name: str, source: int | None, kind: TechnicalKind | None
) -> None:
    assert technical_kind(name, source) is kind
