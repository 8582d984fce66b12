"""The alarm engine at work in the gateway process: fed by what was stored, told which
rooms have a patient, answering staff, writing every decision to the record and to the
live views.

- Inputs. After each commit, every stored numeric of a registered device goes to
  ``AlarmEngine.observe`` for its room, and a device's technical alerts (PCD-04) to
  ``technical``. The engine runs on the gateway's clock (the time a message was
  received), not the device's: one clock for "no data for 10 s" and for the silences.
- Rooms. Every few seconds the rooms with a visit infusing, paused or in recovery start
  being monitored (the patient is on the monitor), and rooms whose visit ended stop.
- Staff. Acknowledge and silence arrive from the web pages over the channel layer
  (``services.alarm_respond``) and go to the engine; its answer is recorded like any
  other event, with who.
- Record. Events are written in order by one thread (``Alarm`` and ``AlarmEvent``); ten
  seconds after an alarm is raised, its strip (the waveforms from 10 s before to 10 s
  after) is copied from the stored chunks and kept with it.
- Live. After each change, the room's whole active list goes to its room and the station.

An engine restart loses the engine's memory, not the record: alarms left active by a
previous run are ended on start with that reason, and new ones are raised as the data
comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import transaction
from django.db.models import Max

from ketamine_clinic.alarms.device_events import technical_kind
from ketamine_clinic.alarms.engine import AlarmEngine, AlarmInputInvalid, AlarmNotActive
from ketamine_clinic.alarms.enums import TechnicalKind
from ketamine_clinic.alarms.events import (
    AdvisoryCleared,
    AdvisoryRaised,
    AlarmAcknowledged,
    AlarmCleared,
    AlarmEnded,
    AlarmEscalated,
    AlarmEvent,
    AlarmRaised,
    AlarmSilenced,
    AlarmSilenceEnded,
    AlarmUpdated,
    AlarmView,
    InterlockAction,
)
from ketamine_clinic.alarms.limits import AlarmLimitsInvalid, ClinicAlarmLimits
from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.gateway import Inbound, Outcome, StoreResult
from ketamine_clinic.devices.pcd import AlertReport
from ketamine_clinic.monitoring import live
from ketamine_clinic.monitoring.alarm_limits import patient_limits
from ketamine_clinic.monitoring.models import (
    Alarm,
    AlarmEventKind,
    AlarmLimitAdjustment,
    AlarmState,
    AlarmStrip,
    WaveformChunk,
)
from ketamine_clinic.monitoring.publisher import RoomDirectory
from ketamine_clinic.monitoring.sqlite_writer import one_writer
from ketamine_clinic.monitoring.storage import storable
from ketamine_clinic.visits.enums import VisitState
from ketamine_clinic.visits.models import Visit

log = logging.getLogger("ketamine_clinic.monitoring.alarms")

TICK_S: Final = 1.0
# Every room's active list is sent again this often (in ticks), not only on a change.
REPUBLISH_EVERY_TICKS: Final = 5
ROOMS_REFRESH_S: Final = 3.0
STRIP_HALF_S: Final = 10  # the issue: from 10 s before to 10 s after each alarm
MONITORED_STATES: Final = (VisitState.INFUSING, VisitState.PAUSED, VisitState.RECOVERY)
# What a monitored room's monitor must send: its absence is a "no data" alarm.
EXPECTED_CODES: Final = (mdc.HEART_RATE.code, mdc.SPO2.code)

_EVENT_KIND: Final[dict[type, AlarmEventKind]] = {
    AlarmRaised: AlarmEventKind.RAISED,
    AlarmUpdated: AlarmEventKind.UPDATED,
    AlarmCleared: AlarmEventKind.CLEARED,
    AlarmAcknowledged: AlarmEventKind.ACKNOWLEDGED,
    AlarmSilenced: AlarmEventKind.SILENCED,
    AlarmSilenceEnded: AlarmEventKind.SILENCE_ENDED,
    AlarmEscalated: AlarmEventKind.ESCALATED,
    AlarmEnded: AlarmEventKind.ENDED,
    AdvisoryRaised: AlarmEventKind.RAISED,
    AdvisoryCleared: AlarmEventKind.ENDED,
    InterlockAction: AlarmEventKind.INTERLOCK,
}

InterlockHandler = Callable[[InterlockAction], Any]


def _now() -> datetime:
    return datetime.now(UTC)


def alert_technical_kind(alert: AlertReport) -> TechnicalKind | None:
    """The technical condition a device's own alert reports; its physiological alerts are
    stored but not re-decided (the engine decides those from the numerics)."""
    if alert.source != "technical":
        return None
    return technical_kind(alert.event_name, alert.source_code)


def alert_is_active(alert: AlertReport) -> bool:
    """A device alert is over when its phase says end or its state inactive."""
    return alert.phase.lower() not in {"end", "stop"} and alert.state.lower() != "inactive"


@dataclass(frozen=True, slots=True)
class AlarmInput:
    """What the alarm engine takes from one stored message. Small and picklable: a
    gateway worker process sends these to the one process that runs the engine."""

    device: str
    received_at: datetime
    numerics: tuple[tuple[int, Decimal | None], ...]
    technical: tuple[tuple[TechnicalKind, bool, str], ...]  # kind, active, source device


def alarm_inputs(items: Sequence[Inbound], results: Sequence[StoreResult]) -> list[AlarmInput]:
    """The engine's inputs from a committed batch: resends left out (seen when first
    stored), and messages with nothing for the engine (waveforms, pump events)."""
    inputs: list[AlarmInput] = []
    for item, result in zip(items, results, strict=True):
        if result.outcome is Outcome.DUPLICATE:
            continue
        report = item.report
        technical = tuple(
            (kind, alert_is_active(alert), alert.device)
            for alert in report.alerts
            if (kind := alert_technical_kind(alert)) is not None
        )
        if not report.numerics and not technical:
            continue
        numerics = tuple((numeric.code, numeric.value) for numeric in report.numerics)
        inputs.append(AlarmInput(report.device, item.received_at, numerics, technical))
    return inputs


class AlarmRuntime:
    def __init__(
        self,
        engine: AlarmEngine | None = None,
        *,
        directory: RoomDirectory | None = None,
        layer: Any = None,
        clock: Callable[[], datetime] = _now,
        interlock: InterlockHandler | None = None,
        strip_delay_s: float = STRIP_HALF_S,
        inline_writes: bool = False,
    ) -> None:
        self.engine = engine or AlarmEngine()
        self.directory = directory or RoomDirectory()
        self.clock = clock
        self.interlock = interlock
        self.strip_delay_s = strip_delay_s
        # Tests write on the thread that runs them (Django's thread-sensitive one), inside
        # their own transaction, instead of on the runtime's writer thread.
        self.inline_writes = inline_writes
        self._layer = layer
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kc-alarms")
        self._tasks: list[asyncio.Task[None]] = []
        self._lock = asyncio.Lock()
        self._visit_of_room: dict[int, int] = {}
        self._infusing: dict[int, bool] = {}
        self._limits_version: dict[int, int] = {}
        self._ticks = 0
        self._alarm_rooms: dict[str, int] = {}
        self._command_channel = ""
        self._strips: set[asyncio.Task[None]] = set()

    @property
    def layer(self) -> Any:
        if self._layer is None:
            self._layer = get_channel_layer()
        return self._layer

    # -- life ----------------------------------------------------------------------------

    async def start(self) -> None:
        await self._write(_end_stale_alarms, self.clock())
        await self.refresh_rooms()
        self._tasks = [
            asyncio.create_task(self._every(TICK_S, self.tick)),
            asyncio.create_task(self._every(ROOMS_REFRESH_S, self.refresh_rooms)),
        ]
        if self.layer is not None:
            self._command_channel = await self.layer.new_channel()
            await self.layer.group_add(live.ENGINE_GROUP, self._command_channel)
            self._tasks.append(asyncio.create_task(self._commands()))

    async def close(self) -> None:
        for task in (*self._tasks, *self._strips):
            task.cancel()
        await asyncio.gather(*self._tasks, *self._strips, return_exceptions=True)
        if self._command_channel and self.layer is not None:
            with contextlib.suppress(Exception):
                await self.layer.group_discard(live.ENGINE_GROUP, self._command_channel)
        self._writer.shutdown(wait=True)

    async def _every(self, seconds: float, step: Callable[[], Any]) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await step()
            except Exception:
                log.exception("alarm runtime step failed")

    async def _write(self, fn: Callable[..., Any], *args: Any) -> Any:
        if self.inline_writes:
            return await sync_to_async(fn)(*args)
        return await asyncio.get_running_loop().run_in_executor(self._writer, fn, *args)

    # -- inputs --------------------------------------------------------------------------

    async def after_commit(self, items: Sequence[Inbound], results: Sequence[StoreResult]) -> None:
        """The gateway's hook: each stored message's numerics and technical alerts."""
        await self.observe(alarm_inputs(items, results))

    async def observe(self, inputs: Iterable[AlarmInput]) -> None:
        """Stored data for the engine, from this process's gateway or from a gateway
        worker process (``gateway_processes``)."""
        events: list[AlarmEvent] = []
        async with self._lock:
            for entry in inputs:
                room_id = await self.directory.room_of(entry.device)
                if room_id is None:
                    continue
                room = str(room_id)
                at = entry.received_at
                for code, value in entry.numerics:
                    events += self.engine.observe(room, code, value, at)
                for kind, active, source in entry.technical:
                    events += self.engine.technical(room, kind, at, active, source=source)
        await self._handle(events)

    async def tick(self) -> None:
        async with self._lock:
            events = self.engine.tick(self.clock())
        await self._handle(events)
        self._ticks += 1
        if self._ticks % REPUBLISH_EVERY_TICKS == 0:
            # A page that (re)connected since the last change gets the list within seconds.
            await self._publish(int(key) for key in self.engine.rooms)

    async def respond(self, command: dict[str, Any]) -> None:
        """A staff response from a page: acknowledge, or silence for ``seconds``."""
        alarm_id = str(command.get("alarm_id", ""))
        by = str(command.get("by_id", ""))
        at = self.clock()
        async with self._lock:
            try:
                if command.get("command") == "acknowledge":
                    events = self.engine.acknowledge(alarm_id, by, at)
                elif command.get("command") == "silence":
                    events = self.engine.silence(alarm_id, by, at, int(command["seconds"]))
                else:
                    return
            except (AlarmNotActive, AlarmInputInvalid, KeyError, ValueError) as error:
                log.info("response to %s not applied: %s", alarm_id, error)
                return
        await self._handle(events)

    async def _commands(self) -> None:
        while True:
            try:
                message = await self.layer.receive(self._command_channel)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("alarm command channel failed")
                await asyncio.sleep(1)
                continue
            if message.get("type") == live.ENGINE_COMMAND_TYPE:
                await self.respond(message)

    async def refresh_rooms(self) -> None:
        """Start and stop monitoring rooms as visits start and end their infusion, with
        each patient's limits (re-applied when a prescriber adjusts one)."""
        rooms = await self._write(_monitored_rooms)
        at = self.clock()
        events: list[AlarmEvent] = []
        async with self._lock:
            watched = {int(key) for key in self.engine.rooms}
            for room_id, room in rooms.items():
                key = str(room_id)
                if room_id in watched and self._visit_of_room.get(room_id) != room.visit_id:
                    events += self.engine.room_ended(key, at)  # another patient now
                    watched.discard(room_id)
                if room_id not in watched:
                    events += self.engine.room_started(
                        key, at, limits=room.limits, expected=EXPECTED_CODES, infusing=room.infusing
                    )
                else:
                    if self._infusing.get(room_id) != room.infusing:
                        events += self.engine.infusion_running(key, room.infusing, at)
                    if self._limits_version.get(room_id) != room.limits_version:
                        events += self.engine.room_limits(key, room.limits, at)
                self._visit_of_room[room_id] = room.visit_id
                self._infusing[room_id] = room.infusing
                self._limits_version[room_id] = room.limits_version
            for room_id in watched - set(rooms):
                events += self.engine.room_ended(str(room_id), at)
                self._visit_of_room.pop(room_id, None)
                self._infusing.pop(room_id, None)
                self._limits_version.pop(room_id, None)
        await self._handle(events)

    # -- outputs -------------------------------------------------------------------------

    async def _handle(self, events: Sequence[AlarmEvent]) -> None:
        if not events:
            return
        visits = dict(self._visit_of_room)
        rooms = {int(event.room) for event in events}
        if self.inline_writes:
            await self._write(_record, list(events), visits)
        else:
            # Written in order by the one writer thread, but not waited for: the screens
            # hear of an alarm without waiting for the record of it.
            recorded = asyncio.get_running_loop().run_in_executor(
                self._writer, _record, list(events), visits
            )
            recorded.add_done_callback(_log_failure)
        await self._publish(rooms)
        for event in events:
            if isinstance(event, AlarmRaised):
                task = asyncio.create_task(self._strip_later(event))
                self._strips.add(task)
                task.add_done_callback(self._strips.discard)
            if isinstance(event, InterlockAction) and self.interlock is not None:
                try:
                    result = self.interlock(event)
                    if asyncio.iscoroutine(result):
                        await result
                except Exception:
                    log.exception("the interlock could not pause the pump in room %s", event.room)

    async def _strip_later(self, event: AlarmRaised) -> None:
        """Once the 10 s after the alarm have been stored, keep its strip."""
        await asyncio.sleep(self.strip_delay_s)
        try:
            await self._write(_keep_strip, event.alarm_id, int(event.room), event.at)
        except Exception:
            log.exception("no strip kept for alarm %s", event.alarm_id)

    async def _publish(self, rooms: Iterable[int]) -> None:
        if self.layer is None:
            return
        for room_id in rooms:
            message = live.alarms_message(room_id, self.active_views(room_id))
            for group in live.alarm_groups(room_id):
                await self.layer.group_send(group, message)

    def active_views(self, room_id: int) -> list[live.AlarmView]:
        key = str(room_id)
        if key not in self.engine.rooms:
            return []
        return [_view(view) for view in self.engine.state(key)]


def _log_failure(future: asyncio.Future[None]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("alarm events not recorded", exc_info=future.exception())


def _view(view: AlarmView) -> live.AlarmView:
    return {
        "id": view.alarm_id,
        "priority": str(view.priority) if view.priority is not None else "advisory",
        "kind": str(view.kind),
        "message": view.message,
        "since": view.raised_at.isoformat(),
        "audible": view.audible,
        "acknowledged": view.acknowledged_by is not None,
        "silenced_until": view.silenced_until.isoformat() if view.silenced_until else None,
        "tier": view.tier,
    }


# -- the record (runs on the runtime's one writer thread) ------------------------------


@dataclass(frozen=True, slots=True)
class MonitoredRoom:
    visit_id: int
    infusing: bool
    limits: ClinicAlarmLimits  # the patient's effective limits
    limits_version: int  # the patient's latest adjustment (0: the clinic's limits)


def _monitored_rooms() -> dict[int, MonitoredRoom]:
    """Each room with a patient on the monitor: the visit, whether it infuses, the limits.

    Two queries whatever the number of rooms (it runs every few seconds), plus one per
    patient who has adjustments (most have none)."""
    rows = list(
        Visit.objects.filter(room__isnull=False, state__in=MONITORED_STATES).values_list(
            "room_id", "id", "state", "patient_id"
        )
    )
    versions = dict(
        AlarmLimitAdjustment.objects.filter(patient_id__in={row[3] for row in rows})
        .values("patient_id")
        .annotate(latest=Max("id"))
        .values_list("patient_id", "latest")
    )
    rooms: dict[int, MonitoredRoom] = {}
    for room, visit, state, patient in rows:
        if room is None:
            continue
        version = versions.get(patient, 0)
        limits = _limits_for(patient) if version else _CLINIC_LIMITS
        rooms[room] = MonitoredRoom(visit, state == VisitState.INFUSING, limits, version)
    return rooms


_CLINIC_LIMITS: Final = ClinicAlarmLimits()


def _limits_for(patient_id: int) -> ClinicAlarmLimits:
    """The patient's effective limits (their adjustments over the clinic's)."""
    try:
        return patient_limits(patient_id)
    except AlarmLimitsInvalid:
        # Stored adjustments were checked when made; if the clinic's limits changed under
        # them, the clinic's own limits apply (and the log says so).
        log.warning("patient %s: adjustments no longer apply; clinic limits used", patient_id)
        return _CLINIC_LIMITS


def _end_stale_alarms(at: datetime) -> None:
    with one_writer(), transaction.atomic():
        for alarm in Alarm.objects.select_for_update().exclude(state=AlarmState.ENDED):
            alarm.state = AlarmState.ENDED
            alarm.ended_at = at
            alarm.save(update_fields=["state", "ended_at"])
            alarm.events.create(
                kind=AlarmEventKind.ENDED, at=at, detail="the alarm engine restarted"
            )


def _user_id(by: str) -> int | None:
    return int(by) if by.isdigit() else None


def _record(events: Sequence[AlarmEvent], visits: dict[int, int]) -> None:
    with one_writer(), transaction.atomic():
        for event in events:
            _record_one(event, visits)


def _record_one(event: AlarmEvent, visits: dict[int, int]) -> None:
    kind = _EVENT_KIND[type(event)]
    if isinstance(event, AlarmRaised | AdvisoryRaised):
        advisory = isinstance(event, AdvisoryRaised)
        created = Alarm.objects.create(
            alarm_id=event.advisory_id if isinstance(event, AdvisoryRaised) else event.alarm_id,
            room_id=int(event.room),
            visit_id=visits.get(int(event.room)),
            condition=event.advisory if isinstance(event, AdvisoryRaised) else event.condition,
            parameter_code=event.parameter_code,
            priority="advisory" if advisory else str(event.priority),  # type: ignore[union-attr]
            kind="advisory" if advisory else str(event.kind),  # type: ignore[union-attr]
            message=event.message[:200],
            value=storable(event.value),
            limit=storable(event.limit),
            raised_at=event.at,
        )
        detail = f"proposed: {event.proposed_action}" if isinstance(event, AdvisoryRaised) else ""
        created.events.create(kind=kind, at=event.at, detail=detail)
        return
    alarm_id = event.advisory_id if isinstance(event, AdvisoryCleared) else event.alarm_id
    alarm = Alarm.objects.filter(alarm_id=alarm_id).first()
    if alarm is None:
        log.warning("event %s for an alarm not on record: %s", kind, alarm_id)
        return
    by: int | None = None
    detail = ""
    fields: list[str] = []
    if isinstance(event, AlarmUpdated):
        alarm.priority = str(event.priority)
        alarm.message = event.message[:200]
        alarm.value = storable(event.value)
        alarm.limit = storable(event.limit)  # a higher priority has its own limit
        if event.condition_active and alarm.state == AlarmState.CLEARED:
            alarm.state = AlarmState.ACTIVE
        fields += ["priority", "message", "value", "limit", "state"]
        detail = f"{event.change}: {event.message}"
    elif isinstance(event, AlarmCleared):
        alarm.cleared_at = event.at
        alarm.state = AlarmState.CLEARED
        fields += ["cleared_at", "state"]
        detail = "latched until acknowledged" if event.latched else ""
    elif isinstance(event, AlarmAcknowledged):
        by = _user_id(event.by)
        alarm.acknowledged_at, alarm.acknowledged_by_id = event.at, by
        fields += ["acknowledged_at", "acknowledged_by"]
    elif isinstance(event, AlarmSilenced):
        by = _user_id(event.by)
        alarm.silenced_until = event.until
        fields += ["silenced_until"]
        detail = f"audio paused until {event.until.isoformat()}"
    elif isinstance(event, AlarmSilenceEnded):
        alarm.silenced_until = None
        fields += ["silenced_until"]
    elif isinstance(event, AlarmEscalated):
        alarm.escalation_tier = event.tier
        fields += ["escalation_tier"]
        detail = f"tier {event.tier}: {event.to}"
    elif isinstance(event, AlarmEnded | AdvisoryCleared):
        alarm.state = AlarmState.ENDED
        alarm.ended_at = event.at
        fields += ["state", "ended_at"]
        detail = event.reason
    elif isinstance(event, InterlockAction):
        detail = f"{event.command}: {event.reason}"
    if fields:
        alarm.save(update_fields=fields)
    alarm.events.create(kind=kind, at=event.at, by_id=by, detail=detail[:200])


def _keep_strip(alarm_id: str, room_id: int, at: datetime) -> None:
    """Copy the room's waveforms from 10 s before to 10 s after ``at`` into strips.

    The samples are copied as the stored bytes (float32 each), a slice of each chunk, with
    no sample decoded: after a burst of alarms (a hundred rooms' monitors silent at once)
    a per-sample loop spent about 0.1 s of the gateway process's CPU on each strip."""
    alarm = Alarm.objects.filter(alarm_id=alarm_id).first()
    if alarm is None:
        return
    start, end = at - timedelta(seconds=STRIP_HALF_S), at + timedelta(seconds=STRIP_HALF_S)
    chunks = WaveformChunk.objects.filter(
        room_id=room_id,
        start_at__gte=start - timedelta(seconds=5),  # a chunk that began just before
        start_at__lt=end,
    ).order_by("code", "start_at")
    by_code: dict[int, list[WaveformChunk]] = {}
    for chunk in chunks:
        by_code.setdefault(chunk.code, []).append(chunk)
    strips = []
    for code, parts in by_code.items():
        rate = parts[0].sample_rate_hz
        pieces: list[bytes] = []
        first_at: datetime | None = None
        for part in parts:
            if part.sample_rate_hz != rate:
                continue
            first, stop = _samples_between(part, start, end)
            if first >= stop:
                continue
            if first_at is None:
                first_at = part.start_at + first * _sample_step(rate)
            pieces.append(bytes(part.samples)[first * _SAMPLE_BYTES : stop * _SAMPLE_BYTES])
        samples = b"".join(pieces)
        if samples and first_at is not None:
            strips.append(
                AlarmStrip(
                    alarm=alarm,
                    code=code,
                    name=parts[0].name,
                    start_at=first_at,
                    sample_rate_hz=rate,
                    sample_count=len(samples) // _SAMPLE_BYTES,
                    samples=samples,
                )
            )
    with one_writer():
        AlarmStrip.objects.bulk_create(strips)


_SAMPLE_BYTES: Final = 4  # float32, as ``storage.encode_samples`` writes them


def _sample_step(rate_hz: int) -> timedelta:
    """A sample's time step as the chunk's times are worked out (whole microseconds)."""
    return timedelta(seconds=1 / rate_hz)


def _samples_between(part: WaveformChunk, start: datetime, end: datetime) -> tuple[int, int]:
    """The indexes ``first, stop`` of the chunk's samples timed in ``[start, end)``, the
    ``i``-th timed ``start_at + i * step``: integer microseconds, so the bounds are exact."""
    step_us = _sample_step(part.sample_rate_hz) // timedelta(microseconds=1)
    count = len(part.samples) // _SAMPLE_BYTES
    if step_us <= 0:
        return 0, 0
    from_start_us = (start - part.start_at) // timedelta(microseconds=1)
    to_end_us = (end - part.start_at) // timedelta(microseconds=1)
    first = max(0, -(-from_start_us // step_us))  # ceil: the first with i * step >= start
    stop = min(count, max(0, -(-to_end_us // step_us)))  # the first with i * step >= end
    return first, stop
