"""The gateway's storage port, on the clinic's database.

One batch is one transaction: the messages, every numeric, waveform chunk, device alert
and pump event in them, each attached to the visit running in the device's room at the
time it was measured. The gateway acknowledges only after ``store_batch`` returns, so a
batch is either wholly committed (and acknowledged) or not at all (AE, and the senders
resend).

Hand-written bulk inserts rather than the gateway calling services per message: at
thousands of messages a second the per-row ORM path (signals, ``save``, per-row audit)
costs more than the database does; rows here are insert-only, so nothing a service
would check on an update applies.
"""

from __future__ import annotations

import bisect
import functools
import json
import logging
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import numpy as np
from django.db import IntegrityError, connection, transaction

from ketamine_clinic.devices.gateway import Inbound, Outcome, StoreResult
from ketamine_clinic.devices.pcd import Numeric
from ketamine_clinic.monitoring.bulk import allocate_ids, insert_rows
from ketamine_clinic.monitoring.models import (
    Device,
    DeviceAlert,
    DeviceMessage,
    NumericSet,
    PumpReport,
    WaveformChunk,
    numeric_codes,
    pack_numerics,
)
from ketamine_clinic.monitoring.sqlite_writer import one_writer
from ketamine_clinic.visits.models import Visit

log = logging.getLogger("ketamine_clinic.monitoring.storage")


@dataclass(frozen=True, slots=True)
class _Stay:
    """A visit's time in a room: from check-in to discharge or end (open while running)."""

    start: datetime
    end: datetime | None
    visit_id: int


class RoomVisits:
    """Which visit was in a room at a given moment, for the rooms of one batch."""

    def __init__(self, stays: dict[int, list[_Stay]]) -> None:
        for items in stays.values():
            items.sort(key=lambda stay: (stay.start, stay.visit_id))
        self._stays = stays
        self._starts = {room: [s.start for s in items] for room, items in stays.items()}

    def visit_at(self, room_id: int | None, moment: datetime) -> int | None:
        """The visit in ``room_id`` at ``moment``: the latest check-in at or before it whose
        stay has not ended (two overlapping stays cannot both hold the room)."""
        if room_id is None:
            return None
        stays = self._stays.get(room_id)
        if not stays:
            return None
        index = bisect.bisect_right(self._starts[room_id], moment) - 1
        while index >= 0:
            stay = stays[index]
            if stay.end is None or moment <= stay.end:
                return stay.visit_id
            index -= 1
        return None


def placement(
    devices: Collection[str], earliest: datetime, latest: datetime
) -> tuple[dict[str, int | None], RoomVisits]:
    """The room of each in-use device of ``devices``, and the stays in those rooms that
    overlap [``earliest``, ``latest``]: a visit checked in at or before ``latest`` that is
    still running, or was discharged or ended at or after ``earliest``.

    One hand-written query a batch rather than the ORM's two (the devices, then
    ``Visit``'s stays): profiling the gateway at load put 17% of its time in building
    those two querysets and in Django's per-row datetime conversion of every stay, every
    batch. Read afresh each batch, in the batch's transaction, so a visit checked in or
    out or a device moved since the last batch is seen (no cache to invalidate).
    """
    if not devices:
        return {}, RoomVisits({})
    sql, params = placement_query(connection.vendor, sorted(devices), earliest, latest)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    rooms: dict[str, int | None] = {}
    stays: dict[int, list[_Stay]] = {}
    for eui64, room_id, visit_id, start, discharged, ended in rows:
        if eui64 is not None:
            rooms[str(eui64)] = None if room_id is None else int(room_id)
        elif room_id is not None and start is not None:  # the query ensures both
            end = discharged or ended
            stays.setdefault(int(room_id), []).append(
                _Stay(_aware(start), None if end is None else _aware(end), int(visit_id))
            )
    return rooms, RoomVisits(stays)


def placement_query(
    vendor: str, devices: Sequence[str], earliest: datetime, latest: datetime
) -> tuple[str, list[Any]]:
    """``placement``'s SQL: device rows (eui64, room) then stay rows (room, visit, check-in,
    discharge, end) in one result. The devices go as one parameter (an array on
    PostgreSQL, a JSON list on SQLite), so a large batch cannot pass SQLite's parameter
    limit."""
    device = Device._meta.db_table
    visit = Visit._meta.db_table
    if vendor == "postgresql":
        chosen = "= ANY(%s::text[])"
        listed: Any = list(devices)
        bounds: list[Any] = [latest, earliest, earliest]
    else:
        chosen = "IN (SELECT value FROM json_each(%s))"
        listed = json.dumps(list(devices))
        adapt = connection.ops.adapt_datetimefield_value
        bounds = [adapt(latest), adapt(earliest), adapt(earliest)]
    sql = (
        f'WITH d AS (SELECT "eui64", "room_id" FROM "{device}" '  # noqa: S608 - our tables
        f'WHERE "in_use" = %s AND "eui64" {chosen}) '
        'SELECT d."eui64", d."room_id", NULL, NULL, NULL, NULL FROM d '
        "UNION ALL "
        f'SELECT NULL, v."room_id", v."id", v."checked_in_at", v."discharged_at", v."ended_at" '
        f'FROM "{visit}" v WHERE v."room_id" IN (SELECT "room_id" FROM d) '
        'AND v."checked_in_at" IS NOT NULL AND v."checked_in_at" <= %s '
        'AND ((v."discharged_at" IS NULL AND v."ended_at" IS NULL) '
        'OR v."discharged_at" >= %s OR v."ended_at" >= %s)'
    )
    return sql, [True, listed, *bounds]


def _aware(value: datetime | str) -> datetime:
    """A stored time as an aware datetime: psycopg returns one for ``timestamptz``; SQLite
    returns Django's text (``YYYY-MM-DD HH:MM:SS[.ffffff]``, UTC)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _full_sync_on_sqlite() -> None:
    """An ACK says the message is stored: on SQLite the gateway commits with
    ``synchronous=FULL`` (the clinic's default NORMAL, in WAL mode, survives a crash of the
    process but not a power cut). Set before each batch: a PRAGMA costs microseconds and
    holds for a connection opened since."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous=FULL")


def _reconnect_if_broken() -> None:
    """Drop this thread's connection if it broke (the database went away), so the next
    batch opens a new one: the gateway's writer threads live for days, and Django checks
    connections only around web requests. Not inside a transaction (a test's)."""
    _full_sync_on_sqlite()
    # Not close_if_unusable_or_obsolete: with CONN_MAX_AGE 0 it closes every time, and a
    # reconnect per batch would cost more than the batch.
    if connection.in_atomic_block or connection.connection is None:
        return
    if connection.errors_occurred:
        if connection.is_usable():
            connection.errors_occurred = False
        else:
            connection.close()


def encode_samples(samples: Sequence[float | None]) -> bytes:
    """float32 little-endian, NaN where the device sent an invalid sample."""
    if None not in samples:  # the usual case: no per-sample work in Python
        return np.asarray(samples, dtype="<f4").tobytes()
    values = np.array([np.nan if s is None else s for s in samples], dtype="<f4")
    return values.tobytes()


def decode_samples(data: bytes | memoryview) -> list[float | None]:
    values = np.frombuffer(bytes(data), dtype="<f4")
    return [None if np.isnan(v) else float(v) for v in values]


class DatabaseStorage:
    """``devices.gateway.Storage`` on Django's database (SQLite or PostgreSQL)."""

    def store_batch(self, batch: Sequence[Inbound]) -> list[StoreResult]:
        _reconnect_if_broken()
        with one_writer(), transaction.atomic():
            return self._store(batch)

    def store_one(self, item: Inbound) -> StoreResult:
        _reconnect_if_broken()
        try:
            with one_writer(), transaction.atomic():
                return self._store([item])[0]
        except IntegrityError:
            # Another writer stored the same message between our check and our insert.
            if DeviceMessage.objects.filter(
                sender=item.report.sender,
                control_id=item.report.control_id,
                content_sha256=item.content_sha256,
            ).exists():
                return StoreResult(Outcome.DUPLICATE)
            raise

    def _store(self, batch: Sequence[Inbound]) -> list[StoreResult]:
        seen = self._existing(batch)
        results: list[StoreResult] = []
        fresh: list[Inbound] = []
        for item in batch:
            hashes = seen.setdefault(_identity(item), set())
            if item.content_sha256 in hashes:
                results.append(StoreResult(Outcome.DUPLICATE))
                continue
            results.append(StoreResult(Outcome.STORED, control_id_reused=bool(hashes)))
            hashes.add(item.content_sha256)
            fresh.append(item)
        if fresh:
            self._insert(
                fresh, [r.control_id_reused for r in results if r.outcome is Outcome.STORED]
            )
        return results

    @staticmethod
    def _existing(batch: Sequence[Inbound]) -> dict[tuple[str, str], set[str]]:
        """The content hashes already stored under each (sender, control id) of ``batch``.

        Looked up pair by pair through the unique index: asking for ``sender IN (...) AND
        control_id IN (...)`` instead made PostgreSQL scan the whole message table once
        a few senders covered most of it (every batch, ever slower as the table grew)."""
        keys = list({_identity(item) for item in batch})
        seen: dict[tuple[str, str], set[str]] = {}
        for sender, control_id, digest in _stored_hashes(keys):
            seen.setdefault((sender, control_id), set()).add(digest)
        return seen

    def _insert(self, items: Sequence[Inbound], reused: Sequence[bool]) -> None:
        moments = [moment for item in items for moment in _moments(item)]
        rooms, stays = placement(_devices_of(items), min(moments), max(moments))

        placed: dict[tuple[str, datetime], tuple[int | None, int | None]] = {}

        def place(device: str, moment: datetime) -> tuple[int | None, int | None]:
            # A message's rows mostly share their device and time: look each pair up once.
            key = (device, moment)
            found = placed.get(key)
            if found is None:
                room = rooms.get(device)
                found = placed[key] = (room, stays.visit_at(room, moment))
            return found

        ids = allocate_ids(DeviceMessage, len(items))
        messages: list[tuple[Any, ...]] = []
        numeric_sets: list[tuple[Any, ...]] = []
        waves: list[tuple[Any, ...]] = []
        alerts: list[tuple[Any, ...]] = []
        pumps: list[tuple[Any, ...]] = []
        for message_id, item, was_reused in zip(ids, items, reused, strict=True):
            report = item.report
            room, visit = place(report.device, report.sent_at)
            messages.append(
                (
                    message_id, *_identity(item),
                    item.content_sha256, report.message_type[:16], report.sent_at,
                    item.received_at, item.peer[:64], report.device[:16], room, visit,
                    was_reused, "\n".join(report.mappings), item.text,
                )
            )  # fmt: skip
            if was_reused:
                log.warning(
                    "sender %s reused control id %s for a different message",
                    report.sender,
                    report.control_id,
                )
            if report.numerics:
                numeric_sets += _numeric_sets(message_id, report.numerics, place)
            for w in report.waveforms:
                room, visit = place(w.device, w.start_at)
                waves.append(
                    (
                        message_id, w.device[:16], room, visit, w.code, w.name[:64],
                        w.unit[:40], w.start_at, w.sample_rate_hz, w.sample_count, w.samples_f32,
                    )
                )  # fmt: skip
            for a in report.alerts:
                room, visit = place(a.device, a.at)
                alerts.append(
                    (
                        message_id, a.device[:16], room, visit, a.alert_id[:64],
                        a.source_code, a.source_name[:64], a.event_code, a.event_name[:64],
                        a.priority, a.source, a.phase[:16], a.state[:16],
                        a.inactivation[:24], storable(a.value), a.unit[:40], a.at,
                    )
                )  # fmt: skip
            for p in report.pump_events:
                room, visit = place(p.device, p.at)
                pumps.append(
                    (
                        message_id, p.device[:16], room, visit, p.event_code,
                        p.event_name[:64], p.program_id[:64], p.at,
                        storable(p.rate_ml_per_h, 8, 2), storable(p.volume_delivered_ml, 8, 3),
                        storable(p.volume_remaining_ml, 8, 3),
                        storable(p.dose_delivered_mg, 8, 3),
                    )
                )  # fmt: skip
        insert_rows(DeviceMessage, MESSAGE_FIELDS, messages)
        insert_rows(NumericSet, NUMERIC_SET_FIELDS, numeric_sets)
        insert_rows(WaveformChunk, WAVEFORM_FIELDS, waves)
        insert_rows(DeviceAlert, ALERT_FIELDS, alerts)
        insert_rows(PumpReport, PUMP_FIELDS, pumps)


# The order of each row tuple built in ``_insert``.
MESSAGE_FIELDS = (
    "id", "sender", "control_id", "content_sha256", "message_type", "sent_at",
    "received_at", "peer", "device_eui64", "room", "visit", "control_id_reused",
    "mappings", "raw",
)  # fmt: skip
_PLACED = ("message", "device_eui64", "room", "visit")
NUMERIC_SET_FIELDS = (
    *_PLACED, "observed_at", "first_observed_at", "codes", "numerics",
)  # fmt: skip
WAVEFORM_FIELDS = (
    *_PLACED, "code", "name", "unit", "start_at", "sample_rate_hz", "sample_count", "samples",
)  # fmt: skip
ALERT_FIELDS = (
    *_PLACED, "alert_id", "source_code", "source_name", "event_code", "event_name",
    "priority", "source", "phase", "state", "inactivation", "value", "unit", "at",
)  # fmt: skip
PUMP_FIELDS = (
    *_PLACED, "event_code", "event_name", "program_id", "at", "rate_ml_per_h",
    "volume_delivered_ml", "volume_remaining_ml", "dose_delivered_mg",
)  # fmt: skip


def _numeric_sets(
    message_id: int,
    numerics: Sequence[Numeric],
    place: Callable[[str, datetime], tuple[int | None, int | None]],
) -> list[tuple[Any, ...]]:
    """One ``NumericSet`` row (``NUMERIC_SET_FIELDS``) per device and placement among one
    message's numerics: nearly always one row for the whole message."""
    groups: dict[tuple[str, int | None, int | None], list[Numeric]] = {}
    for n in numerics:
        groups.setdefault((n.device, *place(n.device, n.observed_at)), []).append(n)
    rows: list[tuple[Any, ...]] = []
    for (device, room, visit), members in groups.items():
        times = [n.observed_at for n in members]
        latest = max(times)
        packed = pack_numerics(
            [
                (
                    n.code, n.name[:64], storable(n.value), n.raw_value[:32], n.unit[:40],
                    n.observed_at, n.status[:2], n.mapped_from[:80],
                )
                for n in members
            ],
            latest,
        )  # fmt: skip
        codes = numeric_codes(n.code for n in members)
        rows.append((message_id, device[:16], room, visit, latest, min(times), codes, packed))
    return rows


def _moments(item: Inbound) -> Iterable[datetime]:
    report = item.report
    yield report.sent_at
    yield from (n.observed_at for n in report.numerics)
    yield from (w.start_at for w in report.waveforms)
    yield from (a.at for a in report.alerts)
    yield from (p.at for p in report.pump_events)


def storable(value: Decimal | None, max_digits: int = 14, places: int = 4) -> Decimal | None:
    """A device value as a ``DecimalField(max_digits, places)`` holds it. One too large to
    be a measurement is stored as invalid (its raw text stays on the row and in the
    message), never as a number, so one odd value cannot stop its batch from storing."""
    if value is None:
        return None
    bound, quantum = _column_bounds(max_digits, places)
    if abs(value) >= bound:
        return None
    return value.quantize(quantum)


@functools.cache
def _column_bounds(max_digits: int, places: int) -> tuple[Decimal, Decimal]:
    """The first value a ``DecimalField(max_digits, places)`` cannot hold, and its step
    (worked out once: ``storable`` runs for every numeric the gateway stores)."""
    return Decimal(10) ** (max_digits - places), Decimal(1).scaleb(-places)


def _devices_of(items: Sequence[Inbound]) -> set[str]:
    found: set[str] = set()
    for item in items:
        report = item.report
        found.add(report.device)
        found.update(n.device for n in report.numerics)
        found.update(w.device for w in report.waveforms)
        found.update(a.device for a in report.alerts)
        found.update(p.device for p in report.pump_events)
    found.discard("")
    return found


def _identity(item: Inbound) -> tuple[str, str]:
    """(sender, control id) as stored: with the content hash, a message's identity."""
    return item.report.sender[:255], item.report.control_id[:199]


_PAIRS_PER_QUERY = 400  # SQLite's older limit is 999 parameters a statement


def _stored_hashes(keys: Sequence[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(sender, control id, content hash) of every stored message under ``keys``."""
    found: list[tuple[str, str, str]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            chunks = [keys] if keys else []
        else:
            chunks = [keys[i : i + _PAIRS_PER_QUERY] for i in range(0, len(keys), _PAIRS_PER_QUERY)]
        for chunk in chunks:
            sql, params = stored_hashes_query(connection.vendor, chunk)
            cursor.execute(sql, params)
            found += [(str(a), str(b), str(c)) for a, b, c in cursor.fetchall()]
    return found


def stored_hashes_query(vendor: str, keys: Sequence[tuple[str, str]]) -> tuple[str, list[Any]]:
    """The lookup of ``keys`` as a join, so that each pair is one probe of the unique
    index: ``(sender, control_id) IN (VALUES ...)`` made SQLite scan the table, as
    ``sender IN (...) AND control_id IN (...)`` made PostgreSQL."""
    table = DeviceMessage._meta.db_table
    columns = 'm."sender", m."control_id", m."content_sha256"'
    if vendor == "postgresql":
        return (
            f"SELECT {columns} FROM unnest(%s::text[], %s::text[]) AS k(sender, control_id) "  # noqa: S608 - our table
            f'JOIN "{table}" m ON m."sender" = k.sender AND m."control_id" = k.control_id',
            [[k[0] for k in keys], [k[1] for k in keys]],
        )
    pairs = ", ".join(["(%s, %s)"] * len(keys))
    return (
        f"WITH k(sender, control_id) AS (VALUES {pairs}) SELECT {columns} FROM k "  # noqa: S608 - our table
        f'JOIN "{table}" m ON m."sender" = k.sender AND m."control_id" = k.control_id',
        [value for key in keys for value in key],
    )
