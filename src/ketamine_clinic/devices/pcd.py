"""What a device said: IHE PCD messages read into plain records.

``interpret`` turns a parsed PCD-01 observation (``ORU^R01``), PCD-04 alert (``ORU^R40``)
or PCD-10 pump event (``ORU^R42``) into a ``DeviceReport``; the gateway stores it and the
clinic attaches it to a visit. A message that can never be accepted raises ``PcdRejected``
with the reason (the gateway answers ``AR``). Vendor variants are read as the clinic's own
terms and each mapping is listed in the report, so what was changed is on the record.

Monitors often name no patient, and their observations carry the device's EUI-64 (OBX-18,
inherited down the containment tree from the row that gave it, else MSH-3): the device
and the room it is in decide the visit, not PID.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Final, Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.hl7_codec import (
    INVALID_MARKERS,
    Delimiters,
    Hl7ParseError,
    Message,
    Segment,
    parse_numeric,
    parse_timestamp,
    unescape,
)

ReportKind = Literal["observation", "alert", "pump_event"]
KIND_BY_TYPE: Final[dict[str, ReportKind]] = {
    "ORU^R01": "observation",
    "ORU^R40": "alert",
    "ORU^R42": "pump_event",
}
# The PCD profiles' OID root (reference/devices.md: vendors rename the profile, keep the OID).
IHE_PCD_OID_ROOT: Final = "1.3.6.1.4.1.19376.1.6"


class PcdRejected(ValueError):
    """A message the gateway can never accept (``AR``): the reason names the part."""


class Numeric(NamedTuple):
    """One numeric a device measured.

    A NamedTuple rather than a frozen dataclass: just as immutable, and about twice as
    fast to build, which matters at fifteen per monitor message on the gateway's hot path.
    """

    code: int
    name: str
    value: Decimal | None  # None: the device said it has no valid value (never zero)
    raw_value: str
    unit: str
    unit_code: int | None
    observed_at: datetime
    device: str
    containment: str
    status: str  # OBX-11: R (as measured), F (final), X (no value)...
    mapped_from: str = ""  # what the sender called it, when the clinic maps it

    @property
    def valid(self) -> bool:
        return self.value is not None


@dataclass(frozen=True, slots=True)
class Waveform:
    """One waveform chunk. Its samples are kept as arrays, not a Python float each: the
    storage writes ``samples_f32`` as it is, and only a reader that wants Python values
    (the live view) pays for ``samples``."""

    code: int
    name: str
    unit: str
    device: str
    start_at: datetime
    sample_rate_hz: int
    samples_f32: bytes  # float32 little-endian, NaN where a sample was invalid (as stored)
    # float64 as read (NaN: invalid); compared through ``samples_f32``.
    values: npt.NDArray[np.float64] = field(compare=False, repr=False)

    @classmethod
    def of(
        cls,
        code: int,
        name: str,
        unit: str,
        device: str,
        start_at: datetime,
        sample_rate_hz: int,
        values: npt.NDArray[np.float64],
    ) -> Waveform:
        """A sample beyond float32's range (a finite 1e308) is invalid: stored, it would
        become an infinity, which no reader can draw and JSON cannot carry."""
        with np.errstate(over="ignore"):
            stored = values.astype("<f4")
        beyond = np.isinf(stored)
        if beyond.any():
            values = np.where(beyond, math.nan, values)
            stored[beyond] = math.nan
        return cls(
            code, name, unit, device, start_at, sample_rate_hz, stored.tobytes(), values
        )  # fmt: skip

    @property
    def samples(self) -> tuple[float | None, ...]:
        """The samples as read from the text; None for an invalid one."""
        invalid = np.isnan(self.values)
        if not invalid.any():
            return tuple(self.values.tolist())
        return tuple(
            None if bad else v for v, bad in zip(self.values.tolist(), invalid, strict=True)
        )

    @property
    def sample_count(self) -> int:
        return len(self.values)

    @property
    def duration_s(self) -> float:
        return len(self.values) / self.sample_rate_hz


Priority = Literal["high", "medium", "low", "none"]
AlertSource = Literal["physiological", "technical", "advisory"]
_PRIORITY: Final[dict[str, Priority]] = {"PH": "high", "PM": "medium", "PL": "low", "PN": "none"}
_SOURCE: Final[dict[str, AlertSource]] = {
    "SP": "physiological",
    "ST": "technical",
    "SA": "advisory",
}


@dataclass(frozen=True, slots=True)
class AlertReport:
    """One alarm from PCD-04: its facets (type, value, phase, state) gathered together."""

    alert_id: str  # OBR-3: the same id for the alarm's start, continue and end
    source_code: int  # the metric (or device) that alarmed
    source_name: str
    event_code: int  # the alarm type, e.g. 196648 MDC_EVT_HI
    event_name: str
    priority: Priority
    source: AlertSource
    phase: str  # start, continue, end, present...
    state: str  # active, inactive, latched
    inactivation: str  # enabled, audio-paused, acknowledged...
    value: Decimal | None
    unit: str
    at: datetime
    device: str


@dataclass(frozen=True, slots=True)
class PumpEventReport:
    """One PCD-10 pump event with the totals the pump reported with it."""

    event_code: int
    event_name: str  # e.g. MDC_EVT_PUMP_DELIV_START
    at: datetime
    device: str
    program_id: str  # OBR-2: the program (PCD-03 ORC-2) the event belongs to
    rate_ml_per_h: Decimal | None
    volume_delivered_ml: Decimal | None
    volume_remaining_ml: Decimal | None
    dose_delivered_mg: Decimal | None


@dataclass(frozen=True, slots=True)
class DeviceReport:
    kind: ReportKind
    sender: str  # MSH-3 and MSH-4 as sent: with MSH-10, the message's identity
    control_id: str
    message_type: str
    version: str
    sent_at: datetime
    device: str  # the EUI-64 of the sending device ("" when it gave none)
    patient_id: str  # PID-3's first identifier, when the device was told one
    numerics: tuple[Numeric, ...] = ()
    waveforms: tuple[Waveform, ...] = ()
    alerts: tuple[AlertReport, ...] = ()
    pump_events: tuple[PumpEventReport, ...] = ()
    mappings: tuple[str, ...] = field(default=())


def interpret(message: Message, local_zone: tzinfo) -> DeviceReport:
    """Read a PCD message; naive device times are in ``local_zone`` (the clinic's zone)."""
    message_type = message.message_type
    kind = KIND_BY_TYPE.get(message_type)
    if kind is None:
        raise PcdRejected(f"MSH-9: {message_type!r} is not a PCD-01, PCD-04 or PCD-10 message")
    control_id = message.control_id
    if not control_id:
        raise PcdRejected("MSH-10: the message control id is empty")
    msh = message.msh
    try:
        sent_at = _moment(msh.field(7), local_zone)
    except Hl7ParseError as error:
        raise PcdRejected(f"MSH-7: {error}") from None
    if sent_at is None:
        raise PcdRejected("MSH-7: the message time is empty")
    sender = f"{msh.raw(3)}|{msh.raw(4)}"
    device = _eui64(msh, 3)
    pid = message.all("PID")
    patient_id = pid[0].component(3, 1) if pid else ""
    reader = _Reader(message, local_zone, sent_at, device)
    if kind == "observation":
        reader.read_observations()
    elif kind == "alert":
        reader.read_alerts()
    else:
        reader.read_pump_events()
    return DeviceReport(
        kind=kind,
        sender=sender,
        control_id=control_id,
        message_type=message_type,
        version=message.version,
        sent_at=sent_at,
        device=reader.device_seen or device,
        patient_id=patient_id,
        numerics=tuple(reader.numerics),
        waveforms=tuple(reader.waveforms),
        alerts=tuple(reader.alerts),
        pump_events=tuple(reader.pump_events),
        mappings=tuple(dict.fromkeys(reader.mappings)),
    )


@functools.lru_cache(maxsize=4096)
def _moment(text: str, zone: tzinfo) -> datetime | None:
    """A device time, read once: every device stamps its messages of one second alike,
    so a busy gateway sees each time in hundreds of messages (raises as
    ``parse_timestamp`` does; a failure is not cached)."""
    return _aware(parse_timestamp(text), zone)


def _aware(moment: datetime | None, zone: tzinfo) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=zone)


def _eui64(segment: Segment, number: int) -> str:
    """An EUI-64 in an HD/EI field (``name^EUI^EUI-64`` or ``EUI^EUI-64``), upper case."""
    raw = segment.raw(number)
    if "EUI-64" not in raw:
        return ""
    parts = raw.split(segment.delimiters.repetition, 1)[0].split(segment.delimiters.component)
    for index, part in enumerate(parts):
        if part == "EUI-64" and index > 0:
            return parts[index - 1].upper()
    return ""


def _code(segment: Segment, number: int) -> tuple[int, str]:
    """A coded element's code (as an int; 0 for a vendor's non-numeric local code, e.g.
    Philips MDIL, kept by its name) and its name."""
    return _coded(segment.raw(number), segment.delimiters)


@functools.lru_cache(maxsize=4096)
def _coded(raw: str, d: Delimiters) -> tuple[int, str]:
    """``_code`` of a raw field, read once: a device sends the same few codes and units
    in every message (bounded, so a sender of endless new codes cannot grow it)."""
    if d.repetition in raw:
        raw = raw.split(d.repetition, 1)[0]
    parts = raw.split(d.component, 2)
    first = parts[0]
    name = parts[1] if len(parts) > 1 else ""
    if d.escape in raw:
        first, name = unescape(first, d), unescape(name, d)
    try:
        code = int(first)
    except ValueError:
        code = mdc.mdil_code(first) or 0
    return code, name


class _Reader:
    """Walks the OBR/OBX rows once, carrying the inherited device and time down the tree."""

    def __init__(self, message: Message, zone: tzinfo, sent_at: datetime, device: str) -> None:
        self.message = message
        self.zone = zone
        self.sent_at = sent_at
        self.msh_device = device
        self.device_seen = ""
        self.numerics: list[Numeric] = []
        self.waveforms: list[Waveform] = []
        self.alerts: list[AlertReport] = []
        self.pump_events: list[PumpEventReport] = []
        self.mappings: list[str] = []
        self._times: dict[str, datetime] = {}

    def _time(self, segment: Segment, number: int, row: int, default: datetime) -> datetime:
        """Field ``number`` of ``segment`` (the ``row``-th of its kind) as a time, else
        ``default``."""
        text = segment.raw(number)
        if not text:
            return default
        moment = self._times.get(text)
        if moment is None:
            # Rows of one message mostly share a time: read each distinct one once.
            try:
                moment = _moment(segment.field(number), self.zone) or default
            except Hl7ParseError as error:
                raise PcdRejected(f"{segment.id} {row}, field {number}: {error}") from None
            self._times[text] = moment
        return moment

    def _rows(self) -> list[tuple[Segment, list[Segment], datetime]]:
        """Each OBR with its OBX rows and its time (OBR-7, else MSH-7)."""
        groups: list[tuple[Segment, list[Segment], datetime]] = []
        for segment in self.message.segments:
            if segment.id == "OBR":
                at = self._time(segment, 7, len(groups) + 1, self.sent_at)
                groups.append((segment, [], at))
            elif segment.id == "OBX":
                if not groups:
                    raise PcdRejected("OBX before any OBR: observations need their OBR")
                groups[-1][1].append(segment)
        if not groups:
            raise PcdRejected("no OBR segment: the message carries nothing to store")
        return groups

    def _walk(
        self, rows: list[Segment], group_at: datetime
    ) -> Iterator[tuple[Segment, list[str], int, str, str, datetime]]:
        """(row, its raw fields, number, containment, device, time), device and time each
        inherited from the nearest ancestor in the containment tree (``1.0.1.1`` from
        ``1.0.1``, else ``1.0``, ``1``)."""
        inherited: dict[str, tuple[str, datetime]] = {}
        escape = self.message.delimiters.escape
        for number, row in enumerate(rows, start=1):
            fields = row.raw_fields(19)
            containment = fields[4]
            if escape in containment:
                containment = row.field(4)
            parent_device, parent_at = self.msh_device, group_at
            ancestor = containment
            while "." in ancestor:
                ancestor = ancestor.rsplit(".", 1)[0]
                if ancestor in inherited:
                    parent_device, parent_at = inherited[ancestor]
                    break
            own_device = _eui64(row, 18) if "EUI-64" in fields[18] else ""
            device = own_device or parent_device
            if own_device and not self.device_seen:
                self.device_seen = own_device
            at = self._time(row, 14, number, parent_at) if fields[14] else parent_at
            inherited[containment] = (device, at)
            yield row, fields, number, containment, device, at

    def read_observations(self) -> None:
        for _obr, rows, group_at in self._rows():
            rates: dict[str, int] = {}
            waves: list[tuple[Segment, int, str, str, datetime]] = []
            delimiters = self.message.delimiters
            escape = delimiters.escape
            for row, fields, number, containment, device, at in self._walk(rows, group_at):
                value_type = fields[2]
                code, name = _coded(fields[3], delimiters)
                if "-" in fields[3]:  # cheap test first: MDIL codes are "pppp-cccc"
                    local = row.component(3, 1)
                    if mdc.mdil_code(local) is not None:
                        self.mappings.append(
                            f"{local} {name} (MDIL) -> {code} (partition and code)"
                        )
                if name == mdc.SAMPLE_RATE_NAME:
                    parent = containment.rsplit(".", 1)[0]
                    sample_rate = parse_numeric(row.field(5))
                    if sample_rate is not None and sample_rate > 0:
                        rates[parent] = int(sample_rate)
                    continue
                if value_type == "NA":
                    waves.append((row, number, containment, device, at))
                    continue
                if value_type != "NM":
                    continue  # container rows (MDS, VMD, channel, NIBP parent) carry no value
                term, mapped = mdc.resolve(code, name)
                if mapped:
                    self.mappings.append(mapped)
                unit_code, unit = _coded(fields[6], delimiters)
                raw_value = fields[5]
                if escape in raw_value:
                    raw_value = row.field(5)
                status = fields[11]
                self.numerics.append(
                    Numeric(  # by position, in the fields' order: a third cheaper to build
                        term.code if term else code,
                        term.name if term else name,
                        parse_numeric(raw_value),
                        raw_value,
                        unit or (term.unit if term else ""),
                        unit_code or (term.unit_code if term else None),
                        at,
                        device,
                        containment,
                        status if escape not in status else row.field(11),
                        f"{code} {name}" if mapped else "",
                    )
                )
            for row, number, containment, device, at in waves:
                code, name = _code(row, 3)
                term, mapped = mdc.resolve(code, name)
                if mapped:
                    self.mappings.append(mapped)
                final_code = term.code if term else code
                rate_hz = rates.get(containment) or mdc.DEFAULT_SAMPLE_RATE_HZ.get(final_code)
                if rate_hz is None:
                    raise PcdRejected(
                        f"OBX {number}: waveform {code} {name} has no sample rate "
                        f"({mdc.SAMPLE_RATE_NAME} facet)"
                    )
                self.waveforms.append(
                    Waveform.of(
                        code=final_code,
                        name=term.name if term else name,
                        unit=row.component(6, 2) or (term.unit if term else ""),
                        device=device,
                        start_at=at,
                        sample_rate_hz=rate_hz,
                        values=sample_array(row.raw(5), row.delimiters.component),
                    )
                )

    def read_alerts(self) -> None:
        for obr, rows, group_at in self._rows():
            alert_id = obr.component(3, 1) or obr.component(2, 1)
            facets: dict[str, dict[str, Segment]] = {}
            order: list[str] = []
            walked = {
                id(row): (device, at) for row, _f, _n, _c, device, at in self._walk(rows, group_at)
            }
            for row in rows:
                containment = row.field(4)
                alarm, _, facet = containment.rpartition(".")
                if not alarm:
                    continue
                if alarm not in facets:
                    facets[alarm] = {}
                    order.append(alarm)
                facets[alarm][facet] = row
            for alarm in order:
                rows_by_facet = facets[alarm]
                first = rows_by_facet.get("1")
                if first is None:
                    raise PcdRejected(f"alarm {alarm}: no alarm-type facet (.1)")
                device, at = walked[id(first)]
                source_code, source_name = _code(first, 3)
                event_code, event_name = _code(first, 5)
                flags = first.raw(8).split(first.delimiters.repetition)
                priority: Priority = "none"
                source: AlertSource = "physiological"
                for flag in flags:
                    priority = _PRIORITY.get(flag, priority)
                    source = _SOURCE.get(flag, source)
                value_row = rows_by_facet.get("2")
                self.alerts.append(
                    AlertReport(
                        alert_id=alert_id,
                        source_code=source_code,
                        source_name=source_name,
                        event_code=event_code,
                        event_name=event_name,
                        priority=priority,
                        source=source,
                        phase=_facet_text(rows_by_facet.get("3")),
                        state=_facet_text(rows_by_facet.get("4")),
                        inactivation=_facet_text(rows_by_facet.get("5")),
                        value=parse_numeric(value_row.field(5)) if value_row else None,
                        unit=value_row.component(6, 2) if value_row else "",
                        at=at,
                        device=device,
                    )
                )

    def read_pump_events(self) -> None:
        for obr, rows, group_at in self._rows():
            event_code, event_name = _code(obr, 4)
            values: dict[int, Decimal | None] = {}
            device = self.msh_device
            for row, _fields, _number, _containment, row_device, _at in self._walk(rows, group_at):
                device = row_device or device
                if row.field(2) != "NM":
                    continue
                code, name = _code(row, 3)
                term, mapped = mdc.resolve(code, name)
                if mapped:
                    self.mappings.append(mapped)
                values[term.code if term else code] = parse_numeric(row.field(5))
            self.pump_events.append(
                PumpEventReport(
                    event_code=event_code,
                    event_name=event_name,
                    at=group_at,
                    device=device,
                    program_id=obr.component(2, 1),
                    rate_ml_per_h=values.get(mdc.PUMP_RATE.code),
                    volume_delivered_ml=values.get(mdc.PUMP_VOLUME_DELIVERED.code),
                    volume_remaining_ml=values.get(mdc.PUMP_VOLUME_REMAINING.code),
                    dose_delivered_mg=values.get(mdc.PUMP_DOSE_DELIVERED.code),
                )
            )


def sample_array(text: str, separator: str) -> npt.NDArray[np.float64]:
    """A waveform's samples (``separator`` between them) as float64, NaN for an invalid
    one: ``fixed_point_samples`` when it can read the whole text, else ``samples_of``."""
    values = fixed_point_samples(text, separator)
    if values is not None:
        return values
    samples = samples_of(text.split(separator))
    if None not in samples:
        return np.array(samples, dtype=np.float64)
    return np.array([math.nan if v is None else v for v in samples], dtype=np.float64)


_MAX_DIGITS: Final = 15  # an integer below 2**53, so read exactly as a float
# Invalid markers that look like numbers ("-100"): a sample equal to one is invalid.
_NUMBER_MARKERS: Final = tuple(m for m in INVALID_MARKERS if m and not m.strip("0123456789.-"))


def fixed_point_samples(text: str, separator: str) -> npt.NDArray[np.float64] | None:
    """The samples when every one is a fixed-point number with the same number of places
    (``-0.125^0.250^...``, as monitors write them) or every one an integer, read in C;
    None when the text is anything else (another form, an invalid marker such as
    ``-100``, an empty sample), for the slow path.

    numpy reads integers from text several times faster than Python reads floats (its own
    float reader is no faster than Python's): so one regular expression checks the whole
    text's form, the points are dropped, the digits read as integers and divided by
    10**places. Exactly ``float(sample)``: the digits are an integer below 2**53 and
    10**places is exact, so the one division rounds correctly; what is stored is bit for
    bit what the per-sample path stored, negative zeros (``-0.000``) included."""
    if len(separator) != 1 or separator in "0123456789.-":
        return None
    point = text.find(".")
    if point < 0:
        places = 0
    else:
        end = text.find(separator)
        places = (len(text) if end < 0 else end) - point - 1
        if not 0 <= places < _MAX_DIGITS:
            return None
    if not _fixed_point_form(places, point >= 0, separator).fullmatch(text):
        return None
    wrapped = f"{separator}{text}{separator}"
    if any(f"{separator}{marker}{separator}" in wrapped for marker in _NUMBER_MARKERS):
        return None
    digits = text.replace(".", "") if point >= 0 else text
    try:
        values = np.fromstring(digits, dtype=np.int64, sep=separator)
    except ValueError:  # the form above leaves nothing numpy cannot read; defensive
        return None
    result = values / (10.0**places) if places else values.astype(np.float64)
    if "-" in text and not values.all():
        _sign_negative_zeros(result, text, separator)
    return result


def _sign_negative_zeros(values: npt.NDArray[np.float64], text: str, separator: str) -> None:
    """``-0.000`` read as an integer lost its sign; ``float`` keeps it (ECG baselines have
    them often). Only the zero samples are looked at."""
    parts = text.split(separator)
    for index in np.flatnonzero(values == 0).tolist():
        if parts[index].startswith("-"):
            values[index] = -0.0


@functools.cache
def _fixed_point_form(places: int, pointed: bool, separator: str) -> re.Pattern[str]:
    """Samples with ``places`` digits after a point (or integers), at most ``_MAX_DIGITS``
    digits each, an optional leading minus, ``separator`` between them."""
    if not pointed:
        number = rf"-?[0-9]{{1,{_MAX_DIGITS}}}"
    elif places == 0:
        number = rf"-?[0-9]{{1,{_MAX_DIGITS}}}\."
    else:
        whole = _MAX_DIGITS - places
        number = rf"-?(?:[0-9]{{1,{whole}}}\.[0-9]{{{places}}}|\.[0-9]{{{places}}})"
    sep = re.escape(separator)
    return re.compile(rf"{number}(?:{sep}{number})*")


def samples_of(parts: list[str]) -> tuple[float | None, ...]:
    """A waveform's samples. Hundreds per message, so the usual case (every sample a
    finite number, no invalid marker) is read in one pass of ``float`` over the list,
    twice as fast as a call per sample; anything else is read sample by sample."""
    if INVALID_MARKERS.isdisjoint(parts):
        try:
            values = tuple(map(float, parts))
        except ValueError:
            pass
        else:
            # A NaN or an infinity anywhere makes the sum non-finite (so can an overflow
            # of finite values: then the slow path simply finds them all valid).
            if math.isfinite(sum(values)):
                return values
    return tuple(_sample(part) for part in parts)


def _sample(text: str) -> float | None:
    """One waveform sample: a float (no Decimal: hundreds per message, drawn, not
    charted), None for an invalid marker or anything not a finite number."""
    if text in INVALID_MARKERS:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _facet_text(row: Segment | None) -> str:
    """A facet's value: the coded value's text, else its code (``start``, ``active``...)."""
    if row is None:
        return ""
    return row.component(5, 2) or row.component(5, 1)
