"""One simulated infusion room: a virtual patient, its monitor and its syringe pump.

The pump's actual rate drives the patient; the monitor reads the patient; both send to
the gateway. Unless told otherwise the room also plays the clinic's part once: a few
seconds in (after the baseline NIBP) it sends the infusion program (PCD-03) to its own
pump over MLLP, which the demo's pump confirms by itself (``auto_confirm``).

Device ids are deterministic (``sim_eui64``), so the clinic can register room 3's
monitor and pump before the simulator starts.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Final, Literal

from ketamine_clinic.devices.pcd_build import ControlIds, InfusionProgram, Sender, build_program
from ketamine_clinic.devices.program_client import send_program
from ketamine_clinic.devices.sim.clock import Clock, SimClock
from ketamine_clinic.devices.sim.link import DEFAULT_ACK_TIMEOUT_S, MllpLink
from ketamine_clinic.devices.sim.monitor import MonitorConfig, SimulatedMonitor
from ketamine_clinic.devices.sim.patient import ScriptedEvent, VirtualPatient
from ketamine_clinic.devices.sim.pump import PumpConfig, SimulatedPump

DeviceKind = Literal["monitor", "pump", "orders"]
# 02: a locally administered EUI-64 (never a vendor's); 4B43 = "KC"; then the kind and
# the room number, so every simulated device id is fixed by what and where it is.
_KIND_CODES: Final[dict[DeviceKind, int]] = {"monitor": 0x01, "pump": 0x02, "orders": 0x0F}
RATE_RESOLUTION_ML_PER_H: Final = Decimal("0.1")  # a syringe pump's rate step


def sim_eui64(kind: DeviceKind, room_number: int) -> str:
    """The EUI-64 (16 upper-case hex digits) of the simulated ``kind`` in a room.

    >>> sim_eui64("monitor", 3)
    '024B430100000003'
    """
    if kind not in _KIND_CODES:
        raise ValueError(f"kind: {kind!r} is not one of {', '.join(_KIND_CODES)}")
    if not 0 <= room_number <= 0xFFFFFFFF:
        raise ValueError("room_number: must be 0-4294967295")
    return f"024B43{_KIND_CODES[kind]:02X}{room_number:08X}"


@dataclass(frozen=True)
class RoomConfig:
    room_number: int
    gateway_host: str
    gateway_port: int
    weight_kg: float = 70.0
    dose_mg_per_kg: float = 0.5  # reference/pharmacology.md: 0.5 mg/kg over 40 min
    infusion_min: float = 40.0
    concentration_mg_per_ml: float = 1.0
    pump_host: str = "127.0.0.1"
    pump_port: int = 0  # 0: any free port
    seed: int = 0
    events: Sequence[ScriptedEvent] = field(default=())
    random_events: bool = True
    start_program: bool = True  # the room sends the program to its pump itself
    program_after_s: float = 5.0
    auto_confirm: bool = True
    waveforms: bool = True
    nibp_interval_s: float = 300.0
    patient_id: str = ""
    ack_timeout_s: float = DEFAULT_ACK_TIMEOUT_S

    def __post_init__(self) -> None:
        for name in ("weight_kg", "dose_mg_per_kg", "infusion_min", "concentration_mg_per_ml"):
            value = getattr(self, name)
            if not value > 0:
                raise ValueError(f"{name}: must be > 0")

    def program(self) -> InfusionProgram:
        """The infusion: dose over the time, as mL/h at the pump's resolution."""
        dose_mg = Decimal(str(self.weight_kg)) * Decimal(str(self.dose_mg_per_kg))
        concentration = Decimal(str(self.concentration_mg_per_ml))
        volume_ml = (dose_mg / concentration).quantize(Decimal("0.01"), ROUND_HALF_UP)
        rate = (volume_ml * 60 / Decimal(str(self.infusion_min))).quantize(
            RATE_RESOLUTION_ML_PER_H, ROUND_HALF_UP
        )
        return InfusionProgram(
            program_id=f"SIM-R{self.room_number}-1",
            drug="KETAMINE",
            concentration_mg_per_ml=concentration,
            rate_ml_per_h=rate,
            volume_to_infuse_ml=volume_ml,
            patient_weight_kg=Decimal(str(self.weight_kg)),
            patient_id=self.patient_id,
        )


@dataclass(frozen=True, slots=True)
class RoomStatus:
    """One line's worth of what is happening in the room."""

    room_number: int
    t_s: float
    pump_state: str
    rate_ml_per_h: float
    volume_delivered_ml: float
    cp_ng_per_ml: float
    hr_per_min: float | None
    systolic_mmhg: float | None
    diastolic_mmhg: float | None
    spo2_percent: float | None
    acked: int
    retried: int
    dropped: int
    pending: int

    def line(self) -> str:
        def show(value: float | None, places: int = 0) -> str:
            return "--" if value is None else f"{value:.{places}f}"

        minutes, seconds = divmod(int(self.t_s), 60)
        return (
            f"room {self.room_number} {minutes:3d}:{seconds:02d} pump {self.pump_state} "
            f"{self.rate_ml_per_h:.1f} mL/h ({self.volume_delivered_ml:.1f} mL) "
            f"Cp {self.cp_ng_per_ml:.0f} ng/mL HR {show(self.hr_per_min)} "
            f"BP {show(self.systolic_mmhg)}/{show(self.diastolic_mmhg)} "
            f"SpO2 {show(self.spo2_percent)} acked {self.acked} retried {self.retried} "
            f"dropped {self.dropped} queued {self.pending}"
        )


class SimRoom:
    """Patient, monitor and pump of one room, wired together."""

    def __init__(self, config: RoomConfig, *, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        room = config.room_number
        self.patient = VirtualPatient(
            weight_kg=config.weight_kg,
            seed=config.seed,
            events=config.events,
            random_events_horizon_s=6 * 3600.0 if config.random_events else 0.0,
        )
        self.monitor_sender = Sender("KC_SIM_MONITOR", sim_eui64("monitor", room))
        self.pump_sender = Sender("KC_SIM_PUMP", sim_eui64("pump", room))
        self.orders_sender = Sender("KC_SIM_ORDERS", sim_eui64("orders", room))
        host, port = config.gateway_host, config.gateway_port
        self.monitor = SimulatedMonitor(
            self.patient,
            self.monitor_sender,
            MllpLink(
                host,
                port,
                clock=clock,
                ack_timeout_s=config.ack_timeout_s,
                name=f"room {room} monitor",
            ),
            clock=clock,
            config=MonitorConfig(
                nibp_interval_s=config.nibp_interval_s,
                waveform_chunk_s=1.0 if config.waveforms else 0.0,
                patient_id=config.patient_id,
            ),
        )
        self.pump = SimulatedPump(
            self.pump_sender,
            clock=clock,
            link=MllpLink(
                host,
                port,
                clock=clock,
                ack_timeout_s=config.ack_timeout_s,
                name=f"room {room} pump",
            ),
            config=PumpConfig(auto_confirm=config.auto_confirm),
            on_rate=self.patient.set_rate,
        )
        self.pump_port = 0
        self.program_reply: str = ""

    def status(self) -> RoomStatus:
        t_s = self.clock.elapsed_s()
        vitals = self.monitor.last_vitals
        nibp = self.monitor.last_nibp
        links = (self.monitor.link.stats, self.pump.link.stats if self.pump.link else None)
        stats = [s for s in links if s is not None]
        return RoomStatus(
            room_number=self.config.room_number,
            t_s=t_s,
            pump_state=self.pump.state,
            rate_ml_per_h=self.pump.actual_rate_ml_per_h,
            volume_delivered_ml=self.pump.volume_delivered_ml(t_s),
            cp_ng_per_ml=self.patient.cp_ng_per_ml(t_s),
            hr_per_min=vitals.hr_per_min if vitals else None,
            systolic_mmhg=nibp.systolic_mmhg if nibp else None,
            diastolic_mmhg=nibp.diastolic_mmhg if nibp else None,
            spo2_percent=vitals.spo2_percent if vitals else None,
            acked=sum(s.acked for s in stats),
            retried=sum(s.retried for s in stats),
            dropped=sum(s.dropped for s in stats),
            pending=self.monitor.link.pending + (self.pump.link.pending if self.pump.link else 0),
        )

    async def run(
        self,
        *,
        duration_s: float | None = None,
        on_status: Callable[[RoomStatus], None] | None = None,
        status_every_s: float = 60.0,
        on_listening: Callable[[int], None] | None = None,
    ) -> None:
        """Run the room until cancelled, or for ``duration_s`` simulated seconds (and then
        until every message is acknowledged or given up)."""
        self.pump_port = await self.pump.serve(self.config.pump_host, self.config.pump_port)
        if on_listening is not None:
            on_listening(self.pump_port)
        helpers: list[asyncio.Task[None]] = []
        if self.config.start_program:
            helpers.append(asyncio.create_task(self._send_program()))
        if on_status is not None:
            helpers.append(asyncio.create_task(self._report(on_status, status_every_s)))
        try:
            await asyncio.gather(
                self.monitor.run(duration_s=duration_s), self.pump.run(duration_s=duration_s)
            )
        finally:
            for task in helpers:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.pump.close()

    async def _send_program(self) -> None:
        await self.clock.sleep_until(self.config.program_after_s)
        text = build_program(
            self.orders_sender,
            ControlIds(self.orders_sender.eui64).next(),
            self.clock.now(),
            self.config.program(),
            drug_name="Ketamine",
            room=f"Room {self.config.room_number}",
        )
        reply = await send_program(self.config.pump_host, self.pump_port, text)
        self.program_reply = reply.code if reply.code == "AA" else f"{reply.code}: {reply.text}"

    async def _report(self, on_status: Callable[[RoomStatus], None], every_s: float) -> None:
        tick = 1
        while True:
            await self.clock.sleep_until(tick * every_s)
            on_status(self.status())
            tick += 1


async def run_room(
    config: RoomConfig,
    *,
    clock: Clock | None = None,
    stop: asyncio.Event | None = None,
    duration_s: float | None = None,
    on_status: Callable[[RoomStatus], None] | None = None,
) -> SimRoom:
    """Run one room until ``stop`` is set (or for ``duration_s``); returns the room, whose
    counters say what was sent. The demo runs one of these per room with an infusion."""
    room = SimRoom(config, clock=clock or SimClock())
    task = asyncio.create_task(room.run(duration_s=duration_s, on_status=on_status))
    if stop is None:
        await task
        return room
    stopper = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, stopper):
        if not pending.done():
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pending
    if task.done() and not task.cancelled():
        task.result()  # a room that failed says why
    return room
