"""What devices sent, as received and as read, and the registry that places them in rooms.

Everything a device sent is kept: a message with no visit (a monitor switched on in an
empty room, a device not yet registered) is stored with ``visit`` empty and shown as
unassigned, never dropped. Rows here are never edited; a device's registration is the one
record staff change (and the change is audited).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.db import models

from ketamine_clinic.insert_only import InsertOnlyModel


class DeviceKind(models.TextChoices):
    MONITOR = "monitor", "Patient monitor"
    PUMP = "pump", "Syringe pump"


class Device(models.Model):
    """A registered monitor or pump: its EUI-64 (as it sends it), model and room."""

    eui64 = models.CharField(max_length=16, unique=True, help_text="16 hex digits, upper case")
    kind = models.CharField(max_length=8, choices=DeviceKind.choices)
    model = models.CharField(max_length=80, help_text='e.g. "Acme VS-900"')
    label = models.CharField(max_length=40, blank=True, help_text='e.g. "Monitor 3"')
    room = models.ForeignKey(
        "booking.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="devices"
    )
    # Where a pump listens for PCD-03 programs (host:port); empty for monitors.
    program_endpoint = models.CharField(max_length=80, blank=True)
    in_use = models.BooleanField(default=True)
    registered_at = models.DateTimeField()
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["room__display_order", "kind", "eui64"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(eui64__regex=r"^[0-9A-F]{16}$"), name="monitoring_device_eui64"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=DeviceKind.values), name="monitoring_device_kind"
            ),
            # One monitor and one pump in use per room (the registry service says why and
            # names the field; this holds whatever path writes).
            models.UniqueConstraint(
                fields=["room", "kind"],
                condition=models.Q(in_use=True, room__isnull=False),
                name="monitoring_device_one_per_room",
            ),
        ]

    def __str__(self) -> str:
        return self.label or f"{self.get_kind_display()} {self.eui64}"


class DeviceMessage(InsertOnlyModel):
    """One HL7 message as received: the legal record of what the device said.

    (sender, control id, content hash) is unique: a resend after a lost ACK is recognised
    and not stored twice, while a different message reusing a control id is stored with
    ``control_id_reused`` set.
    """

    sender = models.CharField(max_length=255)
    control_id = models.CharField(max_length=199)
    content_sha256 = models.CharField(max_length=64)
    message_type = models.CharField(max_length=16)
    sent_at = models.DateTimeField()
    received_at = models.DateTimeField()
    peer = models.CharField(max_length=64)
    device_eui64 = models.CharField(max_length=16, blank=True)
    room = models.ForeignKey(
        "booking.Room",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,  # see PlacedRecord
    )
    visit = models.ForeignKey(
        "visits.Visit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    control_id_reused = models.BooleanField(default=False)
    mappings = models.TextField(blank=True, help_text="vendor variants read as the clinic's terms")
    raw = models.TextField()

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sender", "control_id", "content_sha256"], name="monitoring_message_once"
            ),
        ]
        indexes = [
            models.Index(fields=["received_at"], name="monitoring_msg_received"),
            # A device's last message (the registry) and its unassigned data.
            models.Index(fields=["device_eui64", "received_at"], name="monitoring_msg_device"),
        ]

    def __str__(self) -> str:
        return f"{self.message_type} {self.control_id} from {self.sender}"


class PlacedRecord(InsertOnlyModel):
    """What one message said, placed where the storage found it: the device, its room and
    the visit running there at the time (room and visit empty: unassigned).

    No index of their own on the foreign keys (``db_index=False`` here, on ``NumericSet``
    and on ``DeviceMessage``): every index costs every row of every monitor message, and
    the reads go through each model's composite (visit or room, code, time) index, whose
    leading column serves the key as well. Rows are never deleted, so PROTECT never scans.

    No foreign-key constraints in the database either (``db_constraint=False``, and on
    ``DeviceMessage``'s room and visit): PostgreSQL checks each one per row at commit,
    three checks a row, about forty for a monitor message: a quarter of the database's
    work for the gateway. Only the gateway's storage writes these rows, and it takes every key
    in the batch's own transaction: the message ids it allocated for the rows it is
    inserting, the room from the registry, the visit from the visits it read. Rooms and
    visits are never deleted while rows point at them: PROTECT still refuses it in the ORM.
    """

    message = models.ForeignKey(
        DeviceMessage,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    device_eui64 = models.CharField(max_length=16, blank=True)
    room = models.ForeignKey(
        "booking.Room",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    visit = models.ForeignKey(
        "visits.Visit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        abstract = True


@dataclass(frozen=True, slots=True)
class Reading:
    """One numeric a device measured, as read back from its ``NumericSet``. ``value``
    None: the device said it was invalid (``raw_value`` keeps what it sent)."""

    code: int
    name: str
    value: Decimal | None
    raw_value: str
    unit: str
    observed_at: datetime
    status: str
    mapped_from: str


class NumericSet(PlacedRecord):
    """The numerics of one message from one device, placed in one room and visit: one row
    per monitor message instead of one per numeric.

    Why one row: a monitor sends fifteen numerics a second; as fifteen rows each cost the
    gateway a COPY row and PostgreSQL a heap tuple and two index entries, the largest share
    of both sides' work per message. The numerics are read a set at a time anyway (the
    latest of each, a visit's trends, a device's history), so they are packed, not
    columns: ``numerics`` is JSON, one ``[code, name, value, raw value, unit, observed
    at, status, mapped from]`` list per numeric (``pack_numerics``); the value is the
    decimal as text (four places, as the old column) or null when invalid, never zero;
    observed at is null when it is the set's ``observed_at``, else its own ISO time
    (NIBP is measured minutes before it is sent). ``codes`` (",147842,150456,") lets the
    latest-value reads find the newest set holding a code in the database without
    unpacking the rows in between.

    Numerics of one message placed differently (another device named in the message, or
    a time on the other side of a check-in) go to separate sets, so each keeps its own
    visit exactly as the storage placed it.
    """

    observed_at = models.DateTimeField(help_text="the newest numeric's time")
    first_observed_at = models.DateTimeField(help_text="the oldest numeric's time")
    codes = models.TextField()
    numerics = models.TextField()

    class Meta:
        ordering = ["observed_at", "id"]
        indexes = [
            models.Index(fields=["visit", "observed_at"], name="monitoring_numset_visit"),
            models.Index(fields=["device_eui64", "observed_at"], name="monitoring_numset_device"),
        ]

    def __str__(self) -> str:
        return f"{self.codes.count(',') - 1} numerics at {self.observed_at}"

    def readings(self) -> list[Reading]:
        return unpack_numerics(self.numerics, self.observed_at)


PackedNumeric = tuple[int, str, Decimal | None, str, str, datetime, str, str]


def pack_numerics(rows: Sequence[PackedNumeric], set_at: datetime) -> str:
    """``NumericSet.numerics`` for ``rows`` (code, name, value, raw value, unit, observed
    at, status, mapped from); ``set_at`` is the set's ``observed_at``."""
    return json.dumps(
        [
            [
                code, name, None if value is None else str(value), raw, unit,
                None if at == set_at else at.astimezone(UTC).isoformat(), status, mapped,
            ]
            for code, name, value, raw, unit, at, status, mapped in rows
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )  # fmt: skip


def numeric_codes(codes: Iterable[int]) -> str:
    """``NumericSet.codes``: every code between commas, so ``,<code>,`` finds one."""
    return "," + ",".join(str(code) for code in codes) + ","


def unpack_numerics(text: str, set_at: datetime) -> list[Reading]:
    return [
        Reading(
            int(code), name, None if value is None else Decimal(value), raw, unit,
            set_at if at is None else datetime.fromisoformat(at).astimezone(UTC),
            status, mapped,
        )
        for code, name, value, raw, unit, at, status, mapped in json.loads(text)
    ]  # fmt: skip


class WaveformChunk(PlacedRecord):
    """A few seconds of one waveform: float32 samples, little-endian, NaN where invalid."""

    code = models.PositiveIntegerField(help_text="MDC code")
    name = models.CharField(max_length=64)
    unit = models.CharField(max_length=40, blank=True)
    start_at = models.DateTimeField()
    sample_rate_hz = models.PositiveIntegerField()
    sample_count = models.PositiveIntegerField()
    samples = models.BinaryField()

    class Meta:
        ordering = ["start_at", "id"]
        indexes = [
            models.Index(fields=["room", "code", "start_at"], name="monitoring_wave_room"),
            models.Index(fields=["visit", "code", "start_at"], name="monitoring_wave_visit"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.sample_count} samples from {self.start_at}"


class DeviceAlert(PlacedRecord):
    """An alarm a device itself reported (PCD-04), as it reported it."""

    alert_id = models.CharField(max_length=64, blank=True)
    source_code = models.PositiveIntegerField()
    source_name = models.CharField(max_length=64, blank=True)
    event_code = models.PositiveIntegerField()
    event_name = models.CharField(max_length=64, blank=True)
    priority = models.CharField(max_length=8)
    source = models.CharField(max_length=16)
    phase = models.CharField(max_length=16, blank=True)
    state = models.CharField(max_length=16, blank=True)
    inactivation = models.CharField(max_length=24, blank=True)
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["visit", "at"], name="monitoring_alert_visit")]

    def __str__(self) -> str:
        return f"{self.event_name} on {self.source_name} at {self.at}"


class PumpReport(PlacedRecord):
    """A pump event (PCD-10) with the totals the pump reported with it."""

    event_code = models.PositiveIntegerField()
    event_name = models.CharField(max_length=64)
    program_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField()
    rate_ml_per_h = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    volume_delivered_ml = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    volume_remaining_ml = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    dose_delivered_mg = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["visit", "at"], name="monitoring_pump_visit")]

    def __str__(self) -> str:
        return f"{self.event_name} at {self.at}"


class AlarmPriority(models.TextChoices):
    """IEC 60601-1-8 priorities (reference/devices.md)."""

    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"
    ADVISORY = "advisory", "Advisory"


class AlarmKind(models.TextChoices):
    PHYSIOLOGICAL = "physiological", "Physiological"
    TECHNICAL = "technical", "Technical"
    ADVISORY = "advisory", "Advisory"


class AlarmState(models.TextChoices):
    ACTIVE = "active", "Active"
    CLEARED = "cleared", "Condition over, waiting for acknowledgement (latched)"
    ENDED = "ended", "Ended"


class Alarm(models.Model):
    """One alarm the clinic's alarm engine raised, with its current state.

    The state changes (acknowledged, silenced, escalated, ended); what changed, who did
    it and when is in ``AlarmEvent``, which is never edited.
    """

    alarm_id = models.CharField(max_length=80, unique=True, help_text="the engine's id")
    room = models.ForeignKey("booking.Room", on_delete=models.PROTECT, related_name="alarms")
    visit = models.ForeignKey(
        "visits.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="alarms"
    )
    condition = models.CharField(max_length=48)
    parameter_code = models.PositiveIntegerField(null=True, blank=True, help_text="MDC code")
    priority = models.CharField(max_length=8, choices=AlarmPriority.choices)
    kind = models.CharField(max_length=16, choices=AlarmKind.choices)
    message = models.CharField(max_length=200)
    value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    limit = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    raised_at = models.DateTimeField()
    state = models.CharField(max_length=8, choices=AlarmState.choices, default=AlarmState.ACTIVE)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    silenced_until = models.DateTimeField(null=True, blank=True)
    escalation_tier = models.PositiveSmallIntegerField(default=1)
    cleared_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        indexes = [
            models.Index(fields=["room", "state"], name="monitoring_alarm_room"),
            models.Index(fields=["visit", "raised_at"], name="monitoring_alarm_visit"),
        ]

    def __str__(self) -> str:
        return f"{self.priority} {self.condition} in room {self.room_id} at {self.raised_at}"


class AlarmEventKind(models.TextChoices):
    RAISED = "raised", "Raised"
    UPDATED = "updated", "Changed"
    CLEARED = "cleared", "Condition over"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    SILENCED = "silenced", "Audio paused"
    SILENCE_ENDED = "silence_ended", "Audio resumed"
    ESCALATED = "escalated", "Escalated"
    ENDED = "ended", "Ended"
    INTERLOCK = "interlock", "Pump paused by the interlock"


class AlarmEvent(InsertOnlyModel):
    """What happened to an alarm: who responded and when (``by`` empty: the system)."""

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=AlarmEventKind.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    detail = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} at {self.at}"


class AlarmStrip(InsertOnlyModel):
    """The waveform from 10 s before to 10 s after an alarm, kept with the alarm."""

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="strips")
    code = models.PositiveIntegerField(help_text="MDC code")
    name = models.CharField(max_length=64)
    start_at = models.DateTimeField()
    sample_rate_hz = models.PositiveIntegerField()
    sample_count = models.PositiveIntegerField()
    samples = models.BinaryField()

    class Meta:
        ordering = ["alarm", "code"]

    def __str__(self) -> str:
        return f"{self.name} strip of {self.alarm_id}"


class PumpProgramSent(InsertOnlyModel):
    """A PCD-03 program the clinic sent to a pump, and the pump's answer.

    ``order_control``: NW a new program, XO a titration, HD hold (pause), RL release.
    ``reply_code`` AA: the pump took it (a new program still waits for the nurse's
    confirmation at the pump); AE/AR: refused, with the pump's reason; empty: no answer
    (the pump was unreachable or silent), so nothing can be assumed to run.
    """

    visit = models.ForeignKey(
        "visits.Visit", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="programs")
    program_id = models.CharField(max_length=64)
    order_control = models.CharField(max_length=2)
    rate_ml_per_h = models.DecimalField(max_digits=8, decimal_places=2)
    volume_to_infuse_ml = models.DecimalField(max_digits=8, decimal_places=2)
    concentration_mg_per_ml = models.DecimalField(max_digits=8, decimal_places=3)
    control_id = models.CharField(max_length=64)
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True, help_text="why (the interlock's alarm)")
    reply_code = models.CharField(max_length=2, blank=True)
    reply_text = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["device", "sent_at"], name="monitoring_program_device")]

    def __str__(self) -> str:
        return f"{self.order_control} {self.program_id} to {self.device_id}: {self.reply_code}"

    @property
    def order_control_label(self) -> str:
        return {"NW": "new program", "XO": "titration", "HD": "hold", "RL": "release"}.get(
            self.order_control, self.order_control
        )


class AlarmLimitAdjustment(InsertOnlyModel):
    """A prescriber's change of one alarm limit for one patient, with the reason.

    Applied in order over the clinic's limits (``alarms.limits.effective_limits``) from the
    next time the patient's room is monitored, or at once if it is; going back to the
    clinic's value is another adjustment, so the history stays whole.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="alarm_limit_adjustments"
    )
    parameter_code = models.PositiveIntegerField(help_text="MDC code")
    priority = models.CharField(max_length=8)
    side = models.CharField(max_length=4)
    limit = models.DecimalField(max_digits=8, decimal_places=2)
    reason = models.CharField(max_length=300)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["patient", "at", "id"]

    def __str__(self) -> str:
        return f"{self.parameter_code} {self.side} {self.limit} for {self.patient_id}"
