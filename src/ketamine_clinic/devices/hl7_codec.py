"""A lean HL7 v2 codec for the PCD messages on the gateway's hot path.

Why our own: python-hl7 builds an object for every field (~320 msg/s on a 15-OBX monitor
message, ``reference/devices.md``) and hl7apy validates strictly (~30 msg/s); plain
``str.split`` reaches ~13,500 msg/s. This codec splits segments and fields eagerly and
components only when a field is read, and decodes escapes only where an escape
character occurs. hl7apy parses the same messages strictly in the tests, as the
independent reference.

Field numbers are HL7's: ``segment.field(3)`` is XXX-3; for MSH, MSH-1 is the field
separator itself and MSH-2 the encoding characters, so ``msh.field(9)`` is the message
type, as the standard numbers it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Final


class Hl7ParseError(ValueError):
    """Not an HL7 v2 message we can read; the reason names the part."""


@dataclass(frozen=True, slots=True)
class Delimiters:
    field: str = "|"
    component: str = "^"
    repetition: str = "~"
    escape: str = "\\"
    subcomponent: str = "&"

    @property
    def encoding_characters(self) -> str:
        return self.component + self.repetition + self.escape + self.subcomponent


DEFAULT_DELIMITERS: Final = Delimiters()


class Segment:
    """One segment: its id and raw fields; components are split when read."""

    __slots__ = ("_fields", "delimiters", "id")

    def __init__(self, segment_id: str, fields: list[str], delimiters: Delimiters) -> None:
        self.id = segment_id
        self._fields = fields
        self.delimiters = delimiters

    def raw(self, number: int) -> str:
        """Field ``number`` as it is on the wire (escapes not decoded); '' when absent."""
        index = number - 1 if self.id == "MSH" else number
        if self.id == "MSH" and number == 1:
            return self.delimiters.field
        return self._fields[index] if 0 <= index < len(self._fields) else ""

    def raw_fields(self, count: int) -> list[str]:
        """The raw fields of a non-MSH segment, indexed by field number (0 is the segment
        id) and padded with '' to at least ``count``: one list for a hot loop instead of a
        call per field. Escapes are not decoded."""
        if self.id == "MSH":
            raise ValueError("raw_fields: MSH numbers its fields differently; use raw()")
        fields = self._fields
        return fields if len(fields) >= count else fields + [""] * (count - len(fields))

    def field(self, number: int) -> str:
        """Field ``number``, escapes decoded (the whole field, components and all)."""
        return unescape(self.raw(number), self.delimiters)

    def component(self, number: int, component: int) -> str:
        """Component ``component`` (1-based) of the first repetition of the field."""
        raw = self.raw(number).split(self.delimiters.repetition, 1)[0]
        parts = raw.split(self.delimiters.component)
        value = parts[component - 1] if 0 < component <= len(parts) else ""
        return unescape(value, self.delimiters)

    def __repr__(self) -> str:
        return f"Segment({self.id!r}, {len(self._fields) - 1} fields)"


@dataclass(frozen=True, slots=True)
class Message:
    segments: tuple[Segment, ...]
    delimiters: Delimiters

    @property
    def msh(self) -> Segment:
        return self.segments[0]

    @property
    def control_id(self) -> str:
        return self.msh.field(10)

    @property
    def message_type(self) -> str:
        """MSH-9 as ``ORU^R01`` (code and trigger event)."""
        return f"{self.msh.component(9, 1)}^{self.msh.component(9, 2)}"

    @property
    def version(self) -> str:
        return self.msh.component(12, 1)

    @property
    def sending_application(self) -> str:
        """MSH-3 whole (name^universal id^id type): with MSH-10 it identifies a message."""
        return self.msh.field(3)

    def all(self, segment_id: str) -> list[Segment]:
        return [s for s in self.segments if s.id == segment_id]


_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{2}\Z")
# Valid ids, checked by a set lookup before the pattern (a message has dozens of them).
_COMMON_SEGMENT_IDS: Final = frozenset(
    {"MSH", "PID", "PV1", "OBR", "OBX", "ORC", "TQ1", "RXG", "RXR", "MSA", "ERR", "NTE"}
)


def parse_message(text: str) -> Message:
    """Split ``text`` (segments ending in CR; LF and CRLF tolerated) into a ``Message``."""
    if not text.startswith("MSH"):
        raise Hl7ParseError("the message does not start with an MSH segment")
    if len(text) < 8:
        raise Hl7ParseError("MSH-1/MSH-2: the delimiters are missing")
    field_separator = text[3]
    encoding = text[4:8]
    if field_separator.isalnum() or len(set(encoding + field_separator)) != 5:
        raise Hl7ParseError("MSH-1/MSH-2: the delimiters are missing or repeated")
    delimiters = Delimiters(field_separator, encoding[0], encoding[1], encoding[2], encoding[3])
    if "\n" in text:
        text = text.replace("\r\n", "\r").replace("\n", "\r")
    segments: list[Segment] = []
    for number, line in enumerate(text.split("\r"), start=1):
        if not line:
            continue
        fields = line.split(field_separator)
        segment_id = fields[0]
        if segment_id not in _COMMON_SEGMENT_IDS and not _SEGMENT_ID.match(segment_id):
            raise Hl7ParseError(f"segment {number}: {segment_id[:10]!r} is not a segment id")
        segments.append(Segment(segment_id, fields, delimiters))
    return Message(tuple(segments), delimiters)


def unescape(value: str, delimiters: Delimiters = DEFAULT_DELIMITERS) -> str:
    """HL7 escapes decoded: \\F\\ \\S\\ \\T\\ \\R\\ \\E\\ and \\X..\\ (hex); others kept."""
    esc = delimiters.escape
    if esc not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        end = value.find(esc, i + 1) if char == esc else -1
        if end < 0:
            out.append(char)
            i += 1
            continue
        code = value[i + 1 : end]
        replacement = {
            "F": delimiters.field,
            "S": delimiters.component,
            "T": delimiters.subcomponent,
            "R": delimiters.repetition,
            "E": esc,
        }.get(code)
        if replacement is None and code.startswith("X") and len(code) % 2 == 1:
            try:
                replacement = bytes.fromhex(code[1:]).decode("utf-8")
            except ValueError:
                replacement = None
        out.append(replacement if replacement is not None else value[i : end + 1])
        i = end + 1
    return "".join(out)


def escape(value: str, delimiters: Delimiters = DEFAULT_DELIMITERS) -> str:
    """The inverse of ``unescape`` for the five delimiter characters."""
    esc = delimiters.escape
    if not any(char in value for char in delimiters.encoding_characters + delimiters.field):
        return value  # the usual case (a control id, a reason): nothing to escape
    table = {
        esc: f"{esc}E{esc}",
        delimiters.field: f"{esc}F{esc}",
        delimiters.component: f"{esc}S{esc}",
        delimiters.subcomponent: f"{esc}T{esc}",
        delimiters.repetition: f"{esc}R{esc}",
    }
    return "".join(table.get(char, char) for char in value)


_TS = re.compile(r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?\Z")


def parse_timestamp(value: str) -> datetime | None:
    """An HL7 DTM (``YYYY[MM[DD[HH[MM[SS[.S]]]]]][+/-ZZZZ]``); None when empty.

    With an offset the result is aware; without one it is naive (the sender's local
    time, which the caller resolves with the device's configured zone).
    """
    if not value:
        return None
    match = _TS.match(value)
    if match is None:
        raise Hl7ParseError(f"{value!r} is not an HL7 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    micro = int((fraction or "0").ljust(6, "0")[:6])
    try:
        # Naive on purpose when the sender gives no offset (see the docstring).
        moment = datetime(  # noqa: DTZ001
            int(year), int(month or 1), int(day or 1), int(hour or 0), int(minute or 0),
            int(second or 0), micro,
        )  # fmt: skip
    except ValueError as error:
        raise Hl7ParseError(f"{value!r}: {error}") from None
    if offset:
        sign = 1 if offset[0] == "+" else -1
        delta = timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5]))
        moment = moment.replace(tzinfo=timezone(sign * delta))
    return moment


# Values devices send for "no valid measurement" (reference/devices.md: Mindray -100,
# Philips -?-); stored as invalid, never as a number.
INVALID_MARKERS: Final = frozenset({"", "-?-", "-100"})


def parse_numeric(value: str) -> Decimal | None:
    """An NM value, or None when the device says it has no valid one."""
    text = value.strip()
    if text in INVALID_MARKERS:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def ack(message: Message, code: str, *, text: str = "", control_id: str, now: datetime) -> str:
    """An original-mode ``ACK`` to ``message``: sender and receiver swapped, MSA echoing
    its MSH-10, and an ERR with ``text`` for AE/AR (segments end in CR)."""
    if code not in {"AA", "AE", "AR"}:
        raise ValueError(f"ACK code must be AA, AE or AR, not {code!r}")
    d = message.delimiters
    msh = message.msh
    trigger = msh.component(9, 2)
    fields = [
        "MSH",
        d.encoding_characters,
        msh.raw(5),
        msh.raw(6),
        msh.raw(3),
        msh.raw(4),
        now.strftime("%Y%m%d%H%M%S%z"),  # %z is empty for a naive time
        "",
        f"ACK{d.component}{trigger}{d.component}ACK",
        escape(control_id, d),
        msh.raw(11) or "P",
        msh.raw(12) or "2.6",
    ]
    segments = [d.field.join(fields), d.field.join(["MSA", code, msh.raw(10)])]
    if code != "AA":
        severity = "E"
        # ERR-3 HL7 error code (207 application internal error, 200 unsupported...),
        # ERR-4 severity, ERR-8 user message.
        hl7_code = "207" if code == "AE" else "200"
        segments.append(
            d.field.join(["ERR", "", "", hl7_code, severity, "", "", "", escape(text, d)])
        )
    return "\r".join(segments) + "\r"


def bare_reject(reason: str, *, application: str, now: datetime) -> str:
    """An original-mode AR for a frame whose MSH cannot be read: there is no control id
    to echo and no sender to address, so MSA-2 is empty and ERR-8 says why."""
    d = DEFAULT_DELIMITERS
    stamp = now.strftime("%Y%m%d%H%M%S")
    return (
        f"MSH|{d.encoding_characters}|{escape(application, d)}||||{stamp}||ACK^^ACK|"
        f"{escape(application, d)}-REJ|P|2.6\r"
        f"MSA|AR|\rERR|||200|E||||{escape(reason.replace(chr(13), ' '), d)}\r"
    )
