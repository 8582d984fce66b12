"""Reads for the monitoring pages: what a page shows before its socket takes over.

Each page's first state is given in the live payloads' own shapes (``live.py``), so the
page's script treats it exactly like what arrives later on the socket: one code path,
and the page cannot draw the first state differently from the next. Every read of
patient data leaves one READ entry in the audit trail naming the visits and patients
shown, as the clinic-day pages do (``clinicday.selectors``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from django.db.models import Prefetch
from django.utils import timezone

from ketamine_clinic.accounts.models import User
from ketamine_clinic.audit.enums import AuditAction
from ketamine_clinic.audit.services import audit_record
from ketamine_clinic.booking.models import Room
from ketamine_clinic.devices import mdc
from ketamine_clinic.infusion.selectors import InfusionStatus, infusion_status
from ketamine_clinic.monitoring.live import LABELS, AlarmView
from ketamine_clinic.monitoring.models import (
    Alarm,
    AlarmEvent,
    AlarmPriority,
    AlarmState,
    NumericSet,
    PumpReport,
    Reading,
    WaveformChunk,
)
from ketamine_clinic.monitoring.storage import decode_samples
from ketamine_clinic.patients.models import Patient
from ketamine_clinic.visits.models import Visit

# The numerics a monitor page shows, in the order a nurse reads them.
SHOWN_NUMERICS: Final = (
    mdc.HEART_RATE.code,
    mdc.SPO2.code,
    mdc.PULSE_RATE_OXIMETER.code,
    mdc.NIBP_SYSTOLIC.code,
    mdc.NIBP_DIASTOLIC.code,
    mdc.NIBP_MEAN.code,
    mdc.RESP_RATE.code,
    mdc.TEMPERATURE.code,
)
# The visit's trends: two hours (a whole infusion and its recovery) at one point a
# minute, the resolution of a paper anaesthesia record.
TREND_CODES: Final = (
    mdc.HEART_RATE.code,
    mdc.SPO2.code,
    mdc.NIBP_SYSTOLIC.code,
    mdc.NIBP_DIASTOLIC.code,
    mdc.RESP_RATE.code,
)
TREND_WINDOW: Final = timedelta(hours=2)
TREND_STEP_S: Final = 60
# The waveforms the room page draws, and how much it is given to start with.
WAVE_CODES: Final = (mdc.ECG_LEAD_II.code, mdc.PLETH.code)
WAVE_HISTORY: Final = timedelta(seconds=10)
# Alarm history: newest first, one page.
HISTORY_MAX_ROWS: Final = 200
PRIORITY_ORDER: Final = {
    AlarmPriority.HIGH: 0,
    AlarmPriority.MEDIUM: 1,
    AlarmPriority.LOW: 2,
    AlarmPriority.ADVISORY: 3,
}
LIVE_STATES: Final = (AlarmState.ACTIVE, AlarmState.CLEARED)


def initials(patient: Patient) -> str:
    """ "A.B." from the name staff use: enough to tell two rooms' patients apart.

    Wall screens show initials and the visit label only: a central station is seen by
    whoever walks past (other patients, escorts), and a full name there would disclose
    who is having ketamine treatment (minimum necessary).
    """
    first = (patient.preferred_name or patient.legal_first_name).strip()[:1]
    last = patient.legal_last_name.strip()[:1]
    return ".".join(part.upper() for part in (first, last) if part) + "."


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def latest_readings(visit: Visit, codes: Iterable[int]) -> dict[int, Reading]:
    """The visit's newest reading of each of ``codes`` that it has.

    The visit's newest set first: a code in it at the set's own time is the newest of
    that code (no set is newer, and of equal sets this is the last stored), so the usual
    page (every numeric sent every second) costs one query and one unpack; the other
    codes each go through ``latest_reading``."""
    found: dict[int, Reading] = {}
    newest = NumericSet.objects.filter(visit=visit).order_by("-observed_at", "-id").first()
    wanted = list(codes)
    if newest is not None:
        for reading in newest.readings():
            if reading.code in wanted and reading.observed_at == newest.observed_at:
                found[reading.code] = reading  # the last of a repeated code wins
    for code in wanted:
        if code not in found:
            older = latest_reading(visit, code)
            if older is not None:
                found[code] = older
    return found


def latest_reading(visit: Visit, code: int) -> Reading | None:
    """The visit's newest reading of ``code`` (newest by its own time, then as stored).

    The newest set holding the code, found through the (visit, time) index with the
    ``codes`` column filtered in the database; its reading of the code is the newest
    unless that reading is older than its set (NIBP measured before it was sent): then a
    set stored between the two times may hold a newer one, and those few are read too.
    """
    holding = NumericSet.objects.filter(visit=visit, codes__contains=f",{code},").only(
        "id", "observed_at", "numerics"
    )
    newest = holding.order_by("-observed_at", "-id").first()
    if newest is None:
        return None
    best = _reading_of(newest, code)
    if best[0].observed_at < newest.observed_at:
        for other in holding.filter(observed_at__gt=best[0].observed_at).exclude(pk=newest.pk):
            found = _reading_of(other, code)
            if (found[0].observed_at, found[1]) > (best[0].observed_at, best[1]):
                best = found
    return best[0]


def _reading_of(numeric_set: NumericSet, code: int) -> tuple[Reading, tuple[int, int]]:
    """The last reading of ``code`` in ``numeric_set``, with its place in storage order."""
    readings = numeric_set.readings()
    index = max(i for i, r in enumerate(readings) if r.code == code)
    return readings[index], (numeric_set.pk, index)


def current_visits(rooms: Iterable[Room]) -> dict[int, Visit]:
    """The visit in each room: checked in, not yet discharged or ended (the storage's
    rule for which visit a device's data belongs to). Latest check-in wins."""
    room_ids = [room.pk for room in rooms]
    visits = (
        Visit.objects.filter(
            room_id__in=room_ids,
            checked_in_at__isnull=False,
            discharged_at__isnull=True,
            ended_at__isnull=True,
        )
        .select_related("patient", "course")
        .order_by("checked_in_at", "id")
    )
    return {visit.room_id: visit for visit in visits if visit.room_id is not None}


def alarm_view(alarm: Alarm, *, now: datetime) -> AlarmView:
    """An alarm in the live contract's shape. Audible: not acknowledged, not paused."""
    silenced = alarm.silenced_until is not None and alarm.silenced_until > now
    acknowledged = alarm.acknowledged_at is not None
    return {
        "id": alarm.alarm_id,
        "priority": alarm.priority,
        "kind": alarm.kind,
        "message": alarm.message,
        "since": alarm.raised_at.isoformat(),
        "audible": not acknowledged and not silenced,
        "acknowledged": acknowledged,
        "silenced_until": _iso(alarm.silenced_until) if silenced else None,
        "tier": alarm.escalation_tier,
    }


def active_alarms(room_ids: Sequence[int], *, now: datetime) -> dict[int, list[AlarmView]]:
    """Each room's alarms not yet ended (latched ones included), worst first."""
    rows = Alarm.objects.filter(room_id__in=room_ids, state__in=LIVE_STATES)
    ordered = sorted(
        rows, key=lambda a: (PRIORITY_ORDER.get(AlarmPriority(a.priority), 9), a.raised_at)
    )
    out: dict[int, list[AlarmView]] = {room_id: [] for room_id in room_ids}
    for alarm in ordered:
        out[alarm.room_id].append(alarm_view(alarm, now=now))
    return out


def alarms_payload(room_id: int, alarms: list[AlarmView]) -> dict[str, Any]:
    return {"kind": "alarms", "room": room_id, "active": alarms}


def latest_numerics(visit: Visit | None, room_id: int) -> dict[str, Any] | None:
    """The newest value of each shown numeric for the visit, as a ``numerics`` payload.

    The newest set, then one or two indexed queries for each code not in it
    (``latest_readings``): cheap, and right however often each parameter is measured
    (NIBP every few minutes, HR every second).
    """
    if visit is None:
        return None
    values: list[dict[str, Any]] = []
    newest: datetime | None = None
    latest = latest_readings(visit, SHOWN_NUMERICS)
    for code in SHOWN_NUMERICS:
        reading = latest.get(code)
        if reading is None:
            continue
        label, unit = LABELS.get(code, (str(code), reading.unit))
        values.append(
            {
                "code": code,
                "label": label,
                "value": _number(reading.value),
                "unit": unit,
                "at": reading.observed_at.isoformat(),
            }
        )
        at = reading.observed_at
        newest = at if newest is None else max(newest, at)
    if not values or newest is None:
        return None
    return {"kind": "numerics", "room": room_id, "at": newest.isoformat(), "values": values}


_PUMP_NUMERICS: Final = {
    mdc.PUMP_RATE.code: "rate_ml_per_h",
    mdc.PUMP_VOLUME_DELIVERED.code: "volume_delivered_ml",
    mdc.PUMP_VOLUME_REMAINING.code: "volume_remaining_ml",
    mdc.PUMP_DOSE_DELIVERED.code: "dose_delivered_mg",
}


def latest_pump(visit: Visit | None, room_id: int) -> dict[str, Any] | None:
    """The pump's latest totals as a ``pump`` payload: its last PCD-10 event, with any
    newer PCD-01 pump numeric taking that number's place."""
    if visit is None:
        return None
    report = PumpReport.objects.filter(visit=visit).order_by("-at", "-id").first()
    payload: dict[str, Any] = {
        "kind": "pump",
        "room": room_id,
        "at": None,
        "event": None,
        "rate_ml_per_h": None,
        "volume_delivered_ml": None,
        "volume_remaining_ml": None,
        "dose_delivered_mg": None,
    }
    found = False
    if report is not None:
        found = True
        payload.update(
            at=report.at.isoformat(),
            event=report.event_name,
            rate_ml_per_h=_number(report.rate_ml_per_h),
            volume_delivered_ml=_number(report.volume_delivered_ml),
            volume_remaining_ml=_number(report.volume_remaining_ml),
            dose_delivered_mg=_number(report.dose_delivered_mg),
        )
    latest = latest_readings(visit, _PUMP_NUMERICS)
    for code, key in _PUMP_NUMERICS.items():
        reading = latest.get(code)
        if reading is None or (report is not None and reading.observed_at < report.at):
            continue
        found = True
        payload[key] = _number(reading.value)
        payload["at"] = max(payload["at"] or "", reading.observed_at.isoformat())
    return payload if found else None


def visit_trends(visit: Visit | None, *, now: datetime) -> dict[str, Any]:
    """HR, SpO2, NIBP and RR for the last two hours of the visit, one mean a minute.

    ``{"step_s": 60, "series": {code: {"label", "unit", "points": [[epoch ms, value]]}}}``;
    invalid values are left out of a minute's mean, and a minute with no valid value
    has no point (the plot shows a gap, never a zero).
    """
    series: dict[str, Any] = {}
    if visit is not None:
        since = now - TREND_WINDOW
        buckets: dict[int, dict[int, list[float]]] = {code: {} for code in TREND_CODES}
        sets = NumericSet.objects.filter(visit=visit, observed_at__gte=since).values_list(
            "observed_at", "numerics"
        )
        for set_at, packed in sets.iterator(chunk_size=2000):
            set_minute = int(set_at.timestamp()) // TREND_STEP_S
            for code, _name, value, _raw, _unit, at, *_rest in json.loads(packed):
                by_minute = buckets.get(code)
                if by_minute is None or value is None:
                    continue
                if at is None:
                    minute = set_minute
                else:  # its own, earlier time
                    own_at = datetime.fromisoformat(at)
                    if own_at < since:
                        continue
                    minute = int(own_at.timestamp()) // TREND_STEP_S
                by_minute.setdefault(minute, []).append(float(value))
        for code in TREND_CODES:
            label, unit = LABELS[code]
            points = [
                [minute * TREND_STEP_S * 1000, round(sum(vals) / len(vals), 2)]
                for minute, vals in sorted(buckets[code].items())
            ]
            series[str(code)] = {"label": label, "unit": unit, "points": points}
    return {"step_s": TREND_STEP_S, "window_s": int(TREND_WINDOW.total_seconds()), "series": series}


def recent_waves(room_id: int, *, now: datetime) -> list[dict[str, Any]]:
    """The room's last ten seconds of ECG and pleth as ``wave`` payloads, oldest first."""
    chunks = WaveformChunk.objects.filter(
        room_id=room_id, code__in=WAVE_CODES, start_at__gte=now - WAVE_HISTORY
    ).order_by("start_at", "id")
    return [
        {
            "kind": "wave",
            "room": room_id,
            "code": chunk.code,
            "label": LABELS.get(chunk.code, (chunk.name, chunk.unit))[0],
            "start": chunk.start_at.isoformat(),
            "rate_hz": chunk.sample_rate_hz,
            "samples": decode_samples(chunk.samples),
        }
        for chunk in chunks
    ]


@dataclass(frozen=True)
class RoomTile:
    """One room on the central station."""

    room: Room
    visit: Visit | None
    initials: str
    numerics: dict[str, Any] | None
    pump: dict[str, Any] | None
    alarms: list[AlarmView]

    def initial(self) -> dict[str, Any]:
        """What the station script starts from, for this room."""
        return {
            "room": self.room.pk,
            "numerics": self.numerics,
            "pump": self.pump,
            "alarms": alarms_payload(self.room.pk, self.alarms),
        }


def station_tiles(*, by: User, now: datetime | None = None) -> list[RoomTile]:
    """Every room in use (and any other holding a visit now), in the clinic's order."""
    moment = now or timezone.now()
    rooms = list(Room.objects.filter(in_use=True))
    visits = current_visits(Room.objects.all())
    extra = set(visits) - {room.pk for room in rooms}
    if extra:
        rooms = sorted([*rooms, *Room.objects.filter(pk__in=extra)], key=_room_order)
    alarms = active_alarms([room.pk for room in rooms], now=moment)
    tiles = [
        RoomTile(
            room=room,
            visit=visits.get(room.pk),
            initials=initials(visits[room.pk].patient) if room.pk in visits else "",
            numerics=latest_numerics(visits.get(room.pk), room.pk),
            pump=latest_pump(visits.get(room.pk), room.pk),
            alarms=alarms[room.pk],
        )
        for room in rooms
    ]
    shown = [tile.visit for tile in tiles if tile.visit is not None]
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="monitoring_station",
        detail={
            "visit_ids": [visit.pk for visit in shown],
            "patient_ids": sorted({visit.patient_id for visit in shown}),
        },
    )
    return tiles


def _room_order(room: Room) -> tuple[int, str]:
    return (room.display_order, room.name)


@dataclass(frozen=True)
class RoomLive:
    """The room live view's first state."""

    room: Room
    visit: Visit | None
    numerics: dict[str, Any] | None
    pump: dict[str, Any] | None
    alarms: list[AlarmView]
    waves: list[dict[str, Any]]
    trends: dict[str, Any]
    infusion: InfusionStatus | None
    now: datetime

    def initial(self) -> dict[str, Any]:
        return {
            "room": self.room.pk,
            "numerics": self.numerics,
            "pump": self.pump,
            "alarms": alarms_payload(self.room.pk, self.alarms),
            "waves": self.waves,
            "trends": self.trends,
        }


def room_live(*, room_id: int, by: User, now: datetime | None = None) -> RoomLive:
    """One room now: its visit, numerics, pump, predicted Cp, alarms, trends and the
    last seconds of waveform. Raises Room.DoesNotExist (nothing read, nothing audited)."""
    moment = now or timezone.now()
    room = Room.objects.get(pk=room_id)
    visit = current_visits([room]).get(room.pk)
    live = RoomLive(
        room=room,
        visit=visit,
        numerics=latest_numerics(visit, room.pk),
        pump=latest_pump(visit, room.pk),
        alarms=active_alarms([room.pk], now=moment)[room.pk],
        waves=recent_waves(room.pk, now=moment),
        trends=visit_trends(visit, now=moment),
        infusion=infusion_status(visit, now=moment) if visit is not None else None,
        now=moment,
    )
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="visit" if visit is not None else "monitoring_room",
        object_id=visit.pk if visit is not None else room.pk,
        patient_id=visit.patient_id if visit is not None else "",
        detail={"page": "monitoring_room", "room": room.pk},
    )
    return live


@dataclass(frozen=True, slots=True)
class AlarmFilter:
    room_id: int | None = None
    day: date | None = None  # the clinic's day
    priority: str = ""
    limit: int = HISTORY_MAX_ROWS


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = timezone.get_default_timezone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)


def _with_history(rows: Any) -> Any:
    return rows.select_related("room", "visit__patient", "visit__course", "acknowledged_by")


def alarm_history(filters: AlarmFilter, *, by: User) -> list[Alarm]:
    """Alarms newest first, each with its events (who responded and when); audited."""
    rows = Alarm.objects.all()
    if filters.room_id is not None:
        rows = rows.filter(room_id=filters.room_id)
    if filters.day is not None:
        start, end = _day_bounds(filters.day)
        rows = rows.filter(raised_at__gte=start, raised_at__lt=end)
    if filters.priority:
        rows = rows.filter(priority=filters.priority)
    events = Prefetch("events", queryset=AlarmEvent.objects.select_related("by"))
    alarms = list(
        _with_history(rows).prefetch_related(events).order_by("-raised_at", "-id")[: filters.limit]
    )
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="alarm_history",
        detail={
            "room": filters.room_id,
            "date": filters.day.isoformat() if filters.day else None,
            "priority": filters.priority,
            "count": len(alarms),
            "patient_ids": sorted({a.visit.patient_id for a in alarms if a.visit is not None}),
        },
    )
    return alarms


@dataclass(frozen=True)
class StripView:
    """One waveform strip, decoded: samples (None where invalid) from ``start_at``."""

    code: int
    label: str
    start_at: datetime
    sample_rate_hz: int
    samples: list[float | None] = field(repr=False)


@dataclass(frozen=True)
class AlarmDetail:
    alarm: Alarm
    events: list[AlarmEvent]
    strips: list[StripView]


def alarm_detail(*, alarm_id: str, by: User) -> AlarmDetail:
    """One alarm with its events and strips; audited. Raises Alarm.DoesNotExist."""
    alarm = _with_history(Alarm.objects.all()).get(alarm_id=alarm_id)
    events = list(alarm.events.select_related("by").order_by("at", "id"))
    strips = [
        StripView(
            code=strip.code,
            label=LABELS.get(strip.code, (strip.name, ""))[0],
            start_at=strip.start_at,
            sample_rate_hz=strip.sample_rate_hz,
            samples=decode_samples(strip.samples),
        )
        for strip in alarm.strips.order_by("code", "start_at")
    ]
    audit_record(
        action=AuditAction.READ,
        actor=by,
        object_type="alarm",
        object_id=alarm.alarm_id,
        patient_id=alarm.visit.patient_id if alarm.visit is not None else "",
        detail={"page": "monitoring_alarm"},
    )
    return AlarmDetail(alarm=alarm, events=events, strips=strips)
