"""What the live views are told, and to which group: the contract between the gateway
process (which publishes after each commit) and the room and station pages.

Groups on the channel layer (in-memory in one process, Redis across processes):
``monitor-room-<room id>`` gets everything about that room (numerics, waveforms, pump,
alarms); ``monitor-station`` gets everything but waveforms, for the central station.
``monitor-engine`` carries staff responses (acknowledge, silence) to the alarm engine.

Every payload is plain JSON (``kind`` says which); numbers are floats, an invalid value
is ``null`` (shown as invalid, never 0), times are ISO 8601 in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final, TypedDict

from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.pcd import DeviceReport

STATION_GROUP: Final = "monitor-station"
ENGINE_GROUP: Final = "monitor-engine"
# The consumer method a group message is dispatched to ("monitor.update" -> monitor_update).
UPDATE_TYPE: Final = "monitor.update"
ENGINE_COMMAND_TYPE: Final = "engine.command"


def room_group(room_id: int) -> str:
    return f"monitor-room-{room_id}"


# Short labels a nurse reads on a monitor, and the unit as printed.
LABELS: Final[dict[int, tuple[str, str]]] = {
    mdc.HEART_RATE.code: ("HR", "/min"),
    mdc.SPO2.code: ("SpO2", "%"),
    mdc.PULSE_RATE_OXIMETER.code: ("PR", "/min"),
    mdc.PULSE_RATE_NIBP.code: ("PR (cuff)", "/min"),
    mdc.NIBP_SYSTOLIC.code: ("NIBP sys", "mmHg"),
    mdc.NIBP_DIASTOLIC.code: ("NIBP dia", "mmHg"),
    mdc.NIBP_MEAN.code: ("NIBP mean", "mmHg"),
    mdc.RESP_RATE.code: ("RR", "/min"),
    mdc.TEMPERATURE.code: ("Temp", "°C"),
    mdc.PLETH.code: ("Pleth", ""),
    mdc.ECG_LEAD_II.code: ("ECG II", "mV"),
}
PUMP_CODES: Final = frozenset(
    {
        mdc.PUMP_RATE.code,
        mdc.PUMP_VOLUME_DELIVERED.code,
        mdc.PUMP_VOLUME_REMAINING.code,
        mdc.PUMP_DOSE_DELIVERED.code,
    }
)


class GroupMessage(TypedDict):
    type: str
    data: dict[str, Any]


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def numerics_payload(room_id: int, report: DeviceReport) -> dict[str, Any] | None:
    values = [
        {
            "code": n.code,
            "label": LABELS.get(n.code, (n.name, n.unit))[0],
            "value": _number(n.value),
            "unit": LABELS.get(n.code, (n.name, n.unit))[1],
            "at": _iso(n.observed_at),
        }
        for n in report.numerics
        if n.code not in PUMP_CODES
    ]
    if not values:
        return None
    return {"kind": "numerics", "room": room_id, "at": _iso(report.sent_at), "values": values}


def pump_payload(room_id: int, report: DeviceReport) -> dict[str, Any] | None:
    """The pump's totals, from a PCD-10 event or the pump's own PCD-01 numerics."""
    if report.pump_events:
        event = report.pump_events[-1]
        return {
            "kind": "pump",
            "room": room_id,
            "at": _iso(event.at),
            "event": event.event_name,
            "rate_ml_per_h": _number(event.rate_ml_per_h),
            "volume_delivered_ml": _number(event.volume_delivered_ml),
            "volume_remaining_ml": _number(event.volume_remaining_ml),
            "dose_delivered_mg": _number(event.dose_delivered_mg),
        }
    values = {n.code: n.value for n in report.numerics if n.code in PUMP_CODES}
    if not values:
        return None
    return {
        "kind": "pump",
        "room": room_id,
        "at": _iso(report.sent_at),
        "event": None,
        "rate_ml_per_h": _number(values.get(mdc.PUMP_RATE.code)),
        "volume_delivered_ml": _number(values.get(mdc.PUMP_VOLUME_DELIVERED.code)),
        "volume_remaining_ml": _number(values.get(mdc.PUMP_VOLUME_REMAINING.code)),
        "dose_delivered_mg": _number(values.get(mdc.PUMP_DOSE_DELIVERED.code)),
    }


def wave_payloads(room_id: int, report: DeviceReport) -> list[dict[str, Any]]:
    return [
        {
            "kind": "wave",
            "room": room_id,
            "code": w.code,
            "label": LABELS.get(w.code, (w.name, w.unit))[0],
            "start": _iso(w.start_at),
            "rate_hz": w.sample_rate_hz,
            "samples": list(w.samples),
        }
        for w in report.waveforms
    ]


def report_messages(room_id: int, report: DeviceReport) -> list[tuple[str, GroupMessage]]:
    """(group, message) pairs for one stored report of a device in ``room_id``."""
    out: list[tuple[str, GroupMessage]] = []
    room = room_group(room_id)
    for payload in (numerics_payload(room_id, report), pump_payload(room_id, report)):
        if payload is not None:
            message: GroupMessage = {"type": UPDATE_TYPE, "data": payload}
            out.append((room, message))
            out.append((STATION_GROUP, message))
    out.extend((room, {"type": UPDATE_TYPE, "data": p}) for p in wave_payloads(room_id, report))
    return out


class AlarmView(TypedDict):
    """One active alarm as the pages show it."""

    id: str
    priority: str  # high, medium, low, advisory
    kind: str  # physiological, technical, advisory
    message: str
    since: str
    audible: bool
    acknowledged: bool
    silenced_until: str | None
    tier: int


def alarms_message(room_id: int, active: Iterable[AlarmView]) -> GroupMessage:
    """The room's whole active-alarm list (idempotent: a page just replaces its own)."""
    return {
        "type": UPDATE_TYPE,
        "data": {"kind": "alarms", "room": room_id, "active": list(active)},
    }


def alarm_groups(room_id: int) -> Sequence[str]:
    return (room_group(room_id), STATION_GROUP)
