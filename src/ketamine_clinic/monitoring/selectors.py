"""Reads of what devices sent. Each read of patient data is audited by its caller's path."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.monitoring.models import (
    Device,
    NumericSet,
    PumpProgramSent,
    Reading,
    unpack_numerics,
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
    sets = NumericSet.objects.all()
    if filters.device:
        sets = sets.filter(device_eui64=filters.device.upper())
    if filters.since is not None:
        sets = sets.filter(observed_at__gte=filters.since)  # its newest at or after
    if filters.visit_id is not None:
        sets = sets.filter(visit_id=filters.visit_id)
    result = [
        {
            "code": reading.code,
            "name": reading.name,
            "value": float(reading.value) if reading.value is not None else None,
            "valid": reading.value is not None,
            "raw_value": reading.raw_value,
            "unit": reading.unit,
            "device": device,
            "observed_at": reading.observed_at.isoformat(),
            "visit": visit_id,
            "room": room,
            "mapped_from": reading.mapped_from or None,
        }
        for reading, device, visit_id, room in _first_readings(sets, filters.since, filters.limit)
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


_Placed = tuple[Reading, str, int | None, str | None]
_SETS_BETWEEN_CHECKS = 1000


def _first_readings(
    sets: QuerySet[NumericSet], since: datetime | None, limit: int
) -> list[_Placed]:
    """The first ``limit`` readings of ``sets`` at or after ``since``, each with its
    device, visit and room name, in time order then storage order (the order of the
    one-row-per-numeric table this replaced).

    Sets are read oldest first by their oldest reading: once ``limit`` readings are
    older than the next set's oldest, no later set can hold one before them, so a long
    history is not read past the page asked for."""
    found: list[tuple[tuple[datetime, int, int], _Placed]] = []
    rows = sets.order_by("first_observed_at", "id").values_list(
        "id", "observed_at", "first_observed_at", "numerics", "device_eui64", "visit_id",
        "room__name",
    )  # fmt: skip
    for n, (pk, set_at, first_at, packed, device, visit_id, room) in enumerate(
        rows.iterator(chunk_size=2000)
    ):
        if len(found) >= limit and n % _SETS_BETWEEN_CHECKS == 0:
            found.sort(key=lambda item: item[0])
            if found[limit - 1][0][0] < first_at:
                break
        for index, reading in enumerate(unpack_numerics(packed, set_at)):
            if since is None or reading.observed_at >= since:
                found.append(((reading.observed_at, pk, index), (reading, device, visit_id, room)))
    found.sort(key=lambda item: item[0])
    return [placed for _key, placed in found[:limit]]


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
