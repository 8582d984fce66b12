"""A simulated bedside monitor: the virtual patient's signs as PCD-01 over MLLP.

Cadence (like a real monitor's HL7 export):

- numerics every second: ECG heart rate, SpO2, oximeter pulse rate, respiratory rate,
  temperature (SpO2 and pulse rate empty with OBX-11 ``X`` while the probe is off);
- NIBP every ``nibp_interval_s`` (3-5 min; a first reading at the start) and on demand
  (``request_nibp``; the simulated nurse also presses it a minute into a hypertensive
  surge), in the numerics message of that second, as the 150020 group;
- waveforms, ECG lead II at 250 Hz and pleth at 125 Hz, in chunks of ``waveform_chunk_s``
  (1 s by default) in their OWN PCD-01 messages, one message per chunk holding both
  waves. Separate messages keep the numerics small and identical whether waveforms are
  on or off, and let a gateway under load be measured on each kind.

Message times are the scheduled simulated times (second k is stamped ``start + k s``), so
the cadence a test sees does not depend on how fast the machine is. Delivery goes
through ``MllpLink`` (ACK-wait, resend on AE or timeout, 3 tries, reconnect).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.pcd_build import (
    ControlIds,
    NibpReading,
    NumericValue,
    Sender,
    WaveformChunk,
    build_observation,
    decimal_of,
)
from ketamine_clinic.devices.sim.clock import Clock
from ketamine_clinic.devices.sim.link import MllpLink
from ketamine_clinic.devices.sim.patient import (
    NibpMeasurement,
    ScriptedEvent,
    VirtualPatient,
    Vitals,
)


@dataclass(frozen=True, slots=True)
class MonitorConfig:
    numerics_interval_s: float = 1.0
    nibp_interval_s: float = 300.0  # reference/devices.md: NIBP every 3-5 min
    waveform_chunk_s: float = 1.0  # 0 turns waveforms off
    patient_id: str = ""  # PID-3 when the monitor was told the patient (often not)
    # The nurse presses the NIBP key this long into a hypertensive surge (the heart rate
    # climbs with it), so a true surge is measured, not left to the next cycle; None: no.
    nibp_after_surge_s: float | None = 60.0

    def __post_init__(self) -> None:
        if self.numerics_interval_s <= 0:
            raise ValueError("numerics_interval_s: must be > 0 s")
        if not 60.0 <= self.nibp_interval_s <= 3600.0:
            raise ValueError("nibp_interval_s: must be 60-3600 s")
        if self.waveform_chunk_s < 0:
            raise ValueError("waveform_chunk_s: must be >= 0 s (0 = no waveforms)")


class SimulatedMonitor:
    """Reads the patient on schedule and queues PCD-01 messages on its link."""

    def __init__(
        self,
        patient: VirtualPatient,
        sender: Sender,
        link: MllpLink,
        *,
        clock: Clock,
        config: MonitorConfig | None = None,
        control_ids: ControlIds | None = None,
    ) -> None:
        self.patient = patient
        self.sender = sender
        self.link = link
        self.clock = clock
        self.config = config or MonitorConfig()
        self.control_ids = control_ids or ControlIds(sender.eui64)
        self.last_vitals: Vitals | None = None
        self.last_nibp: NibpMeasurement | None = None
        self.numerics_messages = 0
        self.waveform_messages = 0
        self._nibp_requested = True  # a first reading when the monitor starts
        self._next_nibp_s = 0.0
        self._surges_checked: set[ScriptedEvent] = set()

    def request_nibp(self) -> None:
        """Take a cuff reading with the next numerics (the NIBP 'start' key)."""
        self._nibp_requested = True

    async def run(self, *, duration_s: float | None = None) -> None:
        """Monitor until cancelled, or for ``duration_s`` simulated seconds and then until
        every message is acknowledged or given up."""
        link_task = asyncio.create_task(self.link.run())
        try:
            await self._produce(duration_s)
            await self.link.drained()
        finally:
            link_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await link_task

    async def _produce(self, duration_s: float | None) -> None:
        interval = self.config.numerics_interval_s
        chunk_s = self.config.waveform_chunk_s
        next_wave_s = chunk_s
        tick = 0
        while True:
            t_s = tick * interval
            if duration_s is not None and t_s > duration_s:
                return
            await self.clock.sleep_until(t_s)
            self._nurse_checks(t_s)
            while chunk_s > 0 and next_wave_s <= t_s:
                self._send_waveforms(next_wave_s - chunk_s, chunk_s)
                next_wave_s += chunk_s
            self._send_numerics(t_s)
            tick += 1

    def _nurse_checks(self, t_s: float) -> None:
        delay = self.config.nibp_after_surge_s
        if delay is None:
            return
        for event in self.patient.events:
            if event.kind != "hypertension" or event in self._surges_checked:
                continue
            if event.at_s + delay <= t_s < event.at_s + event.duration_s:
                self._surges_checked.add(event)
                self.request_nibp()

    def _send_numerics(self, t_s: float) -> None:
        vitals = self.patient.vitals(t_s)
        self.last_vitals = vitals
        numerics = [
            NumericValue(mdc.HEART_RATE, decimal_of(vitals.hr_per_min, 0)),
            NumericValue(mdc.SPO2, decimal_of(vitals.spo2_percent, 0)),
            NumericValue(mdc.PULSE_RATE_OXIMETER, decimal_of(vitals.pulse_rate_per_min, 0)),
            NumericValue(mdc.RESP_RATE, decimal_of(vitals.rr_per_min, 0)),
            NumericValue(mdc.TEMPERATURE, decimal_of(vitals.temp_c, 1)),
        ]
        nibp: NibpReading | None = None
        if self._nibp_requested or t_s >= self._next_nibp_s:
            measured = self.patient.nibp(t_s)
            self.last_nibp = measured
            nibp = NibpReading(
                systolic_mmhg=decimal_of(measured.systolic_mmhg, 0),
                diastolic_mmhg=decimal_of(measured.diastolic_mmhg, 0),
                mean_mmhg=decimal_of(measured.mean_mmhg, 0),
                measured_at=self.clock.at(t_s),
            )
            self._nibp_requested = False
            self._next_nibp_s = t_s + self.config.nibp_interval_s
        text = build_observation(
            self.sender,
            self.control_ids.next(),
            self.clock.at(t_s),
            numerics=numerics,
            nibp=nibp,
            patient_id=self.config.patient_id,
        )
        self.link.send(text)
        self.numerics_messages += 1

    def _send_waveforms(self, start_s: float, chunk_s: float) -> None:
        patient = self.patient
        ecg_n = round(chunk_s * patient.ecg_sample_rate_hz)
        pleth_n = round(chunk_s * patient.pleth_sample_rate_hz)
        start_at = self.clock.at(start_s)
        text = build_observation(
            self.sender,
            self.control_ids.next(),
            self.clock.at(start_s + chunk_s),
            waveforms=[
                WaveformChunk(
                    mdc.ECG_LEAD_II,
                    patient.ecg_sample_rate_hz,
                    start_at,
                    patient.ecg_chunk(start_s, ecg_n),
                ),
                WaveformChunk(
                    mdc.PLETH,
                    patient.pleth_sample_rate_hz,
                    start_at,
                    patient.pleth_chunk(start_s, pleth_n),
                ),
            ],
            patient_id=self.config.patient_id,
        )
        self.link.send(text)
        self.waveform_messages += 1
