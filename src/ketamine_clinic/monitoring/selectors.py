"""Reads of what devices sent. Each read of patient data is audited by its caller's path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.monitoring.models import (
    Device,
    Observation,
    PumpProgramSent,
)
from ketamine_clinic.monitoring.page_selectors import latest_pump
from ketamine_clinic.monitoring.pump_programs import room_pump
from ketamine_clinic.visits.models import Visit

# One command's output; a longer history is read page by page with --since.
OBSERVATIONS_MAX_ROWS = 100_000


@dataclass(frozen=True, slots=True)
class ObservationFilter:
    device: str = ""
    since: datetime | None = None
    visit_id: int | None = None
    limit: int = OBSERVATIONS_MAX_ROWS


def observations_list(filters: ObservationFilter, *, by: User | None) -> list[dict[str, Any]]:
    """Stored numeric observations, oldest first, as plain dicts (the JSON the CLI prints).

    ``value`` is None for an invalid measurement (``raw_value`` says what the device sent);
    ``visit`` is None for data no visit was running for (unassigned). The read is audited
    with the filter and the visits it returned.
    """
    rows = Observation.objects.all()
    if filters.device:
        rows = rows.filter(device_eui64=filters.device.upper())
    if filters.since is not None:
        rows = rows.filter(observed_at__gte=filters.since)
    if filters.visit_id is not None:
        rows = rows.filter(visit_id=filters.visit_id)
    values = rows.order_by("observed_at", "id").values(
        "code", "name", "value", "raw_value", "unit", "device_eui64", "observed_at",
        "visit_id", "room__name", "mapped_from",
    )[: filters.limit]  # fmt: skip
    result = [
        {
            "code": row["code"],
            "name": row["name"],
            "value": float(row["value"]) if row["value"] is not None else None,
            "valid": row["value"] is not None,
            "raw_value": row["raw_value"],
            "unit": row["unit"],
            "device": row["device_eui64"],
            "observed_at": row["observed_at"].isoformat(),
            "visit": row["visit_id"],
            "room": row["room__name"],
            "mapped_from": row["mapped_from"] or None,
        }
        for row in values
    ]
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="device_observations",
        detail={
            "device": filters.device,
            "since": filters.since.isoformat() if filters.since else None,
            "visit": filters.visit_id,
            "count": len(result),
            "visit_ids": sorted({r["visit"] for r in result if r["visit"] is not None}),
        },
    )
    return result


@dataclass(frozen=True, slots=True)
class BedsidePump:
    """The room's registered pump as the room page shows it: what the clinic last sent it,
    what it answered, and the totals it last reported itself."""

    device: Device
    last_sent: PumpProgramSent | None
    reported: dict[str, Any] | None  # the pump's latest totals (the live view's payload)
    reported_at: datetime | None
    can_send: bool  # an endpoint is registered


def bedside_pump(visit: Visit) -> BedsidePump | None:
    """None when the visit has no room or its room has no pump registered.

    Read with the room page, whose read of the visit is already audited."""
    if visit.room_id is None:
        return None
    device = room_pump(visit.room_id)
    if device is None:
        return None
    last_sent = (
        PumpProgramSent.objects.filter(device=device, visit=visit)
        .order_by("-sent_at", "-id")
        .first()
    )
    reported = latest_pump(visit, visit.room_id)
    at = reported.get("at") if reported else None
    return BedsidePump(
        device,
        last_sent,
        reported,
        datetime.fromisoformat(at) if isinstance(at, str) else None,
        bool(device.program_endpoint),
    )
