"""A simulated syringe pump: takes PCD-03 programs, runs them, reports PCD-10 events.

- An MLLP server (``serve``) takes ``RGV^O15`` programs. The pump checks each (rate within
  its maximum, volume > 0, drug in its library, concentration > 0) and answers
  ``ACK^O15`` or ``RRG^O16`` with the reason (AE: the pump refuses; AR: unreadable).
- A program is a proposal until confirmed at the pump (``confirm``; ``auto_confirm`` for
  the demo). A new program for the SAME program id is a titration, confirmed the same
  way: its rate, and its volume to be infused counted from then (as pumps count the VTBI
  down: what is still to go, not the total since the start).
- Delivery integrates the actual rate over simulated time exactly (piecewise constant):
  the volume delivered at ``t`` is the sum of rate x time, and the program completes at
  the exact moment the volume to be infused is reached (near-end first).
- The buttons: ``set_rate``, ``pause``, ``resume``, ``stop``; ``trigger_occlusion`` makes
  an occlusion happen on purpose (delivery stops, a high-priority technical alarm).
- Events (delivery start, rate change, pause, restart, stop, near end, complete) go to
  the gateway as PCD-10 with the totals; rate, volumes and dose go as PCD-01 numerics
  every ``numerics_interval_s``; technical alarms (occlusion, near end, complete) as
  PCD-04. All through an ``MllpLink`` (the monitor's retry rules).
- ``on_rate`` is told every change of the ACTUAL rate (mg/h): it drives the patient.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final, Literal

from ketamine_clinic.devices import mdc
from ketamine_clinic.devices.hl7_codec import Hl7ParseError, ack, bare_reject, parse_message
from ketamine_clinic.devices.mllp import MllpDecoder, MllpFramingError, frame
from ketamine_clinic.devices.pcd_build import (
    PUMP_DELIVERY_COMPLETE,
    PUMP_DELIVERY_PAUSE,
    PUMP_DELIVERY_RESTART,
    PUMP_DELIVERY_START,
    PUMP_DELIVERY_STOP,
    PUMP_EMPTY,
    PUMP_NEAR_EMPTY,
    PUMP_NEAR_END,
    PUMP_OCCLUSION,
    PUMP_RATE_CHANGE,
    Alarm,
    ControlIds,
    InfusionProgram,
    Priority,
    ProgramRejected,
    PumpTotals,
    Sender,
    build_alert,
    build_program_accept,
    build_program_reject,
    build_pump_event,
    build_pump_numerics,
    read_program,
)
from ketamine_clinic.devices.sim.clock import Clock
from ketamine_clinic.devices.sim.link import MllpLink

log = logging.getLogger("ketamine_clinic.devices.sim.pump")

PumpState = Literal["idle", "proposed", "running", "paused", "occluded", "stopped", "complete"]
EventName = Literal["start", "rate_change", "pause", "restart", "stop", "near_end", "complete"]
EVENT_TERMS: Final[dict[EventName, mdc.Term]] = {
    "start": PUMP_DELIVERY_START,
    "rate_change": PUMP_RATE_CHANGE,
    "pause": PUMP_DELIVERY_PAUSE,
    "restart": PUMP_DELIVERY_RESTART,
    "stop": PUMP_DELIVERY_STOP,
    "near_end": PUMP_NEAR_END,
    "complete": PUMP_DELIVERY_COMPLETE,
}
S_PER_H: Final = 3600.0

# Refusals a nurse reads on the clinic's screen (ERR-8 of RRG^O16).
UNKNOWN_DRUG: Final = "RXG-4: drug {drug!r} is not in the pump's drug library"
RATE_NOT_POSITIVE: Final = "RXG-15: the rate must be > 0 mL/h"
RATE_OVER_MAX: Final = "RXG-15: rate {rate} mL/h is over the pump's maximum {max} mL/h"
VOLUME_NOT_POSITIVE: Final = "RXG-5: the volume to be infused must be > 0 mL"
CONCENTRATION_NOT_POSITIVE: Final = "RXG-17: the concentration must be > 0 mg/mL"
OTHER_PROGRAM_RUNNING: Final = "ORC-2: program {running} is running; stop it before {new}"


class PumpRefused(ValueError):
    """A program or button press the pump will not take; the text says why."""


@dataclass(frozen=True)
class PumpConfig:
    # A typical syringe pump's top rate (verify per model); the clinic's rates are < 100.
    max_rate_ml_per_h: Decimal = Decimal("1200")
    known_drugs: frozenset[str] = frozenset({"KETAMINE"})
    numerics_interval_s: float = 5.0
    # Near-end pre-alarm this long before the end (a common syringe-pump default; verify).
    near_end_s: float = 300.0
    auto_confirm: bool = False
    tick_s: float = 1.0


@dataclass(frozen=True, slots=True)
class PumpEvent:
    """One PCD-10 event as the pump recorded it (simulated seconds since the start)."""

    name: EventName
    t_s: float
    program_id: str
    rate_ml_per_h: float
    volume_delivered_ml: float
    volume_remaining_ml: float
    dose_delivered_mg: float


@dataclass
class _Delivery:
    program: InfusionProgram
    rate_ml_per_h: float  # programmed
    # The volume this delivery ends at: the first program's volume to be infused, moved
    # by each later program for it to what was given by then plus that program's volume.
    vtbi_ml: float
    actual_ml_per_h: float = 0.0  # what goes in now (0 when paused, occluded, done)
    delivered_ml: float = 0.0  # at since_s
    since_s: float = 0.0
    near_end_sent: bool = False

    @property
    def concentration(self) -> float:
        return float(self.program.concentration_mg_per_ml)


@dataclass
class PumpCounters:
    programs_accepted: int = 0
    programs_refused: int = 0
    alarms_sent: int = 0
    numerics_sent: int = 0
    events_sent: int = 0
    refusals: list[str] = field(default_factory=list)


class SimulatedPump:
    """One syringe pump with one delivery channel."""

    def __init__(
        self,
        sender: Sender,
        *,
        clock: Clock,
        link: MllpLink | None = None,
        config: PumpConfig | None = None,
        on_rate: Callable[[float, float], None] | None = None,
        control_ids: ControlIds | None = None,
    ) -> None:
        self.sender = sender
        self.clock = clock
        self.link = link
        self.config = config or PumpConfig()
        self.on_rate = on_rate
        self.control_ids = control_ids or ControlIds(sender.eui64)
        self.state: PumpState = "idle"
        self.events: list[PumpEvent] = []
        self.counters = PumpCounters()
        self.proposal: InfusionProgram | None = None
        self._delivery: _Delivery | None = None
        self._server: asyncio.Server | None = None
        self._alarm_ids = itertools.count(1)
        self._active_alarms: dict[str, tuple[str, Alarm]] = {}

    # --- what the pump shows ---------------------------------------------------------

    @property
    def program(self) -> InfusionProgram | None:
        return self._delivery.program if self._delivery else None

    @property
    def rate_ml_per_h(self) -> float:
        """The programmed rate (0 with no program)."""
        return self._delivery.rate_ml_per_h if self._delivery else 0.0

    @property
    def actual_rate_ml_per_h(self) -> float:
        return self._delivery.actual_ml_per_h if self._delivery else 0.0

    def volume_delivered_ml(self, t_s: float | None = None) -> float:
        """The volume given by ``t_s`` (now by default); exact for the rates so far."""
        t = self.clock.elapsed_s() if t_s is None else t_s
        self._advance(t)
        return self._delivery.delivered_ml if self._delivery else 0.0

    def _totals(self) -> tuple[float, float, float, float]:
        d = self._delivery
        if d is None:
            return 0.0, 0.0, 0.0, 0.0
        remaining = max(0.0, d.vtbi_ml - d.delivered_ml)
        return d.actual_ml_per_h, d.delivered_ml, remaining, d.delivered_ml * d.concentration

    # --- delivery, exactly -----------------------------------------------------------

    def _advance(self, t_s: float) -> None:
        """Bring the delivery up to ``t_s``: volume, near end, completion (at their times)."""
        d = self._delivery
        if d is None or t_s <= d.since_s:
            return
        if self.state == "running" and d.actual_ml_per_h > 0:
            end_s = d.since_s + (d.vtbi_ml - d.delivered_ml) / d.actual_ml_per_h * S_PER_H
            near_s = end_s - self.config.near_end_s
            if not d.near_end_sent and t_s >= near_s:
                at = max(near_s, d.since_s)
                d.delivered_ml += d.actual_ml_per_h * (at - d.since_s) / S_PER_H
                d.since_s = at
                d.near_end_sent = True
                self._event("near_end", at)
                self._alarm_start("near_end", PUMP_NEAR_EMPTY, "PL", at)
            if t_s >= end_s:
                d.delivered_ml = d.vtbi_ml
                d.since_s = end_s
                self._set_actual(0.0, end_s)
                self.state = "complete"
                self._event("complete", end_s)
                self._alarm_end("near_end", end_s)
                self._alarm_start("complete", PUMP_EMPTY, "PM", end_s)
                return
            d.delivered_ml += d.actual_ml_per_h * (t_s - d.since_s) / S_PER_H
        d.since_s = t_s

    def _set_actual(self, rate_ml_per_h: float, t_s: float) -> None:
        d = self._delivery
        if d is None:
            return
        d.actual_ml_per_h = rate_ml_per_h
        if self.on_rate is not None:
            self.on_rate(t_s, rate_ml_per_h * d.concentration)

    # --- programs --------------------------------------------------------------------

    def check(self, program: InfusionProgram) -> None:
        """Raise ``PumpRefused`` when the pump cannot run ``program``."""
        config = self.config
        if program.drug.upper() not in config.known_drugs:
            raise PumpRefused(UNKNOWN_DRUG.format(drug=program.drug))
        if program.rate_ml_per_h <= 0:
            raise PumpRefused(RATE_NOT_POSITIVE)
        if program.rate_ml_per_h > config.max_rate_ml_per_h:
            raise PumpRefused(
                RATE_OVER_MAX.format(rate=program.rate_ml_per_h, max=config.max_rate_ml_per_h)
            )
        if program.volume_to_infuse_ml <= 0:
            raise PumpRefused(VOLUME_NOT_POSITIVE)
        if program.concentration_mg_per_ml <= 0:
            raise PumpRefused(CONCENTRATION_NOT_POSITIVE)
        d = self._delivery
        if d is None or self.state in ("stopped", "complete", "idle"):
            return
        if program.program_id != d.program.program_id:
            raise PumpRefused(
                OTHER_PROGRAM_RUNNING.format(running=d.program.program_id, new=program.program_id)
            )

    def hold_or_release(self, program: InfusionProgram) -> None:
        """ORC-1 HD pauses the running program (the clinic's interlock), RL resumes it; both
        name the program, and a second HD or RL changes nothing."""
        d = self._delivery
        if d is None or d.program.program_id != program.program_id:
            raise PumpRefused(f"ORC-2: program {program.program_id} is not on this pump")
        if program.order_control == "HD" and self.state == "running":
            self.pause()
        elif program.order_control == "RL" and self.state == "paused":
            self.resume()

    def propose(self, program: InfusionProgram) -> None:
        """Take ``program`` as a proposal (checked); runs at ``confirm`` or at once with
        ``auto_confirm``."""
        self.check(program)
        self.proposal = program
        if self.state in ("idle", "stopped", "complete"):
            self.state = "proposed"
        if self.config.auto_confirm:
            self.confirm()

    def confirm(self) -> None:
        """The nurse confirms the proposal at the pump: it starts, or the titration applies."""
        program = self.proposal
        if program is None:
            raise PumpRefused("there is no program to confirm")
        self.proposal = None
        now = self.clock.elapsed_s()
        self._advance(now)
        d = self._delivery
        same = d is not None and d.program.program_id == program.program_id
        if same and d is not None and self.state in ("running", "paused", "occluded"):
            d.program = program
            d.rate_ml_per_h = float(program.rate_ml_per_h)
            d.vtbi_ml = d.delivered_ml + float(program.volume_to_infuse_ml)
            d.near_end_sent = False
            if self.state == "running":
                self._set_actual(d.rate_ml_per_h, now)
            self._event("rate_change", now)
            return
        self._alarm_end("complete", now)
        self._delivery = _Delivery(
            program,
            float(program.rate_ml_per_h),
            vtbi_ml=float(program.volume_to_infuse_ml),
            since_s=now,
        )
        self.state = "running"
        self._set_actual(float(program.rate_ml_per_h), now)
        self._event("start", now)

    # --- the buttons -----------------------------------------------------------------

    def set_rate(self, rate_ml_per_h: float) -> None:
        """A titration keyed at the pump."""
        d = self._require("running", "paused")
        if not 0 < rate_ml_per_h <= float(self.config.max_rate_ml_per_h):
            raise PumpRefused(f"rate: must be > 0 and at most {self.config.max_rate_ml_per_h} mL/h")
        now = self.clock.elapsed_s()
        self._advance(now)
        d.rate_ml_per_h = rate_ml_per_h
        d.near_end_sent = False
        if self.state == "running":
            self._set_actual(rate_ml_per_h, now)
        self._event("rate_change", now)

    def pause(self) -> None:
        self._require("running")
        now = self.clock.elapsed_s()
        self._advance(now)
        if self.state != "running":
            return  # it completed meanwhile
        self.state = "paused"
        self._set_actual(0.0, now)
        self._event("pause", now)

    def resume(self) -> None:
        d = self._require("paused", "occluded")
        now = self.clock.elapsed_s()
        self._advance(now)
        self._alarm_end("occlusion", now)
        self.state = "running"
        self._set_actual(d.rate_ml_per_h, now)
        self._event("restart", now)

    def stop(self) -> None:
        self._require("running", "paused", "occluded", "complete")
        now = self.clock.elapsed_s()
        self._advance(now)
        self._alarm_end("occlusion", now)
        self._alarm_end("near_end", now)
        self._alarm_end("complete", now)
        if self.state == "complete":
            return
        self.state = "stopped"
        self._set_actual(0.0, now)
        self._event("stop", now)

    def trigger_occlusion(self) -> None:
        """An occlusion downstream: delivery stops and a high-priority alarm sounds."""
        self._require("running")
        now = self.clock.elapsed_s()
        self._advance(now)
        if self.state != "running":
            return
        self.state = "occluded"
        self._set_actual(0.0, now)
        self._event("pause", now)
        self._alarm_start("occlusion", PUMP_OCCLUSION, "PH", now)

    def _require(self, *states: PumpState) -> _Delivery:
        self._advance(self.clock.elapsed_s())
        if self._delivery is None or self.state not in states:
            raise PumpRefused(f"the pump is {self.state}; that needs it {' or '.join(states)}")
        return self._delivery

    # --- reports to the gateway -------------------------------------------------------

    def _event(self, name: EventName, t_s: float) -> None:
        d = self._delivery
        if d is None:
            return
        rate, delivered, remaining, dose = self._totals()
        event = PumpEvent(name, t_s, d.program.program_id, rate, delivered, remaining, dose)
        self.events.append(event)
        if self.link is None:
            return
        at = self.clock.at(t_s)
        self.link.send(
            build_pump_event(
                self.sender,
                self.control_ids.next(),
                at,
                event=EVENT_TERMS[name],
                program_id=d.program.program_id,
                at=at,
                totals=_decimal_totals(rate, delivered, remaining, dose),
                patient_id=d.program.patient_id,
            )
        )
        self.counters.events_sent += 1

    def _alarm_start(self, key: str, event: mdc.Term, priority: Priority, t_s: float) -> None:
        if key in self._active_alarms:
            return
        alarm_id = f"{self.sender.eui64}-A{next(self._alarm_ids)}"
        alarm = Alarm(
            alarm_id, mdc.PUMP_CHANNEL, event, priority, "ST", "start", "active", "enabled",
            self.clock.at(t_s),
        )  # fmt: skip
        self._active_alarms[key] = (alarm_id, alarm)
        self._send_alarm(alarm)

    def _alarm_end(self, key: str, t_s: float) -> None:
        active = self._active_alarms.pop(key, None)
        if active is None:
            return
        _alarm_id, started = active
        ended = Alarm(
            started.alarm_id, started.source, started.event, started.priority, "ST", "end",
            "inactive", "enabled", self.clock.at(t_s),
        )  # fmt: skip
        self._send_alarm(ended)

    def _send_alarm(self, alarm: Alarm) -> None:
        if self.link is None:
            return
        self.link.send(
            build_alert(self.sender, self.control_ids.next(), alarm.at, alarm, mds=mdc.PUMP_MDS)
        )
        self.counters.alarms_sent += 1

    def report_numerics(self, t_s: float) -> None:
        """Send the rate, volumes and dose as PCD-01 now (the run loop does it on its cycle)."""
        if self.link is None or self._delivery is None:
            return
        self._advance(t_s)
        rate, delivered, remaining, dose = self._totals()
        self.link.send(
            build_pump_numerics(
                self.sender,
                self.control_ids.next(),
                self.clock.at(t_s),
                _decimal_totals(rate, delivered, remaining, dose),
                patient_id=self._delivery.program.patient_id,
            )
        )
        self.counters.numerics_sent += 1

    # --- running ---------------------------------------------------------------------

    async def run(self, *, duration_s: float | None = None) -> None:
        """Tick (completion at its time, numerics on their cycle) until cancelled or for
        ``duration_s``; the link to the gateway runs alongside."""
        link_task = asyncio.create_task(self.link.run()) if self.link else None
        try:
            tick = 0
            next_numerics_s = 0.0
            while True:
                t_s = tick * self.config.tick_s
                if duration_s is not None and t_s > duration_s:
                    break
                await self.clock.sleep_until(t_s)
                self._advance(t_s)
                if t_s >= next_numerics_s:
                    self.report_numerics(t_s)
                    next_numerics_s = t_s + self.config.numerics_interval_s
                tick += 1
            if self.link is not None:
                await self.link.drained()
        finally:
            if link_task is not None:
                link_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await link_task

    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen for PCD-03 programs; returns the port."""
        self._server = await asyncio.start_server(self._handle, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def handle_program_message(self, text: str) -> str:
        """The reply to one message on the program port (``ACK^O15`` or ``RRG^O16``)."""
        now = self.clock.now()
        try:
            message = parse_message(text)
        except Hl7ParseError as error:
            self.counters.programs_refused += 1
            return bare_reject(str(error), application=self.sender.application, now=now)
        try:
            program = read_program(message)
        except ProgramRejected as error:
            self.counters.programs_refused += 1
            self.counters.refusals.append(str(error))
            if message.message_type != "RGV^O15":
                return ack(
                    message, "AR", text=str(error), control_id=self.control_ids.next(), now=now
                )
            return build_program_reject(
                message, self.sender, self.control_ids.next(), now, reason=str(error), code="AR"
            )
        try:
            if program.order_control in ("HD", "RL"):
                self.hold_or_release(program)
            else:
                self.propose(program)
        except PumpRefused as error:
            self.counters.programs_refused += 1
            self.counters.refusals.append(str(error))
            return build_program_reject(
                message, self.sender, self.control_ids.next(), now, reason=str(error)
            )
        self.counters.programs_accepted += 1
        return build_program_accept(message, self.sender, self.control_ids.next(), now)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = MllpDecoder()
        try:
            while data := await reader.read(65536):
                for payload in decoder.feed(data):
                    reply = self.handle_program_message(payload.decode("utf-8", "replace"))
                    writer.write(frame(reply.encode("utf-8")))
                    await writer.drain()
        except (ConnectionError, MllpFramingError):
            pass
        finally:
            writer.close()


def _decimal_totals(rate: float, delivered: float, remaining: float, dose: float) -> PumpTotals:
    """What the pump displays: rate to 0.1 mL/h, volumes to 0.01 mL, dose to 0.01 mg."""
    return PumpTotals(
        Decimal(f"{rate:.1f}"),
        Decimal(f"{delivered:.2f}"),
        Decimal(f"{remaining:.2f}"),
        Decimal(f"{dose:.2f}"),
    )
