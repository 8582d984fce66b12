"""The gateway benchmark's messages: the simulators' mix, built once, stamped per send.

What a bedside room sends (``devices/sim``): the monitor a numerics message every second
and a waveform message every second (ECG lead II at 250 Hz and pleth at 125 Hz, one 1 s
chunk), the pump a PCD-01 with its rate, volumes and dose every 5 s. Over 5 s that is
5 numerics + 5 waveforms + 1 pump message: 2.2 messages/s per room.

The issue's main message is a 15-OBX monitor message: the MDS row, ten numerics (the
simulator's five: ECG heart rate, SpO2, oximeter pulse rate, respiratory rate,
temperature; and five a fuller monitor also exports: etCO2, inspired CO2, airway
respiratory rate, perfusion index, ST II) and the NIBP group (parent and three values).

Every message is built by the clinic's own builders (``devices/pcd_build``) from a
``VirtualPatient``, with a placeholder control id; ``Stamper`` then makes each send a
distinct message (a fresh MSH-10 and OBR-2) by joining pre-encoded byte pieces, so the
load generator spends almost nothing per message and no send is a resend of another.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Final

from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.mllp import END_BLOCK, START_BLOCK
from ketamine_clinic.devices.pcd_build import (
    PUMP_OCCLUSION,
    Alarm,
    NibpReading,
    NumericValue,
    PumpTotals,
    Sender,
    WaveformChunk,
    build_alert,
    build_observation,
    build_pump_numerics,
    decimal_of,
)
from ketamine_clinic.devices.sim.patient import VirtualPatient

PLACEHOLDER: Final = "KCBENCHCONTROLID"
SENT_AT: Final = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)

# Five more numerics a fuller monitor exports (capnography, perfusion, ST), so the main
# message has the 15 OBX rows. Codes from IEEE 11073-10101 as this bench reads
# it (verify); the gateway stores unknown codes as they come and the alarm engine ignores
# them, so they cost what any numeric costs.
ET_CO2: Final = mdc.Term(151708, "MDC_AWAY_CO2_ET", 266016, "MDC_DIM_MMHG")  # verify
INSP_CO2: Final = mdc.Term(151718, "MDC_AWAY_CO2_INSP_MIN", 266016, "MDC_DIM_MMHG")  # verify
AWAY_RESP_RATE: Final = mdc.Term(
    151594, "MDC_CO2_RESP_RATE", 264928, "MDC_DIM_RESP_PER_MIN"
)  # verify
PERFUSION_INDEX: Final = mdc.Term(
    150488, "MDC_PULS_OXIM_PERF_REL", 262688, "MDC_DIM_PERCENT"
)  # verify
ST_II: Final = mdc.Term(131842, "MDC_ECG_AMPL_ST_II", 266418, "MDC_DIM_MILLI_M")  # verify

# A room's 5 s: numerics and waveforms each second, the pump's numerics once.
MIX: Final = ("numerics", "waveform") * 5 + ("pump",)


def monitor_sender(eui64: str) -> Sender:
    return Sender("BenchMonitor", eui64)


def pump_sender(eui64: str) -> Sender:
    return Sender("BenchPump", eui64)


def numerics_message(sender: Sender, control_id: str, t_s: float = 30.0) -> str:
    """The 15-OBX monitor message: 10 numerics and an NIBP reading, from a virtual patient."""
    patient = VirtualPatient(weight_kg=70.0, seed=7, artefacts=False)
    vitals = patient.vitals(t_s)
    cuff = patient.nibp(t_s)
    at = SENT_AT + timedelta(seconds=t_s)
    numerics = [
        NumericValue(mdc.HEART_RATE, decimal_of(vitals.hr_per_min, 0)),
        NumericValue(mdc.SPO2, decimal_of(vitals.spo2_percent, 0)),
        NumericValue(mdc.PULSE_RATE_OXIMETER, decimal_of(vitals.pulse_rate_per_min, 0)),
        NumericValue(mdc.RESP_RATE, decimal_of(vitals.rr_per_min, 0)),
        NumericValue(mdc.TEMPERATURE, decimal_of(vitals.temp_c, 1)),
        NumericValue(ET_CO2, Decimal("36")),
        NumericValue(INSP_CO2, Decimal("0")),
        NumericValue(AWAY_RESP_RATE, decimal_of(vitals.rr_per_min, 0)),
        NumericValue(PERFUSION_INDEX, Decimal("3.2")),
        NumericValue(ST_II, Decimal("0.1")),
    ]
    nibp = NibpReading(
        systolic_mmhg=decimal_of(cuff.systolic_mmhg, 0),
        diastolic_mmhg=decimal_of(cuff.diastolic_mmhg, 0),
        mean_mmhg=decimal_of(cuff.mean_mmhg, 0),
        measured_at=at,
    )
    return build_observation(sender, control_id, at, numerics=numerics, nibp=nibp)


def waveform_message(sender: Sender, control_id: str, t_s: float = 30.0) -> str:
    """One second of ECG lead II (250 Hz) and pleth (125 Hz), as the monitor sends it."""
    patient = VirtualPatient(weight_kg=70.0, seed=7, artefacts=False)
    start_at = SENT_AT + timedelta(seconds=t_s)
    return build_observation(
        sender,
        control_id,
        start_at + timedelta(seconds=1),
        waveforms=[
            WaveformChunk(
                mdc.ECG_LEAD_II,
                patient.ecg_sample_rate_hz,
                start_at,
                patient.ecg_chunk(t_s, patient.ecg_sample_rate_hz),
            ),
            WaveformChunk(
                mdc.PLETH,
                patient.pleth_sample_rate_hz,
                start_at,
                patient.pleth_chunk(t_s, patient.pleth_sample_rate_hz),
            ),
        ],
    )


def pump_message(sender: Sender, control_id: str) -> str:
    """The pump's PCD-01: 35 mg over 55 min from a 1 mg/mL syringe, 20 min in."""
    totals = PumpTotals(
        rate_ml_per_h=Decimal("38.2"),
        volume_delivered_ml=Decimal("12.7"),
        volume_remaining_ml=Decimal("22.3"),
        dose_delivered_mg=Decimal("12.7"),
    )
    return build_pump_numerics(sender, control_id, SENT_AT, totals)


def occlusion_message(
    sender: Sender, control_id: str, alarm_id: str, phase: str, at: datetime
) -> str:
    """The pump's PCD-04 occlusion (source ST, high priority): ``start`` or ``end``."""
    active = phase != "end"
    alarm = Alarm(
        alarm_id, mdc.PUMP_CHANNEL, PUMP_OCCLUSION, "PH", "ST", phase,
        "active" if active else "inactive", "enabled", at,
    )  # fmt: skip
    return build_alert(sender, control_id, at, alarm, mds=mdc.PUMP_MDS)


@dataclass(frozen=True, slots=True)
class Stamper:
    """A message with its control id left open: ``framed(cid)`` is one MLLP frame."""

    pieces: tuple[bytes, ...]

    @classmethod
    def of(cls, text: str) -> Stamper:
        if PLACEHOLDER not in text:
            raise ValueError("text: has no placeholder control id to stamp")
        parts = text.encode("utf-8").split(PLACEHOLDER.encode())
        parts[0] = START_BLOCK + parts[0]
        parts[-1] = parts[-1] + END_BLOCK
        return cls(tuple(parts))

    def framed(self, control_id: str) -> bytes:
        return control_id.encode().join(self.pieces)

    def text(self, control_id: str) -> str:
        return control_id.join(p.decode("utf-8") for p in self.pieces).strip("\x0b\x1c\r")


def room_mix(monitor_eui64: str, pump_eui64: str) -> list[Stamper]:
    """One room's 5 s of messages in ``MIX`` order, ready to stamp."""
    built = {
        "numerics": numerics_message(monitor_sender(monitor_eui64), PLACEHOLDER),
        "waveform": waveform_message(monitor_sender(monitor_eui64), PLACEHOLDER),
        "pump": pump_message(pump_sender(pump_eui64), PLACEHOLDER),
    }
    return [Stamper.of(built[kind]) for kind in MIX]


def sample_texts() -> dict[str, str]:
    """The three kinds, with a fixed control id, for the parse-only comparison."""
    monitor = monitor_sender("02BE010000000001")
    pump = pump_sender("02BE020000000001")
    return {
        "15-OBX monitor numerics": numerics_message(monitor, "02BE010000000001-bench-1"),
        "waveform (ECG 250 Hz + pleth 125 Hz, 1 s)": waveform_message(
            monitor, "02BE010000000001-bench-2"
        ),
        "pump numerics": pump_message(pump, "02BE020000000001-bench-3"),
    }


def obx_count(text: str) -> int:
    return sum(1 for segment in text.split("\r") if segment.startswith("OBX|"))


def mix_rate_per_s(kinds: Sequence[str] = MIX) -> float:
    """Messages a second of one room sending the mix (5 s of it per cycle)."""
    return len(kinds) / 5.0
