"""IHE PCD messages as a device writes them: PCD-01, PCD-04, PCD-10, PCD-03 and replies.

The simulators (``devices/sim``) send these to the gateway, and the gateway's tests use
them as realistic input. Every message reads back through ``pcd.interpret`` to the values
put in (the tests check the round trip) and passes hl7apy's strict v2.6 parse.

Choices, with why:

- Version 2.6, MSH-21 the profile of each transaction (all under the IHE PCD OID, which is
  what receivers match on), original-mode acknowledgement (MSH-15 ``NE``, MSH-16 ``AL``).
- PCD-04 and PCD-10 are ``ORU^R40^ORU_R01`` and ``ORU^R42^ORU_R01``: IHE defines both on
  the ORU_R01 structure, and hl7apy (which has no ORU_R40/R42 structure in v2.6) can then
  validate them strictly.
- An invalid measurement (probe off) is an empty OBX-5 with OBX-11 ``X``: never 0, and
  still a valid NM field (``-?-`` is what some monitors show, but it is not an NM value).
- Times carry milliseconds and the zone offset, so a waveform chunk's start is exact.
- Control ids: the device's EUI-64, a session tag and a counter, so two runs of the same
  simulated device never reuse an id (MSH-10 with MSH-3 identifies a message).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Final, Literal

from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.hl7_codec import Message, escape

VERSION: Final = "2.6"
# MSH-21 profiles. The DEC one is from reference/devices.md; the ACM, IPEC and PIV
# profile OIDs follow the IHE PCD numbering under the same root (verify): receivers match
# on the root 1.3.6.1.4.1.19376.1.6.
PROFILE_DEC: Final = "IHE_PCD_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.1.1^ISO"
PROFILE_ACM: Final = "IHE_PCD_ACM_001^IHE PCD^1.3.6.1.4.1.19376.1.6.4.4^ISO"  # verify
PROFILE_IPEC: Final = "IHE_PCD_IPEC_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.10.1^ISO"  # verify
PROFILE_PIV: Final = "IHE_PCD_PIV_001^IHE PCD^1.3.6.1.4.1.19376.1.6.1.3.1^ISO"  # verify

# OBR-4 of each transaction (reference/devices.md).
OBR_MONITORING: Final = "182777000^monitoring of patient^SNOMED-CT"
RECEIVER_APPLICATION: Final = "KC_GATEWAY"
RECEIVER_FACILITY: Final = "KC"

# Alarm facet terms of PCD-04 (IHE ACM; verify against IEEE 11073-10101).
EVENT_PHASE: Final = mdc.Term(68481, "MDC_ATTR_EVENT_PHASE")  # verify
ALARM_STATE: Final = mdc.Term(68482, "MDC_ATTR_ALARM_STATE")  # verify
ALARM_INACTIVATION_STATE: Final = mdc.Term(68483, "MDC_ATTR_ALARM_INACTIVATION_STATE")  # verify

# Pump events of PCD-10 (IHE IPEC names; the numbers are this clinic's reading of the
# nomenclature and must be verified: receivers here also match by name).
PUMP_DELIVERY_START: Final = mdc.Term(196672, "MDC_EVT_PUMP_DELIV_START")  # verify
PUMP_DELIVERY_STOP: Final = mdc.Term(196674, "MDC_EVT_PUMP_DELIV_STOP")  # verify
PUMP_DELIVERY_COMPLETE: Final = mdc.Term(196676, "MDC_EVT_PUMP_DELIV_COMP")  # verify
PUMP_DELIVERY_PAUSE: Final = mdc.Term(196678, "MDC_EVT_PUMP_DELIV_PAUSE")  # verify
PUMP_DELIVERY_RESTART: Final = mdc.Term(196680, "MDC_EVT_PUMP_DELIV_RESTART")  # verify
PUMP_RATE_CHANGE: Final = mdc.Term(196682, "MDC_EVT_PUMP_PROG_RATE_CHANGE")  # verify
PUMP_NEAR_END: Final = mdc.Term(196684, "MDC_EVT_PUMP_DELIV_NEAR_END")  # verify
# Technical alarms of the pump (PCD-04, source ST); verify the numbers.
PUMP_OCCLUSION: Final = mdc.Term(196866, "MDC_EVT_PUMP_OCCL")  # verify
PUMP_NEAR_EMPTY: Final = mdc.Term(196868, "MDC_EVT_PUMP_NEAR_EMPTY")  # verify
PUMP_EMPTY: Final = mdc.Term(196870, "MDC_EVT_PUMP_EMPTY")  # verify
SENSOR_OFF: Final = mdc.Term(196880, "MDC_EVT_LEAD_OFF")  # verify: probe/lead off

# PCD-03 terms (reference/devices.md: RXG-7 263762 MDC_DIM_MILLI_L; the rest verify).
DIM_MILLI_L: Final = f"{mdc.MILLI_L}^MDC_DIM_MILLI_L^MDC"
DIM_MILLI_L_PER_HR: Final = f"{mdc.PUMP_RATE.unit_code}^{mdc.PUMP_RATE.unit}^MDC"
DIM_MILLI_G: Final = f"{mdc.PUMP_DOSE_DELIVERED.unit_code}^{mdc.PUMP_DOSE_DELIVERED.unit}^MDC"
PATIENT_WEIGHT: Final = mdc.Term(188740, "MDC_ATTR_PT_WEIGHT", 263875, "MDC_DIM_KILO_G")  # verify
ROUTE_IV: Final = "IV^Intravenous^HL70162"
# Drug codes the pumps' library knows (RXG-4): the clinic's own coding system.
DRUG_CODING_SYSTEM: Final = "KC_DRUG"

Priority = Literal["PH", "PM", "PL", "PN"]
AlarmSource = Literal["SP", "ST", "SA"]


ORDER_CONTROLS: Final = frozenset({"NW", "XO", "HD", "RL"})


class ProgramRejected(ValueError):
    """A PCD-03 program the pump cannot take; ``field`` names the part, ``reason`` why."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field = field_name
        self.reason = reason


# ----------------------------------------------------------------------------------------
# Identity and formatting
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sender:
    """The sending device: MSH-3 is ``application^EUI-64^EUI-64``."""

    application: str
    eui64: str
    facility: str = ""

    def __post_init__(self) -> None:
        if len(self.eui64) != 16 or any(c not in "0123456789ABCDEF" for c in self.eui64):
            raise ValueError(f"eui64: {self.eui64!r} is not 16 upper-case hex digits")
        # HD-1 (namespace id) is at most 20 characters on the wire in v2.6.
        if not self.application or len(escape(self.application)) > 20:
            raise ValueError("application: must be 1-20 characters once escaped (HD-1)")

    @property
    def msh3(self) -> str:
        return f"{escape(self.application)}^{self.eui64}^EUI-64"


class ControlIds:
    """MSH-10 values unique per sender: ``<EUI-64>-<session>-<counter>``."""

    def __init__(self, eui64: str, session: str | None = None) -> None:
        self._eui64 = eui64
        # Milliseconds since the epoch, in hex: a new run of the simulator never repeats ids.
        self._session = session if session is not None else format(time.time_ns() // 10**6, "x")
        self._counter = itertools.count(1)

    def next(self) -> str:
        return f"{self._eui64}-{self._session}-{next(self._counter)}"


def hl7_time(moment: datetime) -> str:
    """An HL7 DTM with milliseconds and the offset (``20261126093000.250+0000``)."""
    if moment.tzinfo is None:
        raise ValueError("time: must be timezone-aware (devices send their offset)")
    return (
        moment.strftime("%Y%m%d%H%M%S")
        + f".{moment.microsecond // 1000:03d}"
        + (moment.strftime("%z") or "+0000")
    )


def decimal_of(value: float | Decimal | None, places: int) -> Decimal | None:
    """A measurement rounded to what a device displays (``places`` decimals); None stays."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(f"{value:.{places}f}")


def _nm(value: Decimal | None) -> str:
    return "" if value is None else format(value, "f")


def _term(term: mdc.Term) -> str:
    return f"{term.code}^{term.name}^MDC"


def _unit(term: mdc.Term) -> str:
    return f"{term.unit_code}^{term.unit}^MDC" if term.unit_code is not None else ""


def _msh(
    sender: Sender, message_type: str, control_id: str, sent_at: datetime, profile: str
) -> str:
    return "|".join(
        [
            "MSH",
            "^~\\&",
            sender.msh3,
            escape(sender.facility),
            RECEIVER_APPLICATION,
            RECEIVER_FACILITY,
            hl7_time(sent_at),
            "",
            message_type,
            escape(control_id),
            "P",
            VERSION,
            "",
            "",
            "NE",
            "AL",
            "",
            "",
            "",
            "",
            profile,
        ]
    )


def _pid(patient_id: str) -> list[str]:
    # PID-5 is required in v2.6: a device knows no name, so the name type is U (unspecified).
    return [f"PID|||{escape(patient_id)}^^^KC^MR||^^^^^^U"] if patient_id else []


class _Rows:
    """OBX rows with their set ids (OBX-1) numbered in order."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(
        self,
        value_type: str,
        code: str,
        containment: str,
        value: str = "",
        unit: str = "",
        *,
        flags: str = "",
        status: str = "R",
        at: datetime | None = None,
        device: str = "",
    ) -> None:
        fields = [
            "OBX",
            str(len(self.lines) + 1),
            value_type,
            code,
            containment,
            value,
            unit,
            "",
            flags,
            "",
            "",
            status,
            "",
            "",
            hl7_time(at) if at else "",
            "",
            "",
            "",
            f"{device}^EUI-64" if device else "",
        ]
        self.lines.append("|".join(fields).rstrip("|"))


def _join(segments: Iterable[str]) -> str:
    return "\r".join(segments) + "\r"


def _pcd01(sender: Sender, control_id: str, sent_at: datetime, rows: _Rows, patient_id: str) -> str:
    """A PCD-01 ``ORU^R01``: MSH, PID, one monitoring OBR (placer id = the control id), the
    rows; shared by the monitor's and the pump's observation messages."""
    return _join(
        [
            _msh(sender, "ORU^R01^ORU_R01", control_id, sent_at, PROFILE_DEC),
            *_pid(patient_id),
            _obr(
                1, f"{escape(control_id)}^{escape(sender.application)}", "", OBR_MONITORING, sent_at
            ),
            *rows.lines,
        ]
    )


def _obr(set_id: int, placer: str, filler: str, code: str, at: datetime) -> str:
    return f"OBR|{set_id}|{placer}|{filler}|{code}|||{hl7_time(at)}"


# ----------------------------------------------------------------------------------------
# PCD-01: observations
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NumericValue:
    """One numeric metric; ``value`` None = the device has no valid value (sent empty, X)."""

    term: mdc.Term
    value: Decimal | None


@dataclass(frozen=True, slots=True)
class NibpReading:
    """One cuff measurement: the 150020 parent row with systolic, diastolic and mean."""

    systolic_mmhg: Decimal | None
    diastolic_mmhg: Decimal | None
    mean_mmhg: Decimal | None
    measured_at: datetime


@dataclass(frozen=True, slots=True)
class WaveformChunk:
    """``samples`` at ``sample_rate_hz`` from ``start_at``; a None sample is invalid."""

    term: mdc.Term
    sample_rate_hz: int
    start_at: datetime
    samples: Sequence[float | None]
    places: int = 3

    def __post_init__(self) -> None:
        if self.sample_rate_hz <= 0:
            raise ValueError("sample_rate_hz: must be > 0")
        if not self.samples:
            raise ValueError("samples: a chunk needs at least one sample")


def build_observation(
    sender: Sender,
    control_id: str,
    sent_at: datetime,
    *,
    numerics: Sequence[NumericValue] = (),
    nibp: NibpReading | None = None,
    waveforms: Sequence[WaveformChunk] = (),
    patient_id: str = "",
    mds: mdc.Term = mdc.MONITOR_MDS,
) -> str:
    """A PCD-01 ``ORU^R01`` with numerics, an NIBP group and waveform chunks.

    Containment: the MDS row ``1`` carries the EUI-64 (OBX-18) and the time; numerics sit
    at ``1.1.1.n``, the NIBP group at ``1.2.1`` (parent row with the measurement time)
    with ``1.2.1.1-3``, waveform ``n`` at ``1.3.1.n`` with its ``MDC_ATTR_SAMP_RATE``
    facet one level deeper (``1.3.1.n.1``), as ``pcd.interpret`` reads them.
    """
    if not (numerics or nibp or waveforms):
        raise ValueError("observation: needs numerics, an NIBP reading or waveforms")
    rows = _Rows()
    rows.add("", _term(mds), "1", status="X", at=sent_at, device=sender.eui64)
    for n, numeric in enumerate(numerics, start=1):
        rows.add(
            "NM",
            _term(numeric.term),
            f"1.1.1.{n}",
            _nm(numeric.value),
            _unit(numeric.term),
            status="R" if numeric.value is not None else "X",
        )
    if nibp is not None:
        rows.add("", _term(mdc.NIBP), "1.2.1", status="X", at=nibp.measured_at)
        for n, (term, value) in enumerate(
            (
                (mdc.NIBP_SYSTOLIC, nibp.systolic_mmhg),
                (mdc.NIBP_DIASTOLIC, nibp.diastolic_mmhg),
                (mdc.NIBP_MEAN, nibp.mean_mmhg),
            ),
            start=1,
        ):
            rows.add(
                "NM",
                _term(term),
                f"1.2.1.{n}",
                _nm(value),
                _unit(term),
                status="R" if value is not None else "X",
            )
    for n, wave in enumerate(waveforms, start=1):
        samples = "^".join("" if s is None else f"{s:.{wave.places}f}" for s in wave.samples)
        rows.add("NA", _term(wave.term), f"1.3.1.{n}", samples, _unit(wave.term), at=wave.start_at)
        rows.add(
            "NM",
            _term(mdc.SAMPLE_RATE),
            f"1.3.1.{n}.1",
            str(wave.sample_rate_hz),
            _unit(mdc.SAMPLE_RATE),
        )
    return _pcd01(sender, control_id, sent_at, rows, patient_id)


# ----------------------------------------------------------------------------------------
# PCD-04: alerts
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm report: the five facets of IHE ACM."""

    alarm_id: str  # OBR-3: the same for the alarm's start, continue and end
    source: mdc.Term  # the metric (or device) that alarmed
    event: mdc.Term  # e.g. MDC_EVT_HI, MDC_EVT_PUMP_OCCL
    priority: Priority
    kind: AlarmSource  # SP physiological, ST technical, SA advisory
    phase: str  # start, continue, end
    state: str  # active, inactive, latched
    inactivation: str  # enabled, audio-paused, acknowledged
    at: datetime
    value: Decimal | None = None  # the triggering value, in the source's unit
    abnormal_flag: str = ""  # H, L, or empty for technical alarms


def build_alert(
    sender: Sender,
    control_id: str,
    sent_at: datetime,
    alarm: Alarm,
    *,
    patient_id: str = "",
    mds: mdc.Term = mdc.MONITOR_MDS,
) -> str:
    """A PCD-04 ``ORU^R40^ORU_R01``: facets ``.1``-``.5`` under the alarm's containment,
    OBX-8 of ``.1`` the flags (``H~PH~SP``), OBR-3 the alarm id."""
    flags = "~".join(f for f in (alarm.abnormal_flag, alarm.priority, alarm.kind) if f)
    rows = _Rows()
    rows.add("", _term(mds), "1", status="X", at=alarm.at, device=sender.eui64)
    base = "1.1.1.1"
    rows.add("CWE", _term(alarm.source), f"{base}.1", _term(alarm.event), flags=flags)
    if alarm.value is not None:
        rows.add("NM", _term(alarm.source), f"{base}.2", _nm(alarm.value), _unit(alarm.source))
    rows.add("ST", _term(EVENT_PHASE), f"{base}.3", escape(alarm.phase))
    rows.add("ST", _term(ALARM_STATE), f"{base}.4", escape(alarm.state))
    rows.add("ST", _term(ALARM_INACTIVATION_STATE), f"{base}.5", escape(alarm.inactivation))
    return _join(
        [
            _msh(sender, "ORU^R40^ORU_R01", control_id, sent_at, PROFILE_ACM),
            *_pid(patient_id),
            _obr(
                1,
                f"{escape(control_id)}^{escape(sender.application)}",
                f"{escape(alarm.alarm_id)}^{escape(sender.application)}",
                _term(mdc.EVT_ALARM),
                alarm.at,
            ),
            *rows.lines,
        ]
    )


# ----------------------------------------------------------------------------------------
# PCD-10: pump events
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PumpTotals:
    rate_ml_per_h: Decimal | None
    volume_delivered_ml: Decimal | None
    volume_remaining_ml: Decimal | None
    dose_delivered_mg: Decimal | None


def _pump_rows(rows: _Rows, sender: Sender, totals: PumpTotals, at: datetime) -> None:
    rows.add("", _term(mdc.PUMP_MDS), "1", status="X", at=at, device=sender.eui64)
    rows.add("", _term(mdc.PUMP_CHANNEL), "1.1.1", status="X")
    for n, (term, value) in enumerate(
        (
            (mdc.PUMP_RATE, totals.rate_ml_per_h),
            (mdc.PUMP_VOLUME_DELIVERED, totals.volume_delivered_ml),
            (mdc.PUMP_VOLUME_REMAINING, totals.volume_remaining_ml),
            (mdc.PUMP_DOSE_DELIVERED, totals.dose_delivered_mg),
        ),
        start=1,
    ):
        rows.add(
            "NM",
            _term(term),
            f"1.1.1.{n}",
            _nm(value),
            _unit(term),
            status="R" if value is not None else "X",
        )


def build_pump_event(
    sender: Sender,
    control_id: str,
    sent_at: datetime,
    *,
    event: mdc.Term,
    program_id: str,
    at: datetime,
    totals: PumpTotals,
    patient_id: str = "",
) -> str:
    """A PCD-10 ``ORU^R42^ORU_R01``: OBR-2 the program id, OBR-4 the event, OBX rows the
    rate, volume delivered and remaining, and dose delivered at the event."""
    rows = _Rows()
    _pump_rows(rows, sender, totals, at)
    return _join(
        [
            _msh(sender, "ORU^R42^ORU_R01", control_id, sent_at, PROFILE_IPEC),
            *_pid(patient_id),
            _obr(
                1,
                f"{escape(program_id)}^{escape(sender.application)}",
                f"{escape(control_id)}^{escape(sender.application)}",
                _term(event),
                at,
            ),
            *rows.lines,
        ]
    )


def build_pump_numerics(
    sender: Sender,
    control_id: str,
    sent_at: datetime,
    totals: PumpTotals,
    *,
    patient_id: str = "",
) -> str:
    """A PCD-01 ``ORU^R01`` from a pump: rate, volumes and dose under the delivery channel."""
    rows = _Rows()
    _pump_rows(rows, sender, totals, sent_at)
    return _pcd01(sender, control_id, sent_at, rows, patient_id)


# ----------------------------------------------------------------------------------------
# PCD-03: the program sent to the pump, and the pump's replies
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InfusionProgram:
    """A pump program as the pump reads it from RGV^O15 (a proposal until confirmed)."""

    program_id: str  # ORC-2
    drug: str  # RXG-4 code, e.g. KETAMINE
    concentration_mg_per_ml: Decimal  # RXG-17 (mg) per RXG-23 (mL)
    rate_ml_per_h: Decimal  # RXG-15, units RXG-16
    volume_to_infuse_ml: Decimal  # RXG-5, units RXG-7
    patient_weight_kg: Decimal | None = None  # OBX MDC_ATTR_PT_WEIGHT, when sent
    patient_id: str = ""
    # ORC-1: NW a new program, XO a change (titration), HD hold (pause the running
    # program: the interlock), RL release (resume it); HL7 order control codes.
    order_control: str = "NW"


def build_program(
    sender: Sender,
    control_id: str,
    sent_at: datetime,
    program: InfusionProgram,
    *,
    drug_name: str = "",
    room: str = "",
) -> str:
    """A PCD-03 ``RGV^O15^RGV_O15`` carrying ``program`` to a pump.

    ``sender`` is the clinic (the order filler); its EUI-64 is the clinic system's id.
    """
    if program.order_control not in ORDER_CONTROLS:
        raise ValueError("order_control: must be NW (new), XO (change), HD (hold) or RL (release)")
    pv1 = [f"PV1||O|{escape(room)}"] if room else []
    rxg = [
        "RXG",
        "1",  # RXG-1 give sub-id counter
        "",
        "",
        f"{escape(program.drug)}^{escape(drug_name or program.drug)}^{DRUG_CODING_SYSTEM}",
        _nm(program.volume_to_infuse_ml),  # RXG-5
        "",
        DIM_MILLI_L,  # RXG-7
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        _nm(program.rate_ml_per_h),  # RXG-15
        DIM_MILLI_L_PER_HR,  # RXG-16
        _nm(program.concentration_mg_per_ml),  # RXG-17 strength (per RXG-23 mL)
        DIM_MILLI_G,  # RXG-18
        "",
        "",
        "",
        "",
        "1",  # RXG-23 drug strength volume
        DIM_MILLI_L,  # RXG-24
    ]
    segments = [
        _msh(sender, "RGV^O15^RGV_O15", control_id, sent_at, PROFILE_PIV),
        *(_pid(program.patient_id) if program.patient_id else ["PID|||UNKNOWN^^^KC^MR||^^^^^^U"]),
        *pv1,
        f"ORC|{program.order_control}|{escape(program.program_id)}^{escape(sender.application)}",
        "|".join(rxg),
        # TQ1 (TIMING_GIVE) is required after RXG in v2.6: TQ1-7 start = now, at the pump.
        f"TQ1|1||||||{hl7_time(sent_at)}",
        f"RXR|{ROUTE_IV}",
    ]
    # The give group's OBSERVATION is required in v2.6: the weight row always goes, empty
    # with OBX-11 X when the weight is not known.
    weight_status = "X" if program.patient_weight_kg is None else "F"
    segments.append(
        f"OBX|1|NM|{_term(PATIENT_WEIGHT)}||{_nm(program.patient_weight_kg)}|"
        f"{_unit(PATIENT_WEIGHT)}|||||{weight_status}"
    )
    return _join(segments)


def _decimal_field(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise ProgramRejected(where, f"{text!r} is not a number") from None
    if not value.is_finite():
        raise ProgramRejected(where, f"{text!r} is not a finite number")
    return value


def read_program(message: Message) -> InfusionProgram:
    """The pump's reading of a PCD-03 ``RGV^O15``; ``ProgramRejected`` names what is wrong.

    Only the structure is checked here (fields present, numbers, units); whether the pump
    can run it (its maximum rate, a known drug) is the pump's own check.
    """
    if message.message_type != "RGV^O15":
        raise ProgramRejected("MSH-9", f"{message.message_type!r} is not RGV^O15")
    orc = message.all("ORC")
    rxg = message.all("RXG")
    if not orc:
        raise ProgramRejected("ORC", "the program has no ORC segment")
    if not rxg:
        raise ProgramRejected("RXG", "the program has no RXG segment")
    if len(rxg) > 1:
        raise ProgramRejected("RXG", "one program per message (several RXG segments)")
    program_id = orc[0].component(2, 1)
    if not program_id:
        raise ProgramRejected("ORC-2", "the program id is empty")
    give = rxg[0]
    drug = give.component(4, 1)
    if not drug:
        raise ProgramRejected("RXG-4", "the drug is empty")
    volume = _decimal_field(give.field(5), "RXG-5")
    if give.component(7, 1) != str(mdc.MILLI_L):
        raise ProgramRejected("RXG-7", f"volume units must be {DIM_MILLI_L}")
    rate = _decimal_field(give.field(15), "RXG-15")
    if give.component(16, 1) != str(mdc.PUMP_RATE.unit_code):
        raise ProgramRejected("RXG-16", f"rate units must be {DIM_MILLI_L_PER_HR}")
    strength = _decimal_field(give.field(17), "RXG-17")
    if give.component(18, 1) != str(mdc.PUMP_DOSE_DELIVERED.unit_code):
        raise ProgramRejected("RXG-18", f"strength units must be {DIM_MILLI_G}")
    per_ml = _decimal_field(give.field(23) or "1", "RXG-23")
    if per_ml <= 0:
        raise ProgramRejected("RXG-23", "the strength volume must be > 0 mL")
    weight: Decimal | None = None
    for obx in message.all("OBX"):
        if obx.component(3, 2) == PATIENT_WEIGHT.name and obx.field(5):
            weight = _decimal_field(obx.field(5), "OBX-5 (patient weight)")
    pid = message.all("PID")
    patient_id = pid[0].component(3, 1) if pid else ""
    return InfusionProgram(
        program_id=program_id,
        drug=drug,
        concentration_mg_per_ml=strength / per_ml,
        rate_ml_per_h=rate,
        volume_to_infuse_ml=volume,
        patient_weight_kg=weight,
        patient_id="" if patient_id == "UNKNOWN" else patient_id,
        order_control=_order_control(orc[0].field(1) or "NW"),
    )


def _order_control(code: str) -> str:
    if code not in ORDER_CONTROLS:
        raise ProgramRejected("ORC-1", f"{code!r} is not NW, XO, HD or RL")
    return code


def _reply_msh(
    request: Message, sender: Sender, message_type: str, control_id: str, now: datetime
) -> str:
    msh = request.msh
    return "|".join(
        [
            "MSH",
            "^~\\&",
            sender.msh3,
            escape(sender.facility),
            msh.raw(3),
            msh.raw(4),
            hl7_time(now),
            "",
            message_type,
            escape(control_id),
            "P",
            VERSION,
            "",
            "",
            "NE",
            "AL",
            "",
            "",
            "",
            "",
            PROFILE_PIV,
        ]
    )


def build_program_accept(request: Message, sender: Sender, control_id: str, now: datetime) -> str:
    """The pump's ``ACK^O15^ACK`` (``MSA|AA``): the program is received, to be confirmed."""
    return _join(
        [
            _reply_msh(request, sender, "ACK^O15^ACK", control_id, now),
            f"MSA|AA|{request.msh.raw(10)}",
        ]
    )


def build_program_reject(
    request: Message,
    sender: Sender,
    control_id: str,
    now: datetime,
    *,
    reason: str,
    code: Literal["AE", "AR"] = "AE",
) -> str:
    """The pump's ``RRG^O16^RRG_O16`` with MSA ``AE``/``AR`` and ERR-8 the reason."""
    # ERR-3 207 application internal error (AE) / 200 unsupported (AR); ERR-4 E error.
    hl7_code = "207" if code == "AE" else "200"
    return _join(
        [
            _reply_msh(request, sender, "RRG^O16^RRG_O16", control_id, now),
            f"MSA|{code}|{request.msh.raw(10)}",
            f"ERR|||{hl7_code}|E||||{escape(reason)}",
        ]
    )


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """What a reply says: the code (AA/AE/AR), the control id it answers, ERR-8's text."""

    code: str
    acknowledged_control_id: str
    text: str = ""
    message_type: str = ""


def read_acknowledgement(message: Message) -> Acknowledgement:
    """An ACK, ACK^O15 or RRG^O16 read for a sender's retry logic."""
    msa = message.all("MSA")
    if not msa:
        raise ValueError("MSA: the reply has no MSA segment")
    err = message.all("ERR")
    text = err[0].field(8) if err else ""
    return Acknowledgement(
        code=msa[0].field(1),
        acknowledged_control_id=msa[0].field(2),
        text=text,
        message_type=message.message_type,
    )
